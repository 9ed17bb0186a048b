import { sql, type Kysely } from 'kysely';

/**
 * Sandbox numbers: registered with assign_phone_number provider "sandbox", they send through the
 * sandbox provider (nothing leaves the machine) and take simulated inbound texts, so the whole SMS
 * flow can be tried on a server with no provider configured.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table phone_numbers drop constraint phone_numbers_provider_check;
    alter table phone_numbers add constraint phone_numbers_provider_check check (provider in ('twilio', 'sinch', 'sandbox'));
    alter table phone_numbers drop constraint phone_numbers_source_check;
    alter table phone_numbers add constraint phone_numbers_source_check check (source in ('purchased', 'imported', 'pool', 'sinch', 'sandbox'));
  `.execute(db);
}
