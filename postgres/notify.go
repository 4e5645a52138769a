package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen reconnects after a lost connection with a pause that starts at listenMinBackoff and
// doubles up to listenMaxBackoff; the pause starts again at the minimum after each success.
const (
	listenMinBackoff = 100 * time.Millisecond
	listenMaxBackoff = 2 * time.Second
	listenPingTime   = 5 * time.Second // the most a check of the connection may take
)

// Notify sends payload on channel to every session listening on it, in this database
// (pg_notify). PostgreSQL delivers it once it is sent, to listeners connected at that moment;
// payloads are limited to just under 8000 bytes.
func (db *DB) Notify(ctx context.Context, channel, payload string) error {
	return db.withConn(ctx, "notify", func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload)
		return err
	})
}

// Now returns the database server's current time (now()), for comparing the clocks of
// instances sharing it.
func (db *DB) Now(ctx context.Context) (time.Time, error) {
	var now time.Time
	err := db.withConn(ctx, "now", func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT now()").Scan(&now)
	})
	return now, err
}

// Listen listens on channel until ctx ends, then returns nil. It holds one direct connection
// of its own (not from the pool), with application_name ListenerApplicationName, and calls
// onNotify with the payload of every notification, one at a time on Listen's goroutine, in the
// order they arrive: onNotify should return quickly.
//
// onState (may be nil) tells whether notifications are being received: onState(true) once
// LISTEN took effect, onState(false) when the connection is lost (or ctx ends). Listen then
// reconnects with a growing pause (100ms doubling up to 2s) and calls onState(true) again once
// it listens anew. Notifications sent while it was not listening are lost, so a caller that
// caches should drop its cache when onState(true) follows onState(false).
//
// A connection that dies silently (a network partition) is found by a ping after a quiet
// period. Errors other than a bad argument are logged, never returned.
func (db *DB) Listen(ctx context.Context, channel string, onNotify func(payload string), onState func(listening bool)) error {
	if channel == "" {
		return errors.New("postgres: listen: empty channel name")
	}
	if onNotify == nil {
		return errors.New("postgres: listen: nil onNotify")
	}
	if onState == nil {
		onState = func(bool) {}
	}
	backoff := listenMinBackoff
	for {
		listened, err := db.listenOnce(ctx, channel, onNotify, onState)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			backoff = listenMinBackoff
		}
		db.logger.WarnContext(ctx, "postgres: not listening for notifications; reconnecting",
			"channel", channel, "err", err, "retry_in", backoff)
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		backoff = min(2*backoff, listenMaxBackoff)
	}
}

// listenOnce connects, listens on channel and delivers notifications until the connection
// fails or ctx ends. It reports whether it got as far as listening, and why it stopped.
func (db *DB) listenOnce(ctx context.Context, channel string, onNotify func(string), onState func(bool)) (listened bool, err error) {
	cfg := db.pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] = ListenerApplicationName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listenPingTime)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	onState(true)
	defer onState(false)
	for {
		wctx, cancel := context.WithTimeout(ctx, db.listenCheck)
		n, err := conn.WaitForNotification(wctx)
		timedOut := wctx.Err() != nil
		cancel()
		switch {
		case err == nil:
			onNotify(n.Payload)
		case ctx.Err() != nil:
			return true, ctx.Err()
		case timedOut && !conn.IsClosed():
			// Silence for a while: make sure the connection is still there.
			timeout := db.listenCheck
			if db.listenPing > 0 {
				timeout = db.listenPing
			}
			pctx, cancel := context.WithTimeout(ctx, min(listenPingTime, timeout))
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, fmt.Errorf("ping: %w", err)
			}
		default:
			return true, fmt.Errorf("wait for notification: %w", err)
		}
	}
}
