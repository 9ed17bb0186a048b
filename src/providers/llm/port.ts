/** What the conversation engine needs from a language model, whoever serves it. */
export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  /** Overrides the configured default model (a bot's `model`). */
  model?: string | null;
  messages: LlmMessage[];
  temperature: number;
  maxTokens: number;
  signal?: AbortSignal;
  /**
   * Actions the model may take instead of (or besides) answering, by name; they take no arguments.
   * Only `generate` offers them: a streamed reply is text alone.
   */
  tools?: Record<string, { description: string }>;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmResult {
  text: string;
  /** Names of the tools the model called, in order (absent when no tools were offered). */
  toolCalls?: string[];
  model: string;
  usage: LlmUsage;
}

export interface LlmStream {
  /** Text deltas as the model produces them. Reading them drives the stream. */
  deltas: AsyncIterable<string>;
  /** The whole reply once `deltas` has been read to the end (rejects as the stream does). */
  result: Promise<LlmResult>;
}

export interface LlmPort {
  readonly provider: string;
  generate(request: LlmRequest): Promise<LlmResult>;
  stream(request: LlmRequest): LlmStream;
}
