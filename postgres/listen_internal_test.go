package postgres

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/postgres/pgtest"
)

// proxy forwards TCP connections to a server. It can freeze the connections open so far: they
// stay open but carry nothing more, as across a network partition. It counts the pings (pgx's
// "-- ping" query) clients send through it; a ping split across two reads is not counted, so
// the count may fall short but never runs ahead.
type proxy struct {
	ln     net.Listener
	target string
	pings  atomic.Int64

	mu    sync.Mutex // guards conns
	conns []*atomic.Bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	var wg sync.WaitGroup
	var open sync.Map // net.Conn → struct{}
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		wg.Wait()
	})
	ping := []byte("-- ping")
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			open.Store(c, struct{}{})
			open.Store(s, struct{}{})
			frozen := new(atomic.Bool)
			p.mu.Lock()
			p.conns = append(p.conns, frozen)
			p.mu.Unlock()
			pipe := func(dst, src net.Conn, fromClient bool) {
				defer dst.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 && !frozen.Load() {
						if fromClient {
							p.pings.Add(int64(bytes.Count(buf[:n], ping)))
						}
						if _, err := dst.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}
			wg.Go(func() { pipe(s, c, true) })
			wg.Go(func() { pipe(c, s, false) })
		}
	})
	return p
}

// freeze stops every connection open so far from carrying data.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.conns {
		f.Store(true)
	}
}

// openViaProxy opens a new database twice: directly, and through a proxy (whose store logs to
// the test's output).
func openViaProxy(t *testing.T) (direct, viaProxy *DB, p *proxy) {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	direct, err := Open(t.Context(), dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { direct.Close() })
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("test server URL is not a URL: %v", err)
	}
	p = newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	viaProxy, err = Open(t.Context(), u.String(), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { viaProxy.Close() })
	return direct, viaProxy, p
}

// listenEvent is one call of Listen's callbacks: onNotify(payload) or onState(on).
type listenEvent struct {
	notify  bool
	payload string
	on      bool
}

func (e listenEvent) String() string {
	if e.notify {
		return fmt.Sprintf("onNotify(%q)", e.payload)
	}
	return fmt.Sprintf("onState(%v)", e.on)
}

// testListener runs db.Listen on channel "c" and records its callbacks in order, in one channel.
type testListener struct {
	events chan listenEvent
	stop   func()
}

func startTestListener(t *testing.T, db *DB) *testListener {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	l := &testListener{events: make(chan listenEvent, 100)}
	record := func(e listenEvent) {
		select {
		case l.events <- e:
		case <-ctx.Done(): // never block Listen for good: a full channel waits only until stop
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Listen(ctx, "c",
			func(s string) { record(listenEvent{notify: true, payload: s}) },
			func(on bool) { record(listenEvent{on: on}) })
	}()
	var once sync.Once
	l.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(l.stop)
	return l
}

// want fails unless the next callback, within 10s, is want.
func (l *testListener) want(t *testing.T, want listenEvent) {
	t.Helper()
	select {
	case got := <-l.events:
		if got != want {
			t.Fatalf("%v, want %v", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %v within 10s", want)
	}
}

// wantNothing fails if a callback was made and not yet read.
func (l *testListener) wantNothing(t *testing.T, while string) {
	t.Helper()
	select {
	case got := <-l.events:
		t.Fatalf("%v %s", got, while)
	default:
	}
}

// A healthy connection that stays quiet is kept: the listener pings it after each quiet period,
// the pings succeed, and notifications still arrive on it.
//
// The pings here may take up to listenPingTime, so that a slow machine cannot fail them: a
// ping that outlives its timeout means a dead connection, and a notification sent while the
// listener reconnects is lost (as Listen documents).
func TestListen_QuietConnectionIsKept(t *testing.T) {
	t.Parallel()
	direct, viaProxy, p := openViaProxy(t)
	viaProxy.listenCheck = 100 * time.Millisecond
	viaProxy.listenPing = listenPingTime

	l := startTestListener(t, viaProxy)
	l.want(t, listenEvent{on: true})
	// Nothing but the listener uses viaProxy from here, so every ping counted is the listener's.
	// A third ping on the connection means the first two succeeded.
	before := p.pings.Load()
	for deadline := time.Now().Add(10 * time.Second); p.pings.Load() < before+3; time.Sleep(10 * time.Millisecond) {
		l.wantNothing(t, "while the connection was healthy")
		if time.Now().After(deadline) {
			t.Fatalf("%d pings within 10s of quiet, want 3 (one per %v)", p.pings.Load()-before, viaProxy.listenCheck)
		}
	}
	l.wantNothing(t, "while the connection was healthy")
	if err := direct.Notify(t.Context(), "c", "quiet"); err != nil {
		t.Fatal(err)
	}
	l.want(t, listenEvent{notify: true, payload: "quiet"})
	l.wantNothing(t, "while the connection was healthy")
	l.stop()
}

// A listener whose connection goes silent (no error, no data: a partition) notices with the
// ping after a quiet period, reconnects and listens again. The ping's timeout is listenCheck,
// as in production.
func TestListen_SilentConnectionIsReplaced(t *testing.T) {
	t.Parallel()
	direct, viaProxy, p := openViaProxy(t)
	viaProxy.listenCheck = 100 * time.Millisecond

	l := startTestListener(t, viaProxy)
	l.want(t, listenEvent{on: true})
	p.freeze()
	// No frozen connection can deliver anything, so a notification that arrives proves the
	// listener is on a new connection. Notifications sent before it listens again are lost, so
	// send them until one arrives. On a loaded machine a ping may also time out on a healthy new
	// connection and cost one more reconnection; either way each loss is reported before the
	// next onState(true), and onState(true) before anything arrives on the new connection.
	var states []bool
	deadline := time.After(10 * time.Second)
	for n, received := 1, false; !received; n++ {
		if err := direct.Notify(t.Context(), "c", "back"); err != nil {
			t.Fatal(err)
		}
		retry := time.After(50 * time.Millisecond)
	wait:
		for {
			select {
			case e := <-l.events:
				if !e.notify {
					states = append(states, e.on)
					continue
				}
				if e.payload != "back" {
					t.Fatalf("%v, want onNotify(%q)", e, "back")
				}
				received = true
				break wait
			case <-retry:
				break wait
			case <-deadline:
				t.Fatalf("no onNotify within 10s of the freeze (%d notifications sent); onState calls %v", n, states)
			}
		}
	}
	// Before the notification: onState(false), onState(true), as often as the listener
	// reconnected.
	if len(states) < 2 || len(states)%2 != 0 {
		t.Fatalf("onState calls after the freeze %v, want false, true (repeated if a ping timed out again)", states)
	}
	for i, on := range states {
		if on != (i%2 == 1) {
			t.Fatalf("onState calls after the freeze %v, want false and true alternating", states)
		}
	}
	l.stop()
}
