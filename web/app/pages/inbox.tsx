import { Page } from '../components/ui';

export default function InboxPage() {
  return (
    <Page title="Inbox">
      <p>This page is being built.</p>
    </Page>
  );
}
