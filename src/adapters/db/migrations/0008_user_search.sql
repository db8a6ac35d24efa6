-- The admin search at a million users (issue #6, modules/admin/search-users.ts). Its order,
-- (last name, first name, id) lower-cased, is compared with COLLATE "C": code-point order,
-- which both engines' databases sort by already, and the one collation in which a btree
-- over text serves a LIKE prefix as a range.
--
-- Walked in order, this index gives the list from any cursor, a last-name prefix as a range
-- of it, and a first-name, username, email or kind condition checked on its entries, so a
-- common prefix ("ma") fills its page after a few hundred entries without reading the table.
-- The plain columns are included because the planner reads an index alone only when it holds
-- every column a query names; then the other words of a search ("alice mar") are checked
-- here too, rather than by a visit to the table for every entry walked.
CREATE INDEX users_search_order_idx ON users (
  (lower(last_name) COLLATE "C"), (lower(first_name) COLLATE "C"), id,
  kind, (lower(username) COLLATE "C"), (lower(email) COLLATE "C")
) INCLUDE (last_name, first_name, username, email);
-- Staff are one user in a hundred: walking the whole order for them would read a hundred
-- entries for each one shown.
CREATE INDEX users_staff_search_order_idx ON users (
  (lower(last_name) COLLATE "C"), (lower(first_name) COLLATE "C"), id,
  (lower(username) COLLATE "C"), (lower(email) COLLATE "C")
) WHERE kind = 'staff';
-- A rarer prefix is found through an index on its column, then the few rows are sorted.
-- Emails are mostly made of the last name (smith.j@, jsmith@), so their matches bunch up in
-- the name order instead of being spread along it; this index carries what the page needs,
-- so even ten thousand of them are read and sorted without touching the table. First names
-- and usernames keep their text_pattern_ops indexes of 0001.
CREATE INDEX users_email_search_idx ON users (
  (lower(email) COLLATE "C"), (lower(last_name) COLLATE "C"), (lower(first_name) COLLATE "C"), id, kind
) INCLUDE (last_name, first_name, email);
-- The planner chooses between walking the order and sorting a prefix's rows by how many rows
-- it expects; the default hundred-bucket histograms cannot tell a prefix matching 0.1 % of a
-- million users from one matching 1 %.
ALTER INDEX users_search_order_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX users_search_order_idx ALTER COLUMN 2 SET STATISTICS 1000;
ALTER INDEX users_search_order_idx ALTER COLUMN 5 SET STATISTICS 1000;
ALTER INDEX users_search_order_idx ALTER COLUMN 6 SET STATISTICS 1000;
ALTER INDEX users_email_search_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX users_first_name_idx ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX users_username_prefix_idx ALTER COLUMN 1 SET STATISTICS 1000;
-- Replaced by the indexes above: the same keys in the database's default collation, which
-- the planner can use neither for a prefix nor for the order compared in "C".
DROP INDEX users_kind_name_idx;
DROP INDEX users_last_name_idx;
DROP INDEX users_email_idx;
