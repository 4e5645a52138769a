package warden

import "context"

var errUserNotFoundAdmin = Errorf(ENOTFOUND, "User not found")

// findSessionOwner loads the human user whose sessions an admin route manages; Grafana's
// session routes call anyone else "User not found".
func findSessionOwner(ctx context.Context, tx Tx, userID int64) (*User, error) {
	u, err := findHuman(ctx, tx, userID)
	if err == errUserNotFound {
		return nil, errUserNotFoundAdmin
	}
	return u, err
}

// UserSessions lists a user's signed-in sessions, the most recently used first
// (GET /api/admin/users/:id/auth-tokens).
func (s *Service) UserSessions(ctx context.Context, userID int64) ([]*Session, error) {
	var out []*Session
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := findSessionOwner(ctx, tx, userID); err != nil {
			return err
		}
		var err error
		out, err = tx.FindUserSessions(ctx, userID)
		return err
	})
	return out, err
}

// LogoutUser ends every session of another user (POST /api/admin/users/:id/logout); the user's
// next request with an old cookie is refused.
func (s *Service) LogoutUser(ctx context.Context, userID int64) error {
	if p := PrincipalFromContext(ctx); p.IsUser() && p.UserID == userID {
		return Errorf(EINVALID, "You cannot logout yourself")
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := findSessionOwner(ctx, tx, userID); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, userID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "user.logout", "user", idString(userID), "success", "")
	})
}

// RevokeUserSession ends one session of a user (POST /api/admin/users/:id/revoke-auth-token).
// The session the caller itself is using cannot be revoked this way.
func (s *Service) RevokeUserSession(ctx context.Context, userID, sessionID int64) error {
	if p := PrincipalFromContext(ctx); p != nil && p.SessionID != 0 && p.SessionID == sessionID {
		return Errorf(EINVALID, "Cannot revoke active user auth token")
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := findSessionOwner(ctx, tx, userID); err != nil {
			return err
		}
		sessions, err := tx.FindUserSessions(ctx, userID)
		if err != nil {
			return err
		}
		for _, sess := range sessions {
			if sess.ID != sessionID {
				continue
			}
			if err := tx.DeleteSession(ctx, sess.ID); err != nil {
				return err
			}
			return s.audit(ctx, tx, "user.session.revoke", "user", idString(userID), "success", "session="+idString(sessionID))
		}
		return Errorf(ENOTFOUND, "User auth token not found")
	})
}
