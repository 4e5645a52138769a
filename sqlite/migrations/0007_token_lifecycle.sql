-- +goose Up
-- Who created each token (kind "" for tokens made before it was recorded), the client address
-- of its latest use, and the rotation chain: the token that replaced it and the one it
-- replaced (ids kept after either is deleted, so no foreign key).
ALTER TABLE token ADD COLUMN created_by_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE token ADD COLUMN created_by_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE token ADD COLUMN created_by_login TEXT NOT NULL DEFAULT '';
ALTER TABLE token ADD COLUMN last_used_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE token ADD COLUMN replaced_by INTEGER;
ALTER TABLE token ADD COLUMN replaces INTEGER;
