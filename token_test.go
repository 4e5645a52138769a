package warden

// Tests of the token format (Grafana's, bit for bit) and of what Warden stores for a token
// (sha256: and the SHA-256 of the whole token, where Grafana stores PBKDF2): Grafana's own test
// vector, example tokens, malformed inputs, the generator's shape, uniformity and rejection
// sampling, and the Secret's redaction when printed or logged.

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// grafanaVector is the token of Grafana's own generator test.
const (
	grafanaVector         = "glsa_iNValIdinValiDinvalidinvalidinva_5b582697"
	grafanaVectorSecret   = "iNValIdinValiDinvalidinvalidinva"
	grafanaVectorChecksum = "5b582697"
	// grafanaVectorHash is what Grafana stores for the vector: hex PBKDF2-HMAC-SHA256(secret,
	// salt = checksum, 10000 iterations, 50 bytes).
	grafanaVectorHash = "c59a6e547944ef768df51d1fc8b2a9810bc777a0bd2e5daa9ef8590f300c884e0ab9470c22c6f789414fdb6485b531166ded"
)

// tokWithSum appends a correct checksum to body, so that a malformed body is rejected for what
// is wrong with it and not for its checksum.
func tokWithSum(body string) string { return body + "_" + tokenChecksum(body) }

// tokSHA256 is the stored form Warden promises: "sha256:" and the hex SHA-256 of the token.
func tokSHA256(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func tokMustParse(t *testing.T, s string) Secret {
	t.Helper()
	sec, ok := ParseSecret(s)
	if !ok {
		t.Fatalf("ParseSecret(%q) rejected a valid token", s)
	}
	return sec
}

func TestToken_DecodesGrafanasTestVector(t *testing.T) {
	t.Parallel()
	sec := tokMustParse(t, grafanaVector)
	id, secret, sum := sec.Parts()
	if id != "sa" || secret != grafanaVectorSecret || sum != grafanaVectorChecksum {
		t.Fatalf("Parts() = (%q, %q, %q), want (%q, %q, %q)", id, secret, sum, "sa", grafanaVectorSecret, grafanaVectorChecksum)
	}
	if sec.Reveal() != grafanaVector {
		t.Fatalf("Reveal() = %q, want the token back", sec.Reveal())
	}

	// The checksum is the CRC-32/IEEE of "glsa_<secret>", 0x9726585b, written little-endian.
	body := "glsa_" + grafanaVectorSecret
	if crc := crc32.ChecksumIEEE([]byte(body)); crc != 0x9726585b {
		t.Fatalf("CRC-32/IEEE(%q) = %#x, want 0x9726585b", body, crc)
	}
	if got := tokenChecksum(body); got != grafanaVectorChecksum {
		t.Fatalf("tokenChecksum(%q) = %q, want %q (little-endian bytes 5b 58 26 97)", body, got, grafanaVectorChecksum)
	}

	// Grafana's stored form, recomputed independently: proves the fields decode as Grafana
	// decodes them (the secret is the password, the checksum's hex text is the salt).
	dk, err := pbkdf2.Key(sha256.New, secret, []byte(sum), 10000, 50)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(dk); got != grafanaVectorHash {
		t.Fatalf("PBKDF2-HMAC-SHA256(secret, checksum, 10000, 50) = %s, want %s", got, grafanaVectorHash)
	}

	// Warden's stored form for the same token.
	if got, want := sec.Hash(), tokSHA256(grafanaVector); got != want {
		t.Fatalf("Hash() = %q, want %q", got, want)
	}
}

func TestToken_ExampleTokensParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ token, secret, sum string }{
		{grafanaVector, grafanaVectorSecret, grafanaVectorChecksum},
		{"glsa_yscW25imSKJIuav8zF37RZmnbiDvB05G_fcaaf58a", "yscW25imSKJIuav8zF37RZmnbiDvB05G", "fcaaf58a"},
		{"glsa_VVQjot0nijQ59lun6pMZRtsdBXxnFQ9M_77c34a79", "VVQjot0nijQ59lun6pMZRtsdBXxnFQ9M", "77c34a79"},
	} {
		sec := tokMustParse(t, tc.token)
		id, secret, sum := sec.Parts()
		if id != "sa" || secret != tc.secret || sum != tc.sum {
			t.Errorf("Parts(%q) = (%q, %q, %q), want (sa, %q, %q)", tc.token, id, secret, sum, tc.secret, tc.sum)
		}
		if len(tc.token) != TokenLen || TokenLen != 46 {
			t.Errorf("len(%q) = %d, TokenLen = %d, want 46", tc.token, len(tc.token), TokenLen)
		}
	}
}

