-- +goose Up
-- Warden schema, version 1. Times are Unix seconds (UTC).

CREATE TABLE org (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	name     TEXT NOT NULL UNIQUE,
	address1 TEXT NOT NULL DEFAULT '',
	address2 TEXT NOT NULL DEFAULT '',
	city     TEXT NOT NULL DEFAULT '',
	zip_code TEXT NOT NULL DEFAULT '',
	state    TEXT NOT NULL DEFAULT '',
	country  TEXT NOT NULL DEFAULT '',
	created  INTEGER NOT NULL,
	updated  INTEGER NOT NULL
);

-- Humans and service accounts share one table, so a login or email is unique across both.
CREATE TABLE users (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	uid                TEXT NOT NULL UNIQUE,
	login              TEXT NOT NULL UNIQUE,
	email              TEXT NOT NULL UNIQUE,
	name               TEXT NOT NULL DEFAULT '',
	theme              TEXT NOT NULL DEFAULT '',
	password_hash      TEXT NOT NULL DEFAULT '',
	is_admin           INTEGER NOT NULL DEFAULT 0,
	is_disabled        INTEGER NOT NULL DEFAULT 0,
	is_service_account INTEGER NOT NULL DEFAULT 0,
	org_id             INTEGER NOT NULL DEFAULT 0,
	created            INTEGER NOT NULL,
	updated            INTEGER NOT NULL,
	last_seen_at       INTEGER NOT NULL
);
CREATE INDEX users_org_sa ON users (org_id, is_service_account);

CREATE TABLE org_user (
	org_id  INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role    TEXT NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_user_user ON org_user (user_id);

CREATE TABLE team (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	uid     TEXT NOT NULL UNIQUE,
	org_id  INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
	name    TEXT NOT NULL,
	email   TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	UNIQUE (org_id, name)
);

CREATE TABLE team_member (
	team_id    INTEGER NOT NULL REFERENCES team (id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	org_id     INTEGER NOT NULL,
	permission INTEGER NOT NULL DEFAULT 0,
	created    INTEGER NOT NULL,
	PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_member_user ON team_member (user_id);

-- Sessions keep only the SHA-256 of the cookie value.
CREATE TABLE session (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	client_ip  TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	created    INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL
);
CREATE INDEX session_user ON session (user_id);

CREATE TABLE login_attempt (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	username   TEXT NOT NULL,
	ip_address TEXT NOT NULL DEFAULT '',
	created    INTEGER NOT NULL
);
CREATE INDEX login_attempt_username ON login_attempt (username, created);
CREATE INDEX login_attempt_ip ON login_attempt (ip_address, created);

-- Per-object grants to a user or a team ("managed permissions").
CREATE TABLE managed_permission (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id      INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
	resource    TEXT NOT NULL,
	resource_id INTEGER NOT NULL,
	user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
	team_id     INTEGER REFERENCES team (id) ON DELETE CASCADE,
	level       TEXT NOT NULL,
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
CREATE UNIQUE INDEX managed_permission_user ON managed_permission (resource, resource_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX managed_permission_team ON managed_permission (resource, resource_id, team_id) WHERE team_id IS NOT NULL;
CREATE INDEX managed_permission_org_user ON managed_permission (org_id, user_id);
CREATE INDEX managed_permission_org_team ON managed_permission (org_id, team_id);

-- The audit trail has no foreign keys: it outlives what it describes.
CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	created     INTEGER NOT NULL,
	actor_kind  TEXT NOT NULL,
	actor_id    INTEGER NOT NULL DEFAULT 0,
	token_id    INTEGER NOT NULL DEFAULT 0,
	org_id      INTEGER NOT NULL DEFAULT 0,
	client_ip   TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	target_type TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	outcome     TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_created ON audit_log (created);
