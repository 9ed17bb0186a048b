import { Page } from '../components/ui';

export default function WebhooksPage() {
  return (
    <Page title="Webhooks">
      <p>This page is being built.</p>
    </Page>
  );
}
