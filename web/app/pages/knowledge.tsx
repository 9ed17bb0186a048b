import { Page } from '../components/ui';
import { BASE } from '../router';
import { Feeds } from './knowledge/feeds';
import { FilesTable } from './knowledge/files';
import { KnowledgeSearch } from './knowledge/search';
import { useSources, type FileRow } from './knowledge/sources';
import { UploadBox } from './knowledge/upload';
import { Website } from './knowledge/website';

/** What a bot knows: files, crawled pages and feeds, and a search showing what it would read. */
export default function KnowledgePage({ params }: { params: Record<string, string> }) {
  const botId = params.id!;
  const files = useSources<FileRow>('/get_filenames', botId);
  return (
    <Page
      title="Knowledge"
      actions={
        <nav class="links" aria-label="This bot">
          <a href={`${BASE}/bots/${botId}`}>Bot settings</a>
          <a href={`${BASE}/bots/${botId}/playground`}>Playground</a>
        </nav>
      }
    >
      <UploadBox botId={botId} onUploaded={() => void files.reload()} />
      <FilesTable botId={botId} files={files} />
      <Website botId={botId} />
      <Feeds botId={botId} />
      <KnowledgeSearch botId={botId} />
    </Page>
  );
}