func TestToken_MalformedRejected(t *testing.T) {
	t.Parallel()
	v := grafanaVector
	secret := grafanaVectorSecret
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"prefix only", "glsa_"},
		{"wrong prefix glsb", tokWithSum("glsb_" + secret)},
		{"uppercase prefix", tokWithSum("GLSA_" + secret)},
		{"prefix without service id", tokWithSum("gl_a" + secret)},
		{"legacy-style base64 key", "eyJrIjoiYWJjIiwibiI6InRlc3QiLCJpZCI6MX0="},
		{"one character short", tokWithSum("glsa_" + secret[:31])},
		{"one character long", tokWithSum("glsa_" + secret + "a")},
		{"checksum one digit short", v[:len(v)-1]},
		{"checksum one digit long", v + "0"},
		{"underscore inside the secret", tokWithSum("glsa_" + secret[:10] + "_" + secret[11:])},
		{"hyphen inside the secret", tokWithSum("glsa_" + secret[:10] + "-" + secret[11:])},
		{"space inside the secret", tokWithSum("glsa_" + secret[:10] + " " + secret[11:])},
		{"NUL inside the secret", tokWithSum("glsa_" + secret[:10] + "\x00" + secret[11:])},
		{"non-ASCII inside the secret (same byte length)", tokWithSum("glsa_" + secret[:10] + "é" + secret[12:])},
		{"separator is not an underscore", strings.Replace(v, "a_5b", "a-5b", 1)},
		{"bad checksum", v[:len(v)-1] + "8"},
		{"checksum of another body", "glsa_" + secret + "_fcaaf58a"},
		{"uppercase hex checksum", "glsa_" + secret + "_" + strings.ToUpper(grafanaVectorChecksum)},
		{"big-endian checksum", "glsa_" + secret + "_9726585b"},
		{"non-hex checksum", "glsa_" + secret + "_5b58269g"},
		{"leading space", " " + v[:len(v)-1]},
		{"trailing newline", v[:len(v)-1] + "\n"},
		{"Bearer prefix kept", "Bearer " + v},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := ParseSecret(tc.in); ok {
				t.Fatalf("ParseSecret(%q) accepted a malformed token", tc.in)
			}
		})
	}
}

func TestToken_NewSecretShape(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool, 1000)
	for i := 0; i < 1000; i++ {
		sec, err := NewSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s := sec.Reveal()
		if len(s) != 46 || !strings.HasPrefix(s, "glsa_") || s[37] != '_' {
			t.Fatalf("NewSecret() = %q: want glsa_ + 32 chars + _ + 8 hex (46 chars)", s)
		}
		parsed, ok := ParseSecret(s)
		if !ok {
			t.Fatalf("NewSecret() = %q does not parse", s)
		}
		if parsed.Hash() != sec.Hash() {
			t.Fatalf("NewSecret() = %q parses to hash %q, but was issued with %q", s, parsed.Hash(), sec.Hash())
		}
		if _, secret, sum := parsed.Parts(); tokenChecksum("glsa_"+secret) != sum || sum != strings.ToLower(sum) {
			t.Fatalf("NewSecret() = %q: checksum %q is not the lowercase LE CRC-32 of its body", s, sum)
		}
		if seen[s] {
			t.Fatalf("NewSecret() repeated %q within 1000 draws", s)
		}
		seen[s] = true
	}
}

// TestToken_NewSecretUniform counts every alphabet character over 20,000 tokens (640,000
// characters, ≈10,323 expected per character). The bound, 0.5× to 1.5× of expected, is more
// than 50 standard deviations wide, so it cannot flake; a biased generator (modulo bias gives
// the first 8 characters 5/4 of their share) still shows in the logged chi-square.
func TestToken_NewSecretUniform(t *testing.T) {
	t.Parallel()
	const draws = 20000
	counts := map[byte]int{}
	for i := 0; i < draws; i++ {
		sec, err := NewSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		_, secret, _ := sec.Parts()
		for j := 0; j < len(secret); j++ {
			counts[secret[j]]++
		}
	}
	total := draws * tokenSecretLen
	expected := float64(total) / 62
	chi2 := 0.0
	for i := 0; i < len(tokenAlphabet); i++ {
		c := tokenAlphabet[i]
		n := counts[c]
		if float64(n) < 0.5*expected || float64(n) > 1.5*expected {
			t.Errorf("character %q drawn %d times in %d, want between %.0f and %.0f", c, n, total, 0.5*expected, 1.5*expected)
		}
		d := float64(n) - expected
		chi2 += d * d / expected
		delete(counts, c)
	}
	for c, n := range counts {
		t.Errorf("character %q outside the alphabet drawn %d times", c, n)
	}
	t.Logf("chi-square over 62 characters (61 degrees of freedom, mean 61): %.1f", chi2)
}

