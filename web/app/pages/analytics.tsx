import { Page } from '../components/ui';

export default function AnalyticsPage() {
  return (
    <Page title="Analytics">
      <p>This page is being built.</p>
    </Page>
  );
}
