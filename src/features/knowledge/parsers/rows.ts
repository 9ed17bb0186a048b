/** A table row as label → value, the shape CSV and JSON feeds share. */
export type Row = Record<string, string>;

/** An empty row with no prototype: a column named `__proto__` or `constructor` is a column like any other. */
export const newRow = (): Row => Object.create(null) as Row;

/**
 * One passage per row: "label: value" lines, empty values left out, and no blank line inside a
 * value, since a blank line is where the chunker may split.
 */
export function rowToPassage(row: Row): string {
  return Object.entries(row)
    .map(([label, value]) => [label, value.replace(/\r\n?/g, '\n').replace(/\n\s*\n+/g, '\n').trim()] as const)
    .filter(([, value]) => value !== '')
    .map(([label, value]) => `${label}: ${value}`)
    .join('\n');
}

export const rowsToMarkdown = (rows: Row[]) =>
  rows
    .map(rowToPassage)
    .filter((passage) => passage !== '')
    .join('\n\n');
