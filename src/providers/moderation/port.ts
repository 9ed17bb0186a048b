/** An optional content classifier consulted on top of the hard limits (see engine/policy.ts). */
export interface ModerationVerdict {
  /** The configured categories the text was flagged for; empty when it may pass. */
  blocked: string[];
}

export interface ModerationPort {
  readonly provider: string;
  check(text: string): Promise<ModerationVerdict>;
}
