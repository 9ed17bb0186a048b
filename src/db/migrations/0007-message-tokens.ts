import { sql, type Kysely } from 'kysely';

/**
 * Each message's token count, taken when it is stored, so a turn's history is cut to its budget in SQL
 * without counting old messages again. Messages from before this column are estimated until then.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table messages add column tokens integer`.execute(db);
}
