package warden

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The fixed argon2id parameters: one lane, a 32-byte key, a 16-byte salt.
const (
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// PasswordHashParams are the argon2id costs of new password hashes ([security]
// password_hash_memory and password_hash_iterations). Each stored hash names its own, so
// changing them affects only passwords set afterwards.
type PasswordHashParams struct {
	MemoryKiB  uint32
	Iterations uint32
}

// DefaultPasswordHashParams are OWASP's minimum recommendation for argon2id: 19 MiB, 2
// passes. With at most GOMAXPROCS hashes at once this bounds the memory a burst of sign-ins
// can take.
var DefaultPasswordHashParams = PasswordHashParams{MemoryKiB: 19 * 1024, Iterations: 2}

// Weak reports whether p is cheaper than every one of OWASP's argon2id configurations
// (from 46 MiB × 1 pass to 7 MiB × 5 passes, all about 36,000 KiB·passes or more).
func (p PasswordHashParams) Weak() bool { return uint64(p.MemoryKiB)*uint64(p.Iterations) < 7*1024*5 }

// valid reports whether argon2id can run with p and Verify will accept its hashes.
func (p PasswordHashParams) valid() bool {
	return p.MemoryKiB >= 8*argonThreads && p.MemoryKiB <= maxArgonMemoryKiB && p.Iterations >= 1 && p.Iterations <= maxArgonTime
}

// The largest costs Verify accepts from a stored hash (a tampered row must not make it
// allocate gigabytes), and so the largest that can be configured.
const (
	maxArgonMemoryKiB = 64 * 1024
	maxArgonTime      = 16
)

// Hasher hashes and verifies passwords with argon2id, at most a fixed number at a time.
type Hasher struct {
	params PasswordHashParams
	slots  chan struct{}
	// dummy is verified against when a user does not exist, so that unknown users cost the
	// same as wrong passwords and sign-in timing does not reveal which logins exist.
	dummy string
}

// NewHasher returns a Hasher of new hashes with params (DefaultPasswordHashParams when they
// are not valid) allowing GOMAXPROCS concurrent hash computations.
func NewHasher(params PasswordHashParams) *Hasher {
	if !params.valid() {
		params = DefaultPasswordHashParams
	}
	h := &Hasher{params: params, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	d, err := h.hash("warden-dummy-password")
	if err != nil {
		panic(err) // crypto/rand failing at start is unrecoverable
	}
	h.dummy = d
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash(password)
}

func (h *Hasher) hash(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	m, t := h.params.MemoryKiB, h.params.Iterations
	key := argon2.IDKey([]byte(password), salt, t, m, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m,
		t, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded. An empty encoded hash (service accounts,
// users without a password) never matches but costs as much as a real check.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if encoded == "" {
		verifyArgon(h.dummy, password)
		return false, nil
	}
	return verifyArgon(encoded, password), nil
}

func verifyArgon(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return false
	}
	// Refuse absurd parameters from a tampered row rather than allocate gigabytes.
	if mem == 0 || mem > maxArgonMemoryKiB || t == 0 || t > maxArgonTime || p == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
