/**
 * Work under way that a stopping process waits for (requests whose client left, replies still being
 * made): promises kept until they settle.
 */
export class PendingWork {
  private readonly pending = new Set<Promise<unknown>>();

  get size(): number {
    return this.pending.size;
  }

  track(work: Promise<unknown>): void {
    this.pending.add(work);
    const forget = () => this.pending.delete(work);
    work.then(forget, forget);
  }

  /** Waits until the work under way has settled, or `timeoutMs` has passed; true if all of it did. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (!this.pending.size) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const all = Promise.allSettled([...this.pending]).then(() => true);
    const drained = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return drained;
  }
}
