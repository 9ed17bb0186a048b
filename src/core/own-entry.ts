/**
 * `table[key]` for a key that came from outside (a provider's status word, a file's extension, a
 * header): only the table's own entries. A plain `table[key]` also finds Object.prototype's members,
 * so "constructor", "toString" or "__proto__" would come back as a function or an object.
 */
export const ownEntry = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);
