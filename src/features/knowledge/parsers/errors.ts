import { DomainError } from '../../../core/errors.js';

/**
 * Parser errors are DomainErrors so the one error table maps them (415, 422) when they surface in a
 * request; an ingestion job stores `reason` as the source's error instead. `reason` is a lowercase
 * clause ("the file is a PNG image, …") so callers can embed it in their own sentence.
 */
const sentence = (reason: string) => `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`;

/** The bytes are not one of the supported kinds (or not what their name claims). HTTP 415. */
export class UnsupportedFileError extends DomainError {
  constructor(readonly reason: string) {
    super('unsupported_media', 'unsupported_file_type', sentence(reason), 'file');
    this.name = 'UnsupportedFileError';
  }
}

export type CorruptFileCode =
  | 'file_corrupt'
  | 'file_empty'
  | 'file_too_complex'
  | 'pdf_no_text'
  | 'pdf_encrypted';

/** The kind is supported but this file cannot be read: damaged, empty, encrypted or over a limit. HTTP 422. */
export class CorruptFileError extends DomainError {
  constructor(
    readonly reason: string,
    code: CorruptFileCode = 'file_corrupt',
  ) {
    super('unprocessable', code, sentence(reason), 'file');
    this.name = 'CorruptFileError';
  }
}
