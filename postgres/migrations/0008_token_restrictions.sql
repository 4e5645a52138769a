-- +goose Up
-- What narrows each token below its service account: a role cap ("" = none), its scopes and the
-- client address ranges it may be used from, each list in text as values separated by single
-- spaces ("" = none; see warden.TokenRestrictions.StoredScopes). Existing tokens get '' in all
-- three: unrestricted, as they were.
ALTER TABLE token ADD COLUMN role TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE token ADD COLUMN scopes TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE token ADD COLUMN allowed_cidrs TEXT COLLATE "C" NOT NULL DEFAULT '';
