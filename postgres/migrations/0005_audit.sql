-- +goose Up
-- The audit log names who acted as they were named then (a deleted user keeps its rows'
-- login), and GET /api/audit filters by actor, action and target, newest first.
ALTER TABLE audit_log ADD COLUMN actor_login TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id, id);
CREATE INDEX audit_log_actor_login ON audit_log (actor_login, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
