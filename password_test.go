package warden

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

func TestHasher_Hash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(DefaultPasswordHashParams)

	t.Run("PHCFormat", func(t *testing.T) {
		enc, err := h.Hash(ctx, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if prefix := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(enc, prefix) {
			t.Fatalf("hash %q does not start with %q", enc, prefix)
		}
		parts := strings.Split(enc, "$")
		if got, want := len(parts), 6; got != want {
			t.Fatalf("hash %q has %d $-separated parts, want %d", enc, got, want)
		}
		salt, err := base64.RawStdEncoding.DecodeString(parts[4])
		if err != nil {
			t.Fatalf("salt %q: %v", parts[4], err)
		}
		key, err := base64.RawStdEncoding.DecodeString(parts[5])
		if err != nil {
			t.Fatalf("key %q: %v", parts[5], err)
		}
		if got, want := len(salt), 16; got != want {
			t.Errorf("salt length=%d, want %d", got, want)
		}
		if got, want := len(key), 32; got != want {
			t.Errorf("key length=%d, want %d", got, want)
		}
		if strings.Contains(enc, "correct horse") {
			t.Fatalf("hash %q contains the password", enc)
		}
	})

	t.Run("Salted", func(t *testing.T) {
		a, err := h.Hash(ctx, "same password")
		if err != nil {
			t.Fatal(err)
		}
		b, err := h.Hash(ctx, "same password")
		if err != nil {
			t.Fatal(err)
		}
		if a == b {
			t.Fatalf("two hashes of one password are equal (%q): salt missing", a)
		}
	})

	t.Run("ErrCanceled", func(t *testing.T) {
		// Fill every slot so Hash must wait for one, then cancel the wait.
		busy := NewHasher(DefaultPasswordHashParams)
		for i := 0; i < cap(busy.slots); i++ {
			busy.slots <- struct{}{}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := busy.Hash(cctx, "pw"); err == nil {
			t.Fatal("Hash with a cancelled context and no free slot succeeded, want error")
		}
		if ok, err := busy.Verify(cctx, "", "pw"); err == nil || ok {
			t.Fatalf("Verify with a cancelled context and no free slot=(%v, %v), want (false, error)", ok, err)
		}
	})
}

func TestHasher_Verify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(DefaultPasswordHashParams)
	const password = "s3cret-Pass"
	enc, err := h.Hash(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(enc, "$")
	// with returns enc with part i replaced.
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	// flipped is enc with the key's first character changed. (Not the last: that one carries
	// only two bits of the key, and a change in its padding bits decodes to the same bytes.)
	key := parts[5]
	repl := byte('A')
	if key[0] == 'A' {
		repl = 'B'
	}
	flipped := with(5, string(repl)+key[1:])

	tests := []struct {
		name     string
		encoded  string
		password string
		want     bool
	}{
		{"OK", enc, password, true},
		{"WrongPassword", enc, "s3cret-pass", false},
		{"EmptyPassword", enc, "", false},
		{"PasswordWithSuffix", enc, password + "x", false},
		{"EmptyHash", "", password, false},
		{"EmptyHashEmptyPassword", "", "", false},
		{"Garbage", "garbage", password, false},
		{"OnlyDollars", "$$$$$", password, false},
		{"TooFewParts", strings.Join(parts[:5], "$"), password, false},
		{"TooManyParts", enc + "$extra", password, false},
		{"TamperedKey", flipped, password, false},
		{"TruncatedKey", with(5, key[:len(key)-4]), password, false},
		{"EmptyKey", with(5, ""), password, false},
		{"KeyNotBase64", with(5, "!!!not-base64!!!"), password, false},
		{"HugeKey", with(5, base64.RawStdEncoding.EncodeToString(make([]byte, 200))), password, false},
		{"SaltNotBase64", with(4, "***"), password, false},
		{"OtherSalt", with(4, base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))), password, false},
		{"Argon2i", with(1, "argon2i"), password, false},
		{"Bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", password, false},
		{"OldVersion", with(2, "v=16"), password, false},
		{"VersionNotNumber", with(2, "v=x"), password, false},
		{"ParamsMissing", with(3, ""), password, false},
		{"ParamsNotNumbers", with(3, "m=a,t=b,p=c"), password, false},
		{"ZeroMemory", with(3, "m=0,t=2,p=1"), password, false},
		{"NegativeMemory", with(3, "m=-1,t=2,p=1"), password, false},
		{"AbsurdMemory", with(3, "m=4294967295,t=2,p=1"), password, false},
		{"ZeroTime", with(3, "m=19456,t=0,p=1"), password, false},
		{"AbsurdTime", with(3, "m=19456,t=1000000,p=1"), password, false},
		{"ZeroThreads", with(3, "m=19456,t=2,p=0"), password, false},
		{"ThreadsOverflow", with(3, "m=19456,t=2,p=300"), password, false},
		{"OtherParams", with(3, "m=19456,t=3,p=1"), password, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(ctx, tt.encoded, tt.password)
			if err != nil {
				t.Fatalf("Verify(%q): %v", tt.encoded, err)
			}
			if got != tt.want {
				t.Fatalf("Verify(%q, %q)=%v, want %v", tt.encoded, tt.password, got, tt.want)
			}
		})
	}
}

// TestHasher_Params checks that new hashes carry the configured cost, that a hash keeps its own
// cost when the setting changes (old passwords still verify), and that unusable costs fall back
// to the default.
func TestHasher_Params(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cheap := NewHasher(PasswordHashParams{MemoryKiB: 64, Iterations: 1})
	enc, err := cheap.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if prefix := "$argon2id$v=19$m=64,t=1,p=1$"; !strings.HasPrefix(enc, prefix) {
		t.Fatalf("hash %q does not start with %q", enc, prefix)
	}
	strong := NewHasher(DefaultPasswordHashParams)
	for _, c := range []struct {
		h    *Hasher
		enc  string
		pw   string
		want bool
	}{{strong, enc, "pw", true}, {strong, enc, "other", false}} {
		if ok, err := c.h.Verify(ctx, c.enc, c.pw); err != nil || ok != c.want {
			t.Errorf("Verify(%q) with another cost = %v, %v; want %v", c.pw, ok, err, c.want)
		}
	}
	for _, p := range []PasswordHashParams{{}, {MemoryKiB: 4, Iterations: 1}, {MemoryKiB: 1 << 20, Iterations: 1}, {MemoryKiB: 1024, Iterations: 17}} {
		if got := NewHasher(p).params; got != DefaultPasswordHashParams {
			t.Errorf("NewHasher(%+v) hashes with %+v, want the default", p, got)
		}
	}
}

func TestPasswordHashParams_Weak(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p    PasswordHashParams
		weak bool
	}{
		{DefaultPasswordHashParams, false},
		{PasswordHashParams{MemoryKiB: 47104, Iterations: 1}, false}, // OWASP's 46 MiB × 1
		{PasswordHashParams{MemoryKiB: 7168, Iterations: 5}, false},  // and 7 MiB × 5
		{PasswordHashParams{MemoryKiB: 19456, Iterations: 1}, true},
		{PasswordHashParams{MemoryKiB: 256, Iterations: 1}, true},
	} {
		if got := c.p.Weak(); got != c.weak {
			t.Errorf("%+v.Weak() = %v, want %v", c.p, got, c.weak)
		}
	}
}
