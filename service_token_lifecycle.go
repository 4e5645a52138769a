package warden

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"
)

var errTokenRotated = ErrorID(ECONFLICT, "serviceaccounts.ErrTokenRotated",
	"This token was already rotated; rotate the token that replaced it")

// EffectiveExpiry returns when a token stops working: its own expiry or, when the day limit is
// enforced at use, its creation plus the limit, whichever comes first. Zero: never.
func (s *Service) EffectiveExpiry(tk *Token) time.Time {
	end := tk.Expires
	if limit := s.cfg.TokenExpirationDayLimit; s.cfg.EnforceDayLimitAtUse && limit > 0 {
		byLimit := tk.Created.AddDate(0, 0, limit)
		if end.IsZero() || byLimit.Before(end) {
			end = byLimit
		}
	}
	return end
}

// tokenExpiry checks a requested lifetime against the limits, as token creation does, and
// returns the expiry it gives (zero: none).
func (s *Service) tokenExpiry(now time.Time, secondsToLive int64) (time.Time, error) {
	if max := s.cfg.APIKeyMaxSecondsToLive; max >= 0 {
		if secondsToLive == 0 {
			return time.Time{}, Errorf(EINVALID, "Number of seconds before expiration should be set")
		}
		if secondsToLive > max {
			return time.Time{}, Errorf(EINVALID, "Number of seconds before expiration is greater than the global limit")
		}
	}
	if s.expiryLimitExceeded(now, secondsToLive) {
		return time.Time{}, ErrTokenExpiryLimit
	}
	if secondsToLive < 0 {
		return time.Time{}, errTokenInvalidTTL
	}
	if secondsToLive == 0 {
		return time.Time{}, nil
	}
	if secondsToLive > int64(math.MaxInt64/time.Second) || now.Add(time.Duration(secondsToLive)*time.Second).Year() > 9999 {
		return time.Time{}, errTokenInvalidTTL
	}
	return now.Add(time.Duration(secondsToLive) * time.Second), nil
}

// creator returns who a token made in ctx is created by.
func creator(ctx context.Context) TokenCreator {
	if p := PrincipalFromContext(ctx); p != nil {
		return TokenCreator{Kind: string(p.Kind), ID: p.UserID, Login: p.Login}
	}
	return TokenCreator{Kind: "system"}
}

// Rotation is what rotating a token asks for; nil fields take their defaults.
type Rotation struct {
	// SecondsToLive is the new token's lifetime; nil: the old token's own (none if it had
	// none).
	SecondsToLive *int64
	// Grace is how long the old token keeps working; nil: [service_accounts]
	// rotation_grace_period. Zero refuses it at once.
	Grace *time.Duration
}

