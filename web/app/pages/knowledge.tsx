import { Page } from '../components/ui';

export default function KnowledgePage() {
  return (
    <Page title="Knowledge">
      <p>This page is being built.</p>
    </Page>
  );
}
