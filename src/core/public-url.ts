import type { Config } from '../config.js';

/** PUBLIC_URL without a trailing slash, to which callback paths are appended; null when unset. */
export const publicBase = (config: Pick<Config, 'PUBLIC_URL'>): string | null => config.PUBLIC_URL?.replace(/\/+$/, '') ?? null;