// repeatReader yields b forever.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// TestToken_RejectionSampling feeds NewSecret chosen bytes: bytes 248–255 (which would favour
// '0'–'7' under a plain modulo) must be skipped, and every other byte maps to alphabet[b%62].
func TestToken_RejectionSampling(t *testing.T) {
	t.Parallel()
	// 200 bytes of 0xFF (more than the 64-byte buffer), then valid bytes 0, 1, 2, ….
	valid := make([]byte, 256)
	for i := range valid {
		valid[i] = byte(i % 62)
	}
	r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte{0xFF}, 200)), bytes.NewReader(valid))
	sec, err := NewSecret(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, secret, _ := sec.Parts(); secret != tokenAlphabet[:32] {
		t.Fatalf("secret after 0xFF bytes = %q, want %q: bytes >= 248 were not skipped", secret, tokenAlphabet[:32])
	}

	// Every byte value in isolation: accepted ones give alphabet[b%62], rejected ones give no
	// character at all (a finite supply of them ends in an error, not a token).
	for b := 0; b < 256; b++ {
		if b < 248 {
			sec, err := NewSecret(io.LimitReader(repeatReader(b), 4096))
			if err != nil {
				t.Fatalf("byte %d: %v", b, err)
			}
			want := strings.Repeat(string(tokenAlphabet[b%62]), 32)
			if _, secret, _ := sec.Parts(); secret != want {
				t.Fatalf("byte %d gives secret %q, want %q", b, secret, want)
			}
			continue
		}
		if sec, err := NewSecret(io.LimitReader(repeatReader(b), 4096)); err == nil {
			t.Fatalf("byte %d (>= 248) was used: NewSecret returned %q from a reader of only that byte", b, sec.Reveal())
		}
	}

	// A mix: a rejected byte between accepted ones is skipped without shifting the others.
	mix := make([]byte, 0, 96)
	for i := 0; i < 32; i++ {
		mix = append(mix, 248+byte(i%8), byte(61-i)) // rejected, then 'z', 'y', …
	}
	mix = append(mix, bytes.Repeat([]byte{0}, 64)...)
	sec, err = NewSecret(bytes.NewReader(mix))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := 0; i < 32; i++ {
		want.WriteByte(tokenAlphabet[61-i])
	}
	if _, secret, _ := sec.Parts(); secret != want.String() {
		t.Fatalf("secret from interleaved bytes = %q, want %q", secret, want.String())
	}
}

type tokErrReader struct{}

func (tokErrReader) Read([]byte) (int, error) { return 0, errors.New("entropy source broken") }

func TestToken_NewSecretReaderError(t *testing.T) {
	t.Parallel()
	if sec, err := NewSecret(tokErrReader{}); err == nil {
		t.Fatalf("NewSecret with a failing reader returned %q and no error", sec.Reveal())
	}
	if sec, err := NewSecret(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Fatalf("NewSecret with 10 bytes of randomness returned %q and no error", sec.Reveal())
	}
}

