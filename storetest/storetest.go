// Package storetest is the contract every warden.Store implementation meets. Each store's tests
// call Run with a function that opens a fresh, empty store, so SQLite and PostgreSQL are held to
// exactly the same behaviour (Upspin's one suite run against every implementation).
//
// The contract is kept by resource: each file (org.go, user.go, token.go, …) holds one table of
// tests and the helpers only those tests use; helpers.go and fixtures.go hold what they share.
package storetest

import (
	"slices"
	"testing"

	"github.com/wardenhq/warden"
)

// Run runs the Store contract. open must return a new, empty store on every call and arrange
// (with t.Cleanup) for it to be closed; each subtest calls it once, so subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) warden.Store) {
	for _, tc := range contract {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// contractTest is one behaviour of warden.Store: the subtest's name ("Resource/Behaviour") and
// the test, which gets a store of its own.
type contractTest struct {
	name string
	fn   func(t *testing.T, s warden.Store)
}

// contract lists one test per behaviour of warden.Store, resource by resource.
var contract = slices.Concat(
	orgTests,
	userTests,
	findUsersTests,
	orgUserTests,
	sessionTests,
	loginAttemptTests,
	managedPermissionTests,
	teamTests,
	serviceAccountTests,
	tokenTests,
	tokenLifecycleTests,
	tokenRestrictionsTests,
	preferencesTests,
	auditTests,
	txTests,
	timesTests,
)
