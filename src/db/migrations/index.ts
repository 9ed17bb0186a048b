import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation.js';

/** Every migration in order. Names are permanent: never rename or reorder an applied one. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
};
