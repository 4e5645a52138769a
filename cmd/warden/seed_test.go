package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSeed seeds a data directory with `warden admin seed`, starts the server on it and checks
// through the API that the accounts are listed and that a sample token authenticates.
func TestSeed(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tokFile := filepath.Join(dir, "tokens.txt")
	env := map[string]string{"WARDEN_PATHS_DATA": data, "WARDEN_SECURITY_ADMIN_PASSWORD": "admin"}
	getenv := func(k string) string { return env[k] }
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"admin", "seed", "--accounts", "50", "--tokens", "200", "--tokens-out", tokFile},
		getenv, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	samples := strings.Fields(string(raw))
	if len(samples) == 0 {
		t.Fatal("no sample tokens written")
	}
	for _, s := range samples {
		if strings.Contains(stdout.String()+stderr.String(), s) {
			t.Fatal("a sample token was printed")
		}
	}

	ts := startServer(t, map[string]string{"WARDEN_PATHS_DATA": data})
	r := ts.admin().expect(t, 200, "GET", "/api/serviceaccounts/search?perpage=10", nil)
	if got := r.JSON(t)["totalCount"]; got != float64(50) {
		t.Fatalf("totalCount = %v, want 50", got)
	}
	ts.bearer(samples[len(samples)-1]).expect(t, 200, "GET", "/api/org", nil)
	ts.bearer(samples[0]).expect(t, 200, "GET", "/api/org", nil)
}
