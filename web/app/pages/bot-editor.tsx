import { Page } from '../components/ui';

export default function BotEditorPage() {
  return (
    <Page title="BotEditor">
      <p>This page is being built.</p>
    </Page>
  );
}
