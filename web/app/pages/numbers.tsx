import { Page } from '../components/ui';

export default function NumbersPage() {
  return (
    <Page title="Numbers">
      <p>This page is being built.</p>
    </Page>
  );
}
