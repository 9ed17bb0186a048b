import { Page } from '../components/ui';

export default function NotificationsPage() {
  return (
    <Page title="Notifications">
      <p>This page is being built.</p>
    </Page>
  );
}
