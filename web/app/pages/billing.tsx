import { Page } from '../components/ui';

export default function BillingPage() {
  return (
    <Page title="Billing">
      <p>This page is being built.</p>
    </Page>
  );
}
