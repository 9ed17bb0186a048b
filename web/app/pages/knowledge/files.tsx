import { post } from '../../api';
import { ErrorBanner, formatTime, TableHead, useAction } from '../../components/ui';
import { formatBytes, StatusBadge, type FileRow } from './sources';

/** Uploaded files with their ingestion status and error. */
export function FilesTable({ botId, files }: { botId: string; files: { items: FileRow[] | null; error: unknown; hasMore: boolean; reload: () => Promise<void> } }) {
  const remove = useAction(async (fileId: string) => {
    await post('/delete_file', { bot_id: botId, file_id: fileId });
    await files.reload();
  });
  return (
    <section class="card" aria-labelledby="files-heading">
      <h2 id="files-heading">Files</h2>
      <ErrorBanner error={files.error} />
      <ErrorBanner error={remove.error} />
      {files.items && files.items.length === 0 && <p class="muted">No files yet.</p>}
      {files.items && files.items.length > 0 && (
        <div class="table-wrap">
          <table class="responsive" aria-label="Files">
            <TableHead columns={['File', 'Status', 'Passages', 'Added', 'Actions']} />
            <tbody>
              {files.items.map((f) => (
                <tr key={f.file_id} data-source={f.file_id}>
                  <td class="wrap">
                    {f.filename ?? f.url} <span class="muted">({formatBytes(f.bytes)})</span>
                  </td>
                  <td>
                    <StatusBadge status={f.status} error={f.error} />
                  </td>
                  <td>
                    {f.chunks} passage{f.chunks === 1 ? '' : 's'}
                  </td>
                  <td>{formatTime(f.created_at)}</td>
                  <td>
                    <button type="button" class="danger" disabled={remove.busy} aria-label={`Delete ${f.filename ?? f.url}`} onClick={() => void remove.run(f.file_id)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {files.hasMore && <p class="muted">Showing the newest 200 files.</p>}
    </section>
  );
}