func TestToken_SecretRedacted(t *testing.T) {
	t.Parallel()
	sec := tokMustParse(t, grafanaVector)
	leaks := func(s string) bool {
		return strings.Contains(s, grafanaVectorSecret) || strings.Contains(s, "glsa_") ||
			strings.Contains(s, hex.EncodeToString([]byte(grafanaVectorSecret)))
	}
	type holder struct {
		Token Secret
		Ptr   *Secret
	}
	for _, format := range []string{"%v", "%s", "%#v", "%+v", "%q", "%x", "%X"} {
		for name, arg := range map[string]any{"value": sec, "pointer": &sec, "struct": holder{Token: sec, Ptr: &sec}} {
			out := fmt.Sprintf(format, arg)
			if leaks(out) {
				t.Errorf("fmt %s of a Secret %s prints the token: %s", format, name, out)
			}
			if format == "%v" || format == "%s" {
				if !strings.Contains(out, "REDACTED") {
					t.Errorf("fmt %s of a Secret %s = %q, want REDACTED", format, name, out)
				}
			}
		}
	}
	if got := sec.String(); got != "REDACTED" {
		t.Errorf("String() = %q, want REDACTED", got)
	}
	if err := fmt.Errorf("issuing %v failed", sec); leaks(err.Error()) {
		t.Errorf("an error wrapping a Secret prints the token: %v", err)
	}
	if b, err := json.Marshal(holder{Token: sec, Ptr: &sec}); err != nil || leaks(string(b)) {
		t.Errorf("json.Marshal of a Secret = %s, %v: want no token", b, err)
	}

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("issued", "token", sec, "ptr", &sec)
		l.Info("issued", slog.Any("token", sec), slog.Group("g", "token", sec))
		l.With("token", sec).Info("with")
		l.Info("struct", "holder", holder{Token: sec, Ptr: &sec})
	}
	if leaks(buf.String()) {
		t.Errorf("slog output contains the token:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), `"token":"REDACTED"`) || !strings.Contains(buf.String(), "token=REDACTED") {
		t.Errorf("slog output does not show REDACTED for the token:\n%s", buf.String())
	}
}

func TestToken_HashIsTaggedSHA256OfWholeToken(t *testing.T) {
	t.Parallel()
	for i := 0; i < 20; i++ {
		sec, err := NewSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		h := sec.Hash()
		if h != tokSHA256(sec.Reveal()) {
			t.Fatalf("Hash() = %q, want %q", h, tokSHA256(sec.Reveal()))
		}
		if len(h) != len("sha256:")+64 || h != strings.ToLower(h) {
			t.Fatalf("Hash() = %q: want sha256: and 64 lowercase hex digits", h)
		}
		if strings.Contains(h, sec.Reveal()) {
			t.Fatal("Hash() contains the token")
		}
		// The hash covers the whole token, not only the secret (as Grafana's PBKDF2 does).
		_, secret, _ := sec.Parts()
		if h == tokSHA256(secret) {
			t.Fatal("Hash() is the SHA-256 of the secret alone, want of the whole 46-character token")
		}
	}
	// The hash is a pure function of the token: the same token parsed twice hashes the same.
	if tokMustParse(t, grafanaVector).Hash() != tokMustParse(t, grafanaVector).Hash() {
		t.Fatal("Hash() differs for the same token")
	}
}

func TestToken_ExpiredBoundary(t *testing.T) {
	t.Parallel()
	var tk Token
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if tk.Expired(now) {
		t.Fatal("a token without expiry is expired")
	}
	tk.Expires = now
	if !tk.Expired(now) {
		t.Fatal("expires == now must be expired (Grafana rejects expires <= now)")
	}
	tk.Expires = now.Add(1)
	if tk.Expired(now) {
		t.Fatal("a token expiring after now is expired")
	}
}

// ---------------------------------------------------------------------------------------------
// Token authentication against a counting store: what reaches the database, and when a use is
// recorded. The end-to-end behaviour is in cmd/warden/token_auth_test.go.

// tokStore is a Store whose transactions serve one token, one account and its membership from
// memory, and count how often they are opened.
type tokStore struct {
	views, updates int
	token          *Token
	user           *User
	role           OrgRole
	flushed        map[int64]time.Time
}

func (s *tokStore) View(ctx context.Context, fn func(Tx) error) error {
	s.views++
	return fn(tokTx{s: s})
}

func (s *tokStore) Update(ctx context.Context, fn func(Tx) error) error {
	s.updates++
	return fn(tokTx{s: s})
}

func (s *tokStore) Ping(context.Context) error { return nil }
func (s *tokStore) Close() error               { return nil }

// tokTx implements the few queries token authentication makes; any other panics (nil Tx).
type tokTx struct {
	Tx
	s *tokStore
}

func (tx tokTx) FindTokenByHash(_ context.Context, hash string) (*Token, error) {
	if tx.s.token == nil || tx.s.token.Hash != hash {
		return nil, Errorf(ENOTFOUND, "token not found")
	}
	cp := *tx.s.token
	return &cp, nil
}

func (tx tokTx) FindTokenIdentity(ctx context.Context, hash string) (*TokenIdentity, error) {
	tk, err := tx.FindTokenByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	u, err := tx.FindUserByID(ctx, tk.ServiceAccountID)
	if err != nil {
		return nil, err
	}
	return &TokenIdentity{Token: tk, Account: u, Role: tx.s.role}, nil
}