// RotateToken replaces a token of a service account of the caller's org by a new one with the
// same name and settings. The old one keeps working until the earlier of its own end and now +
// the grace period, is renamed "<name> (rotated <time>, #<id>)" and names its replacement. A
// token already rotated is refused (ECONFLICT); an expired one may be rotated. It returns the
// new token and its plaintext, and the old token as it is now.
func (s *Service) RotateToken(ctx context.Context, saID, tokenID int64, r Rotation) (*Token, Secret, *Token, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, Secret{}, nil, ErrServiceAccountNotFound
	}
	if _, err := s.FindServiceAccount(ctx, saID); err != nil {
		return nil, Secret{}, nil, err
	}
	if tokenID <= 0 {
		return nil, Secret{}, nil, errTokenInvalidID
	}
	grace := s.cfg.RotationGracePeriod
	if r.Grace != nil {
		grace = *r.Grace
	}
	if grace < 0 {
		return nil, Secret{}, nil, Errorf(EINVALID, "gracePeriodSeconds must not be negative")
	}
	secret, err := NewSecret(s.Rand)
	if err != nil {
		return nil, Secret{}, nil, err
	}
	now := s.now()
	var old, tk *Token
	err = s.store.Update(ctx, func(tx Tx) error {
		old, err = tx.FindToken(ctx, p.OrgID, saID, tokenID)
		if IsNotFound(err) {
			return errTokenNotFound
		} else if err != nil {
			return err
		}
		if old.ReplacedBy != 0 {
			return errTokenRotated
		}
		seconds := int64(0)
		if !old.Expires.IsZero() {
			seconds = int64(old.Expires.Sub(old.Created) / time.Second)
		}
		if r.SecondsToLive != nil {
			seconds = *r.SecondsToLive
		}
		expires, err := s.tokenExpiry(now, seconds)
		if err != nil {
			return err
		}
		name := old.Name
		// The old token steps aside: renamed (names are unique in the org), and ending within
		// the grace period.
		old.Name = rotatedName(old.Name, old.ID, now)
		end := now.Add(grace)
		if cur := s.EffectiveExpiry(old); !cur.IsZero() && cur.Before(end) {
			end = cur
		}
		old.Expires, old.Updated = end, now
		if err := tx.UpdateToken(ctx, old); err != nil {
			if IsConflict(err) {
				return Errorf(ECONFLICT, "Another token is named %q; rename it and rotate again", old.Name)
			}
			return err
		}
		tk = &Token{OrgID: p.OrgID, ServiceAccountID: saID, Name: name, Hash: secret.Hash(), Created: now, Updated: now,
			Expires: expires, CreatedBy: creator(ctx), Replaces: old.ID, Restrictions: old.Restrictions}
		if err := tx.CreateToken(ctx, tk); err != nil {
			return err
		}
		old.ReplacedBy = tk.ID
		if err := tx.UpdateToken(ctx, old); err != nil {
			return err
		}
		return s.audit(ctx, tx, "token.rotate", "token", idString(old.ID), "success",
			fmt.Sprintf("serviceaccount=%d name=%s new=%d old_ends=%s", saID, name, tk.ID, end.UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return nil, Secret{}, nil, err
	}
	// Every cache, here and on other instances, drops the old token's entry: its next use
	// reads the new end.
	s.emit(Change{Kind: ChangeTokenUpdated, OrgID: p.OrgID, ServiceAccountID: saID, TokenID: old.ID},
		Change{Kind: ChangeTokenCreated, OrgID: p.OrgID, ServiceAccountID: saID, TokenID: tk.ID})
	return tk, secret, old, nil
}

// rotatedName is the name a rotated token steps aside to: unique, since it holds the token's
// id, readable, and no longer than any name may be (a long name is cut to make room).
func rotatedName(name string, id int64, now time.Time) string {
	suffix := fmt.Sprintf(" (rotated %s, #%d)", now.UTC().Format("2006-01-02 15:04:05"), id)
	if r := []rune(name); len(r)+len(suffix) > MaxNameLen {
		name = string(r[:MaxNameLen-len(suffix)])
	}
	return name + suffix
}

// DeleteExpiredTokens deletes the expired tokens of a service account of the caller's org (by
// their effective end) and reports how many went.
func (s *Service) DeleteExpiredTokens(ctx context.Context, saID int64) (int, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return 0, ErrServiceAccountNotFound
	}
	if _, err := s.FindServiceAccount(ctx, saID); err != nil {
		return 0, err
	}
	now := s.now()
	deleted, err := s.deleteExpired(ctx, ExpiredTokens{OrgID: p.OrgID, ServiceAccountID: saID, ExpiredBefore: now,
		CreatedBefore: s.createdBeforeLimit(now), Limit: MaxTokensListed})
	return len(deleted), err
}

// createdBeforeLimit is the creation time at or before which a token is past the day limit at
// now, when that limit is enforced at use (zero otherwise).
func (s *Service) createdBeforeLimit(now time.Time) time.Time {
	if limit := s.cfg.TokenExpirationDayLimit; s.cfg.EnforceDayLimitAtUse && limit > 0 {
		return now.AddDate(0, 0, -limit)
	}
	return time.Time{}
}

// deleteExpired deletes the tokens f selects, auditing each, and announces the deletions.
func (s *Service) deleteExpired(ctx context.Context, f ExpiredTokens) ([]*Token, error) {
	var deleted []*Token
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if deleted, err = tx.DeleteExpiredTokens(ctx, f); err != nil {
			return err
		}
		for _, tk := range deleted {
			if err := s.audit(ctx, tx, "token.delete_expired", "token", idString(tk.ID), "success",
				fmt.Sprintf("serviceaccount=%d name=%s", tk.ServiceAccountID, tk.Name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, tk := range deleted {
		s.emit(Change{Kind: ChangeTokenDeleted, OrgID: tk.OrgID, ServiceAccountID: tk.ServiceAccountID, TokenID: tk.ID})
	}
	return deleted, nil
}

// PurgeExpiredTokens deletes, in every org, the tokens expired for longer than
// [service_accounts] expired_token_retention_days, in batches, as the system. It returns how
// many went.
func (s *Service) PurgeExpiredTokens(ctx context.Context) (int, error) {
	keep := s.cfg.ExpiredTokenRetention
	if keep < 0 {
		return 0, nil
	}
	ctx = NewSystemContext(ctx, "expired-token cleanup")
	cutoff := s.now().Add(-keep)
	total := 0
	for {
		deleted, err := s.deleteExpired(ctx, ExpiredTokens{ExpiredBefore: cutoff,
			CreatedBefore: s.createdBeforeLimit(cutoff), Limit: 500})
		total += len(deleted)
		if err != nil || len(deleted) < 500 {
			return total, err
		}
	}
}

// RunExpiredTokenCleanup runs PurgeExpiredTokens every interval until ctx ends. exclusive runs
// a function only where no other instance runs it at the same time (PostgreSQL's advisory
// lock), or nil for a single instance.
func (s *Service) RunExpiredTokenCleanup(ctx context.Context, logger *slog.Logger, interval time.Duration,
	exclusive func(context.Context, func(context.Context) error) error) {
	run := func() {
		purge := func(ctx context.Context) error {
			n, err := s.PurgeExpiredTokens(ctx)
			if n > 0 {
				logger.Info("deleted expired tokens", "count", n, "retention", s.cfg.ExpiredTokenRetention)
			}
			return err
		}
		var err error
		if exclusive != nil {
			err = exclusive(ctx, purge)
		} else {
			err = purge(ctx)
		}
		if err != nil && ctx.Err() == nil {
			logger.Error("delete expired tokens", "err", err)
		}
	}
	run()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			run()
		}
	}
}

// FindToken returns one token of a service account of the caller's org.
func (s *Service) FindToken(ctx context.Context, saID, tokenID int64) (*Token, error) {
	p, err := callerOrg(ctx)
	if err != nil {
		return nil, ErrServiceAccountNotFound
	}
	if _, err := s.FindServiceAccount(ctx, saID); err != nil {
		return nil, err
	}
	var tk *Token
	err = s.store.View(ctx, func(tx Tx) error {
		tk, err = tx.FindToken(ctx, p.OrgID, saID, tokenID)
		return err
	})
	if IsNotFound(err) {
		return nil, errTokenNotFound
	}
	return tk, err
}
