import { Page } from '../components/ui';

export default function ActivityPage() {
  return (
    <Page title="Activity">
      <p>This page is being built.</p>
    </Page>
  );
}