func (tx tokTx) FindUserByID(_ context.Context, id int64) (*User, error) {
	if tx.s.user == nil || tx.s.user.ID != id {
		return nil, Errorf(ENOTFOUND, "user not found")
	}
	cp := *tx.s.user
	return &cp, nil
}

func (tx tokTx) FindOrgUser(_ context.Context, orgID, userID int64) (*OrgUser, error) {
	return &OrgUser{OrgID: orgID, UserID: userID, Role: tx.s.role}, nil
}

func (tx tokTx) FindUserManagedPermissions(context.Context, int64, int64) ([]*ManagedPermission, error) {
	return nil, nil
}

func (tx tokTx) FindUserTeams(context.Context, int64, int64) ([]*TeamMember, error) {
	return nil, nil
}

func (tx tokTx) UpdateTokensLastUsed(_ context.Context, uses map[int64]TokenUse) error {
	if tx.s.flushed == nil {
		tx.s.flushed = map[int64]time.Time{}
	}
	for id, use := range uses {
		at := use.At
		tx.s.flushed[id] = at
		if tx.s.token != nil && tx.s.token.ID == id {
			tx.s.token.LastUsedAt = at
		}
	}
	return nil
}

// tokAuthEnv is a Service over a tokStore holding one valid token of service account 7 in
// org 1, with a settable clock.
type tokAuthEnv struct {
	svc    *Service
	store  *tokStore
	secret Secret
	now    time.Time
}

