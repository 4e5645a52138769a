-- +goose Up
-- FindServiceAccounts lists an org's service accounts ORDER BY email, login, id; this index
-- serves that order (and a page of it) without sorting the whole org. Unlike SQLite's, it does
-- not include name: a PostgreSQL index entry must fit in 2704 bytes, and names are unbounded.
CREATE INDEX users_org_sa_order ON users (org_id, is_service_account, email, login, id);
