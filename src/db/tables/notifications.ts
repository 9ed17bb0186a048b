/** Table types of the notifications feature (kept next to its migration). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NotificationTables {}
