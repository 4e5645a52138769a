package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
)

// This file joins instances that share a PostgreSQL database: each change one instance commits
// is announced with NOTIFY and applied to every other instance's caches; while an instance is
// not listening it serves nothing from its caches. It also watches the clock, since each
// instance judges token expiry by its own.

// changeChannel is the LISTEN/NOTIFY channel of cache invalidations.
const changeChannel = "warden_changes"

// changeBus is what a store offers for several instances to agree (the PostgreSQL store).
type changeBus interface {
	Notify(ctx context.Context, channel, payload string) error
	Listen(ctx context.Context, channel string, onNotify func(payload string), onState func(listening bool)) error
	Now(ctx context.Context) (time.Time, error)
}

// exclusive is what a store offers to run start-up steps on one instance at a time.
type exclusive interface {
	Exclusive(ctx context.Context, fn func(ctx context.Context) error) error
}

// changeMessage is a Change on the wire, with the sending instance so it can skip its own.
type changeMessage struct {
	From             string            `json:"from"`
	Kind             warden.ChangeKind `json:"kind"`
	OrgID            int64             `json:"orgId,omitempty"`
	ServiceAccountID int64             `json:"serviceAccountId,omitempty"`
	TokenID          int64             `json:"tokenId,omitempty"`
	UserID           int64             `json:"userId,omitempty"`
}

// cluster relays changes between this instance and the others.
type cluster struct {
	bus    changeBus
	svc    *warden.Service
	logger *slog.Logger
	id     string // this instance, in messages

	mu      sync.Mutex
	pending []string      // payloads not yet sent
	wake    chan struct{} // signals the sender

	listening prometheus.Gauge
	skew      prometheus.Gauge
}

func newCluster(bus changeBus, svc *warden.Service, logger *slog.Logger, reg *prometheus.Registry) *cluster {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	c := &cluster{
		bus: bus, svc: svc, logger: logger, id: hex.EncodeToString(b), wake: make(chan struct{}, 1),
		listening: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "warden_cache_listener_up",
			Help: "1 while this instance listens for other instances' changes (its caches are in use), else 0.",
		}),
		skew: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "warden_clock_skew_seconds",
			Help: "This instance's clock minus the database's, as last measured.",
		}),
	}
	reg.MustRegister(c.listening, c.skew)
	// Until the listener is up, changes made elsewhere could be missed.
	svc.SuspendCaches()
	svc.Subscribe(c.publish)
	return c
}

// publish queues a local change for the other instances. Sending happens in the background so
// a request never waits on it, and is retried until the database takes it.
func (c *cluster) publish(ch warden.Change) {
	if ch.Kind == warden.ChangeTokenCreated {
		return // a new token changes no cached identity
	}
	payload, err := json.Marshal(changeMessage{From: c.id, Kind: ch.Kind, OrgID: ch.OrgID,
		ServiceAccountID: ch.ServiceAccountID, TokenID: ch.TokenID, UserID: ch.UserID})
	if err != nil {
		c.logger.Error("encode change", "err", err)
		return
	}
	c.mu.Lock()
	c.pending = append(c.pending, string(payload))
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// runSender sends queued changes until ctx ends, then tries once more to send what is left.
func (c *cluster) runSender(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			c.send(fctx)
			cancel()
			return
		case <-c.wake:
		}
		for !c.send(ctx) && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
		}
		backoff = 100 * time.Millisecond
	}
}

// send notifies every queued change, reporting whether the queue is now empty.
func (c *cluster) send(ctx context.Context) bool {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.mu.Unlock()
			return true
		}
		p := c.pending[0]
		c.mu.Unlock()
		if err := c.bus.Notify(ctx, changeChannel, p); err != nil {
			if ctx.Err() == nil {
				c.logger.Warn("announce change to other instances; retrying", "err", err)
			}
			return false
		}
		c.mu.Lock()
		c.pending = c.pending[1:]
		c.mu.Unlock()
	}
}

// runListener applies other instances' changes until ctx ends. The caches are in use only
// while the listener is up; a reconnect starts them empty, since changes may have been missed.
func (c *cluster) runListener(ctx context.Context) {
	err := c.bus.Listen(ctx, changeChannel, c.receive, func(up bool) {
		if up {
			c.svc.ResumeCaches()
			c.listening.Set(1)
			c.logger.Info("listening for changes from other instances; caches in use")
			return
		}
		c.svc.SuspendCaches()
		c.listening.Set(0)
		if ctx.Err() == nil {
			c.logger.Warn("lost the change listener; serving without caches until it is back")
		}
	})
	if err != nil && ctx.Err() == nil {
		c.logger.Error("change listener stopped", "err", err)
	}
}

func (c *cluster) receive(payload string) {
	var m changeMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Kind == "" {
		// Not understood (a newer version's message?): forget everything to be safe.
		c.logger.Warn("unknown change message; emptying caches", "err", err)
		c.svc.ResumeCaches()
		return
	}
	if m.From == c.id {
		return
	}
	c.svc.ApplyChange(warden.Change{Kind: m.Kind, OrgID: m.OrgID, ServiceAccountID: m.ServiceAccountID,
		TokenID: m.TokenID, UserID: m.UserID})
}

// maxClockSkew is how far this instance's clock may be from the database's before it warns.
const maxClockSkew = time.Second

// runClockCheck compares this instance's clock with the database's at start and every minute.
func (c *cluster) runClockCheck(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		c.checkClock(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *cluster) checkClock(ctx context.Context) {
	before := time.Now()
	dbNow, err := c.bus.Now(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.logger.Warn("read the database clock", "err", err)
		}
		return
	}
	after := time.Now()
	// Compare with the middle of the round trip.
	skew := before.Add(after.Sub(before) / 2).Sub(dbNow)
	c.skew.Set(skew.Seconds())
	if skew > maxClockSkew || skew < -maxClockSkew {
		c.logger.Warn("this instance's clock differs from the database's; token expiry is judged by the local clock",
			"skew", skew.Round(time.Millisecond).String(), "limit", maxClockSkew.String())
	}
}
