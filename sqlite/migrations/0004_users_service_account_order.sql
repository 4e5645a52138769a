-- +goose Up
-- FindServiceAccounts lists an org's service accounts ORDER BY email, login, id; this index
-- serves that order (and a page of it) without sorting the whole org. With name it also covers
-- the search filter on login, email and name, so a substring search scans the index alone
-- instead of visiting every row of the table.
CREATE INDEX users_org_sa_order ON users (org_id, is_service_account, email, login, id, name);
