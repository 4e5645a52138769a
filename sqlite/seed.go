package sqlite

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Seeding writes benchmark data in bulk: many rows per INSERT statement and many statements
// per transaction, so that 100k service accounts and 1M tokens take minutes, not hours.
const (
	seedUsersPerStmt  = 500  // 13 columns: 6,500 bound variables per statement
	seedTokensPerStmt = 1000 // 6 columns: 6,000 bound variables per statement
	seedRowsPerTx     = 5000
	// SeedMaxSamples is how many plaintext tokens SeedServiceAccounts returns at most.
	SeedMaxSamples = 256
)

// seedUIDAlphabet is the service's alphabet for user UIDs (lowercase letters and digits).
const seedUIDAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// SeedServiceAccounts creates accounts service accounts (role Viewer) in org orgID and tokens
// tokens spread round-robin over them, with the same rows the service would write: users rows
// with is_service_account=1, login and email "sa-<org>-<name>", a random 14-character uid, an
// org_user row, and token rows whose key_hash is the Hash of a real NewSecret. Names carry a
// random run tag, so seeding twice does not collide. No audit rows are written.
//
// It returns up to SeedMaxSamples plaintext tokens, spread evenly over the tokens created, for
// load tests; the caller must keep them out of logs. Progress lines go to progress (may be nil).
func (db *DB) SeedServiceAccounts(ctx context.Context, orgID int64, accounts, tokens int, now time.Time, progress io.Writer) ([]string, error) {
	if accounts < 0 || tokens < 0 {
		return nil, fmt.Errorf("seed: negative count")
	}
	if tokens > 0 && accounts == 0 {
		return nil, fmt.Errorf("seed: tokens need at least one service account")
	}
	if progress == nil {
		progress = io.Discard
	}
	var exists int
	if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM org WHERE id = ?", orgID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("seed: find org: %w", err)
	}
	if exists == 0 {
		return nil, warden.Errorf(warden.ENOTFOUND, "org %d not found", orgID)
	}
	rnd := bufio.NewReaderSize(rand.Reader, 1<<16)
	tag, err := seedRandom(rnd, 6)
	if err != nil {
		return nil, err
	}
	ts := now.Unix()
	lastSeen := now.AddDate(-10, 0, 0).Unix()

	// Service accounts, in transactions of seedRowsPerTx rows; their ids come back by RETURNING.
	ids := make([]int64, accounts)
	start := time.Now()
	for lo := 0; lo < accounts; lo += seedRowsPerTx {
		hi := min(lo+seedRowsPerTx, accounts)
		err := db.seedTx(ctx, func(tx *sql.Tx) error {
			for a := lo; a < hi; a += seedUsersPerStmt {
				b := min(a+seedUsersPerStmt, hi)
				var q strings.Builder
				q.WriteString(`INSERT INTO users (uid, login, email, name, theme, password_hash, is_admin,
					is_disabled, is_service_account, org_id, created, updated, last_seen_at) VALUES `)
				args := make([]any, 0, 13*(b-a))
				for i := a; i < b; i++ {
					if i > a {
						q.WriteByte(',')
					}
					q.WriteString("(?,?,?,?,'','',0,0,1,?,?,?,?)")
					uid, err := seedRandom(rnd, 14)
					if err != nil {
						return err
					}
					name := fmt.Sprintf("seed-%s-%07d", tag, i)
					login := warden.ServiceAccountLogin(orgID, name)
					args = append(args, uid, login, login, name, orgID, ts, ts, lastSeen)
				}
				q.WriteString(" RETURNING id, name")
				rows, err := tx.QueryContext(ctx, q.String(), args...)
				if err != nil {
					return formatError(err)
				}
				for rows.Next() {
					var id int64
					var name string
					if err := rows.Scan(&id, &name); err != nil {
						rows.Close()
						return err
					}
					var n int
					if _, err := fmt.Sscanf(name[len("seed-")+len(tag)+1:], "%d", &n); err != nil || n < a || n >= b {
						rows.Close()
						return fmt.Errorf("seed: unexpected returned name %q", name)
					}
					ids[n] = id
				}
				if err := rows.Close(); err != nil {
					return err
				}
				if err := rows.Err(); err != nil {
					return err
				}
				var ou strings.Builder
				ou.WriteString("INSERT INTO org_user (org_id, user_id, role, created, updated) VALUES ")
				oargs := make([]any, 0, 5*(b-a))
				for i := a; i < b; i++ {
					if i > a {
						ou.WriteByte(',')
					}
					ou.WriteString("(?,?,?,?,?)")
					oargs = append(oargs, orgID, ids[i], string(warden.RoleViewer), ts, ts)
				}
				if _, err := tx.ExecContext(ctx, ou.String(), oargs...); err != nil {
					return formatError(err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed service accounts: %w", err)
		}
		fmt.Fprintf(progress, "seed: %d/%d service accounts (%s)\n", hi, accounts, time.Since(start).Round(time.Millisecond))
	}

	// Tokens, round-robin over the accounts.
	every := max(1, tokens/SeedMaxSamples)
	var samples []string
	start = time.Now()
	for lo := 0; lo < tokens; lo += seedRowsPerTx {
		hi := min(lo+seedRowsPerTx, tokens)
		err := db.seedTx(ctx, func(tx *sql.Tx) error {
			for a := lo; a < hi; a += seedTokensPerStmt {
				b := min(a+seedTokensPerStmt, hi)
				var q strings.Builder
				q.WriteString("INSERT INTO token (org_id, service_account_id, name, key_hash, created, updated) VALUES ")
				args := make([]any, 0, 6*(b-a))
				for i := a; i < b; i++ {
					if i > a {
						q.WriteByte(',')
					}
					q.WriteString("(?,?,?,?,?,?)")
					sec, err := warden.NewSecret(rnd)
					if err != nil {
						return err
					}
					if i%every == 0 && len(samples) < SeedMaxSamples {
						samples = append(samples, sec.Reveal())
					}
					args = append(args, orgID, ids[i%accounts], fmt.Sprintf("seed-%s-%07d", tag, i), sec.Hash(), ts, ts)
				}
				if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
					return formatError(err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed tokens: %w", err)
		}
		if hi%(20*seedRowsPerTx) == 0 || hi == tokens {
			fmt.Fprintf(progress, "seed: %d/%d tokens (%s)\n", hi, tokens, time.Since(start).Round(time.Millisecond))
		}
	}
	return samples, nil
}

// seedTx runs fn in one write transaction, committing if it returns nil.
func (db *DB) seedTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// seedRandom returns n characters drawn uniformly from seedUIDAlphabet (rejection sampling).
func seedRandom(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("seed randomness: %w", err)
		}
		for _, c := range buf {
			// 252 = 7*36: higher bytes would favour the first characters.
			if c < 252 && len(out) < n {
				out = append(out, seedUIDAlphabet[c%36])
			}
		}
	}
	return string(out), nil
}
