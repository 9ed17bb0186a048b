/** Table types of the billing feature (kept next to its migration). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BillingTables {}
