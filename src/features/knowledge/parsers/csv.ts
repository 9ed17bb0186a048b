import { parse } from 'csv-parse/sync';
import { CorruptFileError } from './errors.js';
import { newRow, type Row } from './rows.js';
import { detectCsvDelimiter } from './sniff-text.js';

/** Header names made usable as labels: blanks named by position, repeats numbered. */
function labelsOf(header: string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((raw, i) => {
    const name = raw.replace(/\s+/g, ' ').trim() || `column ${i + 1}`;
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name} (${count})`;
  });
}

/**
 * CSV text → one record per data row, keyed by the header row's names. The delimiter (comma,
 * semicolon, tab or pipe) is detected unless given. Ragged rows are kept: missing cells are empty,
 * extra cells get "column N" labels. Used by file uploads and by CSV feeds.
 */
export function csvRows(text: string, delimiter?: string): Row[] {
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: delimiter ?? detectCsvDelimiter(text) ?? ',',
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
      trim: true,
    }) as string[][];
  } catch (err) {
    throw new CorruptFileError(`the CSV could not be read (${err instanceof Error ? err.message.replace(/\.$/, '') : String(err)})`);
  }
  const [header, ...data] = records;
  if (!header) return [];
  const labels = labelsOf(header);
  return data
    .filter((cells) => cells.some((cell) => cell !== ''))
    .map((cells) => {
      const row = newRow();
      labels.forEach((label, i) => (row[label] = cells[i] ?? ''));
      for (let i = labels.length; i < cells.length; i++) row[`column ${i + 1}`] = cells[i] ?? '';
      return row;
    });
}
