/** A failure the source's owner can act on: shown as the source's `error`, not retried by the queue. */
export class SourceError extends Error {}
