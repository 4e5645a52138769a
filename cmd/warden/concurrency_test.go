package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Many clients creating and deleting tokens at once all succeed. On PostgreSQL, whose
// serializable transactions abort one of two that depend on each other, a token create reads
// no token row, so creates never conflict: the store does not even retry one.
func TestToken_ConcurrentCreatesAndDeletes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, map[string]string{"WARDEN_LOG_LEVEL": "debug"}) // debug: the store logs its retries
	const accounts, workers, perWorker = 3, 16, 12
	var ids [accounts]int64
	for i := range ids {
		ids[i] = createSA(t, ts, fmt.Sprintf("busy-%d", i), "Viewer")
	}
	// The clients use an Admin service account's token (a password check per request would
	// make this a test of argon2).
	robot := createSA(t, ts, "robot", "Admin")
	key := ts.admin().expect(t, http.StatusOK, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", robot),
		map[string]any{"name": "robot"}).JSON(t)["key"].(string)
	errs := make(chan string, workers*perWorker*2)
	phase := func(name string, deleteEvery int) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				c := ts.bearer(key)
				for i := range perWorker {
					sa := ids[(w+i)%accounts]
					r := c.do(t, "POST", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa),
						map[string]any{"name": fmt.Sprintf("%s-w%d-%d", name, w, i)})
					if r.Status != http.StatusOK {
						errs <- fmt.Sprintf("create token on account %d: %d %s", sa, r.Status, r.Body)
						continue
					}
					if deleteEvery == 0 || i%deleteEvery != 0 {
						continue
					}
					id := int64(r.JSON(t)["id"].(float64))
					if r := c.do(t, "DELETE", fmt.Sprintf("/api/serviceaccounts/%d/tokens/%d", sa, id), nil); r.Status != http.StatusOK {
						errs <- fmt.Sprintf("delete token %d: %d %s", id, r.Status, r.Body)
					}
				}
			})
		}
		wg.Wait()
	}
	phase("create", 0)
	if ts.Postgres {
		if n := strings.Count(ts.Logs(), "retrying transaction"); n != 0 {
			t.Errorf("%d concurrent token creates needed %d transaction retries, want none", workers*perWorker, n)
		}
	}
	phase("mixed", 3) // deletes one in three
	close(errs)
	failed := 0
	for e := range errs {
		if failed++; failed <= 5 {
			t.Error(e)
		}
	}
	if failed > 0 {
		t.Fatalf("%d requests failed", failed)
	}
	t.Logf("transaction retries in all: %d", strings.Count(ts.Logs(), "retrying transaction"))
	total := 0
	for _, sa := range ids {
		total += len(ts.admin().expect(t, http.StatusOK, "GET", fmt.Sprintf("/api/serviceaccounts/%d/tokens", sa), nil).List(t))
	}
	// All of the first phase's; of the second, all but i = 0, 3, 6, 9 of each worker.
	if want := workers*perWorker + workers*(perWorker-(perWorker+2)/3); total != want {
		t.Fatalf("%d tokens left, want %d", total, want)
	}
}

// A client with several requests in flight under one user's password (Basic auth, as scripts
// and Terraform use it) gets every one of them answered, while concurrent wrong passwords still
// get no more tries than the brute-force limit.
func TestIdentity_ConcurrentBasicAuth(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	const n = 12 // more than the 5 failed sign-ins per user the limit allows
	run := func(pass string) map[int]int {
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				r := ts.basic("admin", pass).do(t, "GET", "/api/org", nil)
				mu.Lock()
				statuses[r.Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return statuses
	}
	if got := run(ts.Password); got[http.StatusOK] != n {
		t.Fatalf("%d concurrent requests with the right password: statuses %v, want all 200", n, got)
	}
	if got := run("wrong-password"); got[http.StatusUnauthorized] != n {
		t.Fatalf("%d concurrent requests with a wrong password: statuses %v, want all 401", n, got)
	}
	// The limit held: 5 failures were recorded (not 12), and the user is now blocked.
	r := ts.admin().expect(t, http.StatusUnauthorized, "GET", "/api/org", nil)
	wantMessage(t, r, "Invalid username or password")
}