func newTokAuthEnv(t *testing.T) *tokAuthEnv {
	t.Helper()
	sec, err := NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st := &tokStore{
		token: &Token{ID: 3, OrgID: 1, ServiceAccountID: 7, Name: "ci", Hash: sec.Hash()},
		user:  &User{ID: 7, Login: "sa-1-ci", IsServiceAccount: true},
		role:  RoleViewer,
	}
	e := &tokAuthEnv{store: st, secret: sec, now: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	e.svc = NewService(st, slog.New(slog.NewTextHandler(io.Discard, nil)), DefaultConfig())
	e.svc.Now = func() time.Time { return e.now }
	return e
}

func (e *tokAuthEnv) pending() map[int64]time.Time {
	e.svc.lastUsed.mu.Lock()
	defer e.svc.lastUsed.mu.Unlock()
	out := map[int64]time.Time{}
	for k, v := range e.svc.lastUsed.pending {
		out[k] = v.At
	}
	return out
}

func TestToken_MalformedTokensNeverReachTheStore(t *testing.T) {
	t.Parallel()
	e := newTokAuthEnv(t)
	bad := []string{"", "abc", "123123", grafanaVector[:len(grafanaVector)-1] + "8",
		"glsa_" + grafanaVectorSecret + "_" + strings.ToUpper(grafanaVectorChecksum), e.secret.Reveal() + " ",
		strings.Replace(e.secret.Reveal(), "glsa_", "glsb_", 1)}
	for _, raw := range bad {
		p, err := e.svc.AuthenticateToken(context.Background(), raw, 0)
		if p != nil || !errors.Is(err, ErrInvalidAPIKey) {
			t.Errorf("AuthenticateToken(%q) = %v, %v; want ErrInvalidAPIKey", raw, p, err)
		}
	}
	if e.store.views != 0 || e.store.updates != 0 {
		t.Fatalf("malformed tokens opened %d read and %d write transactions, want none", e.store.views, e.store.updates)
	}
	// A well-formed token that is not stored costs exactly one read.
	other, _ := NewSecret(rand.Reader)
	if _, err := e.svc.AuthenticateToken(context.Background(), other.Reveal(), 0); !errors.Is(err, ErrInvalidAPIKey) {
		t.Fatalf("unknown token: err = %v, want ErrInvalidAPIKey", err)
	}
	if e.store.views != 1 || e.store.updates != 0 {
		t.Fatalf("an unknown well-formed token opened %d read and %d write transactions, want 1 and 0", e.store.views, e.store.updates)
	}
}

func TestToken_AuthenticationWritesNothingAndFlushRecordsTheUse(t *testing.T) {
	t.Parallel()
	e := newTokAuthEnv(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		p, err := e.svc.AuthenticateToken(ctx, e.secret.Reveal(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != KindServiceAccount || p.UserID != 7 || p.OrgID != 1 || p.OrgRole != RoleViewer || p.TokenID != 3 {
			t.Fatalf("principal = %+v, want service account 7 in org 1 as Viewer via token 3", p)
		}
	}
	if e.store.updates != 0 {
		t.Fatalf("authentication opened %d write transactions, want none on the request's path", e.store.updates)
	}
	if got := e.pending(); len(got) != 1 || !got[3].Equal(e.now) {
		t.Fatalf("pending uses = %v, want token 3 at %v once", got, e.now)
	}
	if err := e.svc.FlushLastUsed(ctx); err != nil {
		t.Fatal(err)
	}
	if e.store.updates != 1 || !e.store.flushed[3].Equal(e.now) {
		t.Fatalf("flush: %d writes, flushed %v; want one write of token 3 at %v", e.store.updates, e.store.flushed, e.now)
	}
	// Nothing pending: a second flush writes nothing.
	if err := e.svc.FlushLastUsed(ctx); err != nil || e.store.updates != 1 {
		t.Fatalf("an empty flush wrote (%d writes, err %v)", e.store.updates, err)
	}

	// Used again within the minute: no new write is queued (resolution is one minute).
	e.now = e.now.Add(59 * time.Second)
	if _, err := e.svc.AuthenticateToken(ctx, e.secret.Reveal(), 0); err != nil {
		t.Fatal(err)
	}
	if got := e.pending(); len(got) != 0 {
		t.Fatalf("a use 59 s after the last one queued %v, want nothing", got)
	}
	// Used a minute or more after the stored value: queued again, so it stays current.
	e.now = e.now.Add(2 * time.Second)
	if _, err := e.svc.AuthenticateToken(ctx, e.secret.Reveal(), 0); err != nil {
		t.Fatal(err)
	}
	if got := e.pending(); !got[3].Equal(e.now) {
		t.Fatalf("a use 61 s after the stored one queued %v, want token 3 at %v", got, e.now)
	}
	if e.store.updates != 1 {
		t.Fatalf("authentication opened %d write transactions, want none on the request's path", e.store.updates-1)
	}
}

func TestToken_FailedChecksRecordNoUse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(e *tokAuthEnv)
		org   int64
		want  string
	}{
		{"expired", func(e *tokAuthEnv) { e.store.token.Expires = e.now }, 0, "Expired API key"},
		{"revoked", func(e *tokAuthEnv) { e.store.token.IsRevoked = true }, 0, "Revoked API key"},
		{"other org", func(*tokAuthEnv) {}, 2, "API key does not belong to the requested organization"},
		{"human user", func(e *tokAuthEnv) { e.store.user.IsServiceAccount = false }, 0, "Invalid API key"},
		{"disabled", func(e *tokAuthEnv) { e.store.user.IsDisabled = true }, 0, "Unauthorized"},
		{"account gone", func(e *tokAuthEnv) { e.store.user = nil }, 0, "Invalid API key"},
		{"token gone", func(e *tokAuthEnv) { e.store.token.Hash = "sha256:other" }, 0, "Invalid API key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTokAuthEnv(t)
			tc.setup(e)
			p, err := e.svc.AuthenticateToken(context.Background(), e.secret.Reveal(), tc.org)
			var we *Error
			if p != nil || !errors.As(err, &we) || we.Code != EUNAUTHORIZED || we.Message != tc.want {
				t.Fatalf("AuthenticateToken = %v, %v; want 401 %q", p, err, tc.want)
			}
			if got := e.pending(); len(got) != 0 {
				t.Fatalf("a failed check queued a use: %v", got)
			}
			if e.store.updates != 0 {
				t.Fatalf("a failed check wrote to the store %d times", e.store.updates)
			}
		})
	}
}

func TestToken_ToggleOffRejectsTokensWithoutLookup(t *testing.T) {
	t.Parallel()
	e := newTokAuthEnv(t)
	cfg := DefaultConfig()
	cfg.DisableServiceAccounts = true
	e.svc = NewService(e.store, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	if p, err := e.svc.AuthenticateToken(context.Background(), e.secret.Reveal(), 0); p != nil || !errors.Is(err, ErrInvalidAPIKey) {
		t.Fatalf("with serviceAccounts off, AuthenticateToken = %v, %v; want ErrInvalidAPIKey", p, err)
	}
	if e.store.views != 0 || len(e.pending()) != 0 {
		t.Fatalf("with serviceAccounts off, a token was looked up (%d reads) or recorded", e.store.views)
	}
}
