-- +goose Up
-- Grafana's preferences of an org (user_id and team_id NULL), of a team, or of a user in an org.
-- Warden keeps them for Grafana's clients (Terraform reads a team's after every apply); the
-- document is the JSON of warden.Preferences. Owners' rows go with them by foreign key.
CREATE TABLE preferences (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id    INTEGER NOT NULL REFERENCES org (id) ON DELETE CASCADE,
	user_id   INTEGER REFERENCES users (id) ON DELETE CASCADE,
	team_id   INTEGER REFERENCES team (id) ON DELETE CASCADE,
	json_data TEXT NOT NULL,
	created   INTEGER NOT NULL,
	updated   INTEGER NOT NULL
);
CREATE UNIQUE INDEX preferences_owner ON preferences (org_id, COALESCE(user_id, 0), COALESCE(team_id, 0));
CREATE INDEX preferences_user ON preferences (user_id);
CREATE INDEX preferences_team ON preferences (team_id);
