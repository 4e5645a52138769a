package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
)

// skewedBus is a changeBus whose database clock is off by skew; it carries no messages.
type skewedBus struct{ skew time.Duration }

func (b skewedBus) Notify(context.Context, string, string) error { return nil }
func (b skewedBus) Listen(ctx context.Context, _ string, _ func(string), _ func(bool)) error {
	<-ctx.Done()
	return nil
}
func (b skewedBus) Now(context.Context) (time.Time, error) { return time.Now().Add(-b.skew), nil }

// Each instance judges expiry by its own clock, so it warns (log and metric) when its clock and
// the database's differ by more than a second, and stays quiet within it.
func TestCluster_ClockSkewWarning(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "it opens a SQLite store of its own")
	db, err := sqlite.Open(t.Context(), t.TempDir()+"/w.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, tc := range []struct {
		skew time.Duration
		warn bool
	}{
		{3 * time.Second, true},
		{-3 * time.Second, true},
		{200 * time.Millisecond, false},
	} {
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		svc := warden.NewService(db, logger, warden.DefaultConfig())
		reg := prometheus.NewRegistry()
		c := newCluster(skewedBus{tc.skew}, svc, logger, reg)
		c.checkClock(t.Context())
		got := gaugeValue(t, reg, "warden_clock_skew_seconds")
		if d := got - tc.skew.Seconds(); d > 0.1 || d < -0.1 {
			t.Errorf("skew %v: warden_clock_skew_seconds = %v", tc.skew, got)
		}
		if warned := strings.Contains(logs.String(), "clock differs from the database"); warned != tc.warn {
			t.Errorf("skew %v: warned = %v, want %v; logs:\n%s", tc.skew, warned, tc.warn, logs.String())
		}
	}
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
