// Ids from the outside reach SQL only once they are UUIDs: compared with a uuid column, any
// other string is a database error (22P02) — a 500 — rather than "no such row". A looser
// check such as /^[0-9a-f-]{36}$/ lets 36 dashes through.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
