-- The admin search (modules/admin/search-users.ts) reads the users a word starts a column of
-- whole, through indexes led by that column, when a walk of the name order finds too few.
-- Each index below holds what the search needs of such a user: the lower-cased columns the
-- other words are checked against, the kind, and the plain columns, without which the planner
-- would not read the index alone (as in 0008).
--
-- Most usernames begin with their owner's first name (maria.garcia7), most emails with the
-- first or the last name (garcia.maria@…). A word starting such a username starts that name
-- too, or the name begins the word: "maria" starts maria.garcia7 and the first name Maria;
-- "james.s" starts james.smith3, found as the first name "james" and, after it in the index,
-- the username range "james.s…". So usernames and emails are read in three ways: through the
-- first (or last) name they begin with, as here; by themselves, only those not beginning with
-- their owner's name (the partial indexes); and not at all when the word starts the name. A
-- word such as "maria" then reads its Marias once, not once more for their usernames and emails.
CREATE INDEX users_first_name_search_idx ON users (
  (lower(first_name) COLLATE "C"), (lower(username) COLLATE "C"), (lower(last_name) COLLATE "C"), (lower(email) COLLATE "C")
) INCLUDE (id, kind, first_name, last_name, username, email);
CREATE INDEX users_first_name_email_search_idx ON users (
  (lower(first_name) COLLATE "C"), (lower(email) COLLATE "C"), (lower(last_name) COLLATE "C"), (lower(username) COLLATE "C")
) INCLUDE (id, kind, first_name, last_name, username, email);
CREATE INDEX users_last_name_email_search_idx ON users (
  (lower(last_name) COLLATE "C"), (lower(email) COLLATE "C"), (lower(first_name) COLLATE "C"), (lower(username) COLLATE "C")
) INCLUDE (id, kind, first_name, last_name, username, email);
CREATE INDEX users_own_username_search_idx ON users (
  (lower(username) COLLATE "C"), (lower(last_name) COLLATE "C"), (lower(first_name) COLLATE "C"), (lower(email) COLLATE "C")
) INCLUDE (id, kind, first_name, last_name, username, email)
WHERE NOT starts_with(lower(username), lower(first_name));
CREATE INDEX users_own_email_search_idx ON users (
  (lower(email) COLLATE "C"), (lower(last_name) COLLATE "C"), (lower(first_name) COLLATE "C"), (lower(username) COLLATE "C")
) INCLUDE (id, kind, first_name, last_name, username, email)
WHERE NOT starts_with(lower(email), lower(first_name)) AND NOT starts_with(lower(email), lower(last_name));
-- Walked for staff, the staff index is now read alone as well.
DROP INDEX users_staff_search_order_idx;
CREATE INDEX users_staff_search_order_idx ON users (
  (lower(last_name) COLLATE "C"), (lower(first_name) COLLATE "C"), id,
  (lower(username) COLLATE "C"), (lower(email) COLLATE "C")
) INCLUDE (first_name, last_name, username, email) WHERE kind = 'staff';
-- Replaced by the indexes above: every email in one index, and prefix indexes in the
-- database's default collation, which the planner can use neither for a range in "C" nor alone.
DROP INDEX users_email_search_idx;
DROP INDEX users_first_name_idx;
DROP INDEX users_username_prefix_idx;
