import { useState } from 'preact/hooks';
import { ApiError, upload } from '../../api';
import { ErrorBanner, Progress } from '../../components/ui';
import { formatBytes } from './sources';

interface Upload {
  key: number;
  name: string;
  size: number;
  progress: number;
  result: { status: string; duplicate: boolean } | null;
  error: unknown;
}

let nextKey = 0;

/** Files sent to /upload one request each, dropped on the zone or chosen with the file input. */
export function UploadBox({ botId, onUploaded }: { botId: string; onUploaded: () => void }) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [over, setOver] = useState(false);
  const patch = (key: number, p: Partial<Upload>) => setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...p } : u)));

  const send = (files: FileList | File[] | null) => {
    for (const file of Array.from(files ?? [])) {
      const key = nextKey++;
      setUploads((list) => [{ key, name: file.name, size: file.size, progress: 0, result: null, error: null }, ...list]);
      const form = new FormData();
      form.append('bot_id', botId);
      form.append('file', file, file.name);
      upload<{ status: string; duplicate: boolean }>('/upload', form, (f) => patch(key, { progress: f })).then(
        (result) => {
          patch(key, { progress: 1, result });
          onUploaded();
        },
        (error: unknown) => patch(key, { error: error instanceof ApiError ? error : new Error(String(error)) }),
      );
    }
  };

  return (
    <section class="card" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload files</h2>
      <div
        class={`dropzone ${over ? 'over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          send(e.dataTransfer?.files ?? null);
        }}
      >
        <p>Drag and drop files here, or choose them below.</p>
        <label class="field">
          <span class="label">Choose files to upload</span>
          <input
            type="file"
            multiple
            accept=".pdf,.docx,.txt,.md,.html,.htm,.csv,.json"
            onChange={(e) => {
              send(e.currentTarget.files);
              e.currentTarget.value = '';
            }}
          />
          <span class="hint">PDF, DOCX, TXT, Markdown, HTML, CSV or JSON.</span>
        </label>
      </div>
      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {uploads.map((u) => (
            <li key={u.key} class="upload">
              <span class="upload-name">
                {u.name} <span class="muted">({formatBytes(u.size)})</span>
              </span>
              {!u.error && <Progress value={u.progress} label={`Uploading ${u.name}`} />}
              <span role="status">
                {u.error ? '' : u.result ? (u.result.duplicate ? 'Already uploaded: the same file is in the list below.' : 'Uploaded; it is being read and indexed.') : `Uploading… ${Math.round(u.progress * 100)}%`}
              </span>
              <ErrorBanner error={u.error} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
