package main

import (
	"math"
	"testing"
	"time"
)

func TestHistogramQuantile(t *testing.T) {
	var h histogram
	if got := h.quantile(0.5); got != 0 {
		t.Errorf("empty: p50 = %v, want 0", got)
	}
	// 1 ms, 2 ms, … 1000 ms, in a scrambled order.
	for i := range 1000 {
		h.add(time.Duration(1+(i*7919)%1000) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 500 * time.Millisecond},
		{0.90, 900 * time.Millisecond},
		{0.99, 990 * time.Millisecond},
		{1, 1000 * time.Millisecond},
		{0.0001, time.Millisecond},
	} {
		got := h.quantile(tc.q)
		// A bucket's upper bound: never low, at most 2% high.
		if got < tc.want || float64(got) > float64(tc.want)*histGrowth {
			t.Errorf("p%g = %v, want %v (+2%%)", 100*tc.q, got, tc.want)
		}
	}
	if h.max != time.Second || h.n != 1000 {
		t.Errorf("max %v n %d, want 1s 1000", h.max, h.n)
	}

	// The answer never exceeds the largest value seen, and extremes land in the end buckets.
	var one histogram
	one.add(1234 * time.Microsecond)
	if got := one.quantile(0.99); got != 1234*time.Microsecond {
		t.Errorf("single value: p99 = %v, want 1.234ms", got)
	}
	var ext histogram
	ext.add(0)
	ext.add(time.Hour)
	if got := ext.quantile(0.5); got != time.Microsecond {
		t.Errorf("p50 of {0, 1h} = %v, want 1µs (bucket 0)", got)
	}
	if got := ext.quantile(1); got != time.Hour {
		t.Errorf("p100 of {0, 1h} = %v, want 1h", got)
	}

	var merged histogram
	merged.merge(&h)
	merged.merge(&one)
	if merged.n != 1001 || merged.max != time.Second {
		t.Errorf("merged: n %d max %v", merged.n, merged.max)
	}
}

func TestJudgeFlat(t *testing.T) {
	series := func(n int, f func(i int) float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = f(i)
		}
		return s
	}
	const maxGrowth = 0.20
	for _, tc := range []struct {
		name   string
		series []float64
		enough bool
		flat   bool
	}{
		{"too few samples", series(minSamples-1, func(int) float64 { return 50 }), false, false},
		{"constant", series(40, func(int) float64 { return 50 }), true, true},
		{"warm-up climb in the first quarter, then flat", series(40, func(i int) float64 { return 80 - 50*math.Exp(-float64(i)) }), true, true},
		{"noise of ±10%", series(40, func(i int) float64 { return 50 + 5*float64(i%3-1) }), true, true},
		{"shrinking", series(40, func(i int) float64 { return 100 - float64(i) }), true, true},
		{"leak: 2% a sample", series(40, func(i int) float64 { return 50 * (1 + 0.02*float64(i)) }), true, false},
		{"step up late", series(40, func(i int) float64 { return map[bool]float64{true: 50, false: 70}[i < 30] }), true, false},
	} {
		f := judgeFlat(tc.series)
		flat := f.enough && f.growth <= maxGrowth
		if f.enough != tc.enough || flat != tc.flat {
			t.Errorf("%s: enough %v flat %v (growth %+.1f%%), want enough %v flat %v", tc.name, f.enough, flat, 100*f.growth, tc.enough, tc.flat)
		}
	}
	// The quarters compared: samples 10..19 against 30..39 of 40.
	f := judgeFlat(series(40, func(i int) float64 { return float64(i) }))
	if f.base != 14.5 || f.last != 34.5 {
		t.Errorf("means %v and %v, want 14.5 and 34.5", f.base, f.last)
	}
}

func TestRedact(t *testing.T) {
	got := redact([]byte(`{"id":3,"name":"x","key":"glsa_pmGsCvM5yCk1VGTN2WEk6SVTQJ56aDdF_3be8a1f2"}`))
	if got != `{"id":3,"name":"x","key":"glsa_REDACTED"}` {
		t.Errorf("redact = %s", got)
	}
}
