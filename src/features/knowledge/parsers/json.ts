import { newRow, rowToPassage, rowsToMarkdown, type Row } from './rows.js';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const isRecordArray = (value: unknown): value is JsonObject[] => Array.isArray(value) && value.length > 0 && value.every(isObject);

/** A scalar as text; nested values as compact JSON, so a row stays one level deep. */
const cellOf = (value: unknown): string =>
  value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);

function flatRow(object: JsonObject): Row {
  const row = newRow();
  for (const [key, value] of Object.entries(object)) row[key] = cellOf(value);
  return row;
}

const MAX_PATH_DEPTH = 32;

/** Key paths ("hours.monday", "ports[0].name") → scalars; arrays of scalars joined with commas. */
function keyPaths(value: unknown, path: string, into: Row, depth = 0): Row {
  if (Array.isArray(value) && value.every((item) => !isObject(item) && !Array.isArray(item))) {
    if (value.length > 0) into[path] = value.map(cellOf).join(', ');
  } else if (Array.isArray(value) && depth < MAX_PATH_DEPTH) {
    value.forEach((item, i) => keyPaths(item, `${path}[${i}]`, into, depth + 1));
  } else if (isObject(value) && depth < MAX_PATH_DEPTH) {
    for (const [key, item] of Object.entries(value)) keyPaths(item, path ? `${path}.${key}` : key, into, depth + 1);
  } else {
    into[path || 'value'] = cellOf(value);
  }
  return into;
}

/** The largest array of objects among an object's own values: the records a feed wraps ({"items": […]}). */
function wrappedRecords(object: JsonObject): JsonObject[] | null {
  let best: JsonObject[] | null = null;
  for (const value of Object.values(object)) if (isRecordArray(value) && value.length > (best?.length ?? 0)) best = value;
  return best;
}

/**
 * Parsed JSON → rows for feeds: an array gives one row per element (objects keyed by their keys,
 * nested values as JSON, scalars as "value"); an object that wraps an array of objects gives that
 * array's rows; any other object is one row of its key paths.
 */
export function jsonRows(value: unknown): Row[] {
  if (Array.isArray(value)) {
    return value.filter((item) => item !== null && item !== undefined).map((item) => (isObject(item) ? flatRow(item) : { value: cellOf(item) }));
  }
  if (isObject(value)) {
    const records = wrappedRecords(value);
    return records ? records.map(flatRow) : [keyPaths(value, '', newRow())];
  }
  return value === null || value === undefined ? [] : [{ value: cellOf(value) }];
}

/**
 * Parsed JSON → Markdown. Arrays become row passages, as in CSV. An object becomes a passage of
 * its scalar fields, then one section per nested key (## key): arrays of objects as row passages,
 * other values as key-path lines — so related values stay in one chunk.
 */
export function jsonToMarkdown(value: unknown): string {
  if (!isObject(value)) return rowsToMarkdown(jsonRows(value));
  const scalars = newRow();
  const sections: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (isRecordArray(item)) sections.push(`## ${key}\n\n${rowsToMarkdown(item.map(flatRow))}`);
    else if (isObject(item) || (Array.isArray(item) && item.some((entry) => isObject(entry) || Array.isArray(entry)))) {
      const lines = rowToPassage(keyPaths(item, key, newRow()));
      if (lines) sections.push(`## ${key}\n\n${lines}`);
    } else keyPaths(item, key, scalars);
  }
  return [rowToPassage(scalars), ...sections].filter((part) => part !== '').join('\n\n');
}
