import { Page } from '../components/ui';

export default function PlaygroundPage() {
  return (
    <Page title="Playground">
      <p>This page is being built.</p>
    </Page>
  );
}
