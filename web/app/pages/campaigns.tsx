import { Page } from '../components/ui';

export default function CampaignsPage() {
  return (
    <Page title="Campaigns">
      <p>This page is being built.</p>
    </Page>
  );
}
