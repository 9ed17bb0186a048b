import { Page } from '../components/ui';

export default function KeysPage() {
  return (
    <Page title="Keys">
      <p>This page is being built.</p>
    </Page>
  );
}
