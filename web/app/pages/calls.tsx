import { Page } from '../components/ui';

export default function CallsPage() {
  return (
    <Page title="Calls">
      <p>This page is being built.</p>
    </Page>
  );
}
