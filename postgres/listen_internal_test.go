package postgres

import (
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/postgres/pgtest"
)

// proxy forwards TCP connections to a server and can freeze the ones open so far: they stay
// open but carry nothing more, as across a network partition.
type proxy struct {
	ln     net.Listener
	target string

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
			pipe := func(dst, src net.Conn) {
				defer dst.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 && !frozen.Load() {
						if _, err := dst.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}
			wg.Go(func() { pipe(s, c) })
			wg.Go(func() { pipe(c, s) })
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

// A listener whose connection goes silent (no error, no data: a partition) notices with the
// ping after a quiet period, reconnects and listens again; a healthy quiet connection is kept.
func TestListen_SilentConnection(t *testing.T) {
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
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	viaProxy, err := Open(t.Context(), u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { viaProxy.Close() })
	viaProxy.listenCheck = 100 * time.Millisecond

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	payloads, states := make(chan string, 10), make(chan bool, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		viaProxy.Listen(ctx, "c", func(s string) { payloads <- s }, func(on bool) { states <- on })
	}()
	wantState := func(want bool) {
		t.Helper()
		select {
		case got := <-states:
			if got != want {
				t.Fatalf("onState(%v), want onState(%v)", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no onState(%v) within 10s", want)
		}
	}
	wantPayload := func(want string) {
		t.Helper()
		select {
		case got := <-payloads:
			if got != want {
				t.Fatalf("onNotify(%q), want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no onNotify(%q) within 10s", want)
		}
	}
	wantState(true)

	// Several quiet periods pass; the pings succeed and the connection stays.
	time.Sleep(500 * time.Millisecond)
	if err := direct.Notify(t.Context(), "c", "quiet"); err != nil {
		t.Fatal(err)
	}
	wantPayload("quiet")
	select {
	case on := <-states:
		t.Fatalf("onState(%v) while the connection was healthy", on)
	default:
	}

	p.freeze()
	wantState(false)
	wantState(true)
	if err := direct.Notify(t.Context(), "c", "back"); err != nil {
		t.Fatal(err)
	}
	wantPayload("back")
	cancel()
	<-done
}
