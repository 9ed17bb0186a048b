import { Worker, type TransferListItem } from 'node:worker_threads';
import { CorruptFileError } from './errors.js';

/** What a worker source posts back: its result, or why it failed (`limit` for a bound it enforced). */
export type WorkerReply<T> = { ok: true; result: T } | { ok: false; name: string; message: string; limit?: boolean };

export interface BoundedWorkerOptions {
  /** CommonJS source run with `eval`, so it needs no separate file in src/ and dist/ alike. */
  source: string;
  workerData: unknown;
  transferList?: TransferListItem[];
  timeoutMs: number;
  memoryMb: number;
  /** Names the file kind in errors: "PDF", "DOCX". */
  what: string;
}

/**
 * Runs a parser in a worker thread with a heap limit and a deadline. PDF and DOCX libraries parse
 * hostile input synchronously, where a promise timeout cannot interrupt them and a decompression
 * bomb would take the whole server down; terminating a thread bounds both.
 */
export function runBoundedWorker<T>(options: BoundedWorkerOptions): Promise<WorkerReply<T>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(options.source, {
      eval: true,
      workerData: options.workerData,
      transferList: options.transferList,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb, maxYoungGenerationSizeMb: 64 },
      // Library warnings must not reach the server's log as unstructured lines.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(() => {
      const seconds = Math.round(options.timeoutMs / 100) / 10;
      finish(() => reject(new CorruptFileError(`reading the ${options.what} took longer than ${seconds} s; it may be damaged or too complex`, 'file_too_complex')));
    }, options.timeoutMs);
    worker.once('message', (reply: WorkerReply<T>) => finish(() => resolve(reply)));
    worker.once('error', (err: Error & { code?: string }) =>
      finish(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new CorruptFileError(`reading the ${options.what} needed more than ${options.memoryMb} MB of memory`, 'file_too_complex')
            : new CorruptFileError(`the ${options.what} could not be read: ${err.message}`),
        ),
      ),
    );
    worker.once('exit', (code) => finish(() => reject(new CorruptFileError(`the ${options.what} reader stopped unexpectedly (exit code ${code})`))));
  });
}
