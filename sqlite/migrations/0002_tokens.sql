-- +goose Up
-- Service-account tokens. Only the tagged SHA-256 of a token is stored (key_hash); the row is
-- found by it. Names are unique per org, as in Grafana.
CREATE TABLE token (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id             INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
	service_account_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name               TEXT NOT NULL,
	key_hash           TEXT NOT NULL UNIQUE,
	created            INTEGER NOT NULL,
	updated            INTEGER NOT NULL,
	expires            INTEGER,
	last_used_at       INTEGER,
	is_revoked         INTEGER NOT NULL DEFAULT 0,
	UNIQUE (org_id, name)
);
CREATE INDEX token_service_account ON token (service_account_id);
CREATE INDEX token_expires ON token (expires) WHERE expires IS NOT NULL;
