import { PendingWork } from '../core/pending-work.js';

/** What a caller streams: text as it is released, or a replacement of everything sent so far. */
export type TurnChunk = { type: 'delta'; text: string } | { type: 'replace'; text: string };

/** A minimal async queue: the engine pushes released text, the caller iterates it. */
export function chunkQueue() {
  const items: TurnChunk[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  return {
    push(chunk: TurnChunk) {
      if (chunk.text) items.push(chunk);
      wake?.();
    },
    close() {
      closed = true;
      wake?.();
    },
    async *iterate(): AsyncGenerator<TurnChunk> {
      for (;;) {
        if (items.length) {
          yield items.shift()!;
          continue;
        }
        if (closed) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    },
  };
}
export type ChunkQueue = ReturnType<typeof chunkQueue>;

// Turns of one conversation run one after another in this process, from the stored message to the
// stored reply, so each reply is made with the ones before it in view.
const turnLocks = new Map<string, Promise<void>>();

export async function lockTurn(key: string): Promise<() => void> {
  const previous = turnLocks.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = previous.then(() => mine);
  turnLocks.set(key, chained);
  await previous;
  return () => {
    release();
    if (turnLocks.get(key) === chained) turnLocks.delete(key);
  };
}

// Turns whose reply is still being made or stored: shutdown waits for them (their clients may be gone).
const inflight = new PendingWork();

export function trackTurn(done: Promise<unknown>): void {
  inflight.track(done);
}

/** Waits until the turns under way have stored their replies, or `timeoutMs` has passed; true if all did. */
export function drainTurns(timeoutMs: number): Promise<boolean> {
  return inflight.drain(timeoutMs);
}
