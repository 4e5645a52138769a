package warden

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"time"
)

// Token format, bit for bit Grafana's service-account token (SPEC §3.1):
//
//	glsa_<32 characters of [0-9A-Za-z]>_<CRC-32/IEEE of "glsa_<secret>", little-endian, 8 hex>
//
// so that tokens look and checksum the same to secret scanners.
const (
	tokenPrefix      = "glsa_"
	tokenSecretLen   = 32
	tokenChecksumLen = 8
	// TokenLen is the length of a token string.
	TokenLen = len(tokenPrefix) + tokenSecretLen + 1 + tokenChecksumLen
)

const tokenAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Secret is a token's plaintext. It exists only between its creation and the one response
// that carries it; it redacts itself when printed or logged. Read it with Reveal.
type Secret struct{ s string }

// String returns "REDACTED" so a Secret never reaches a log or an error by accident.
func (Secret) String() string { return "REDACTED" }

// LogValue keeps slog from printing the secret.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// GoString keeps %#v from printing the secret.
func (Secret) GoString() string { return "warden.Secret{REDACTED}" }

// Reveal returns the token string. Call it only to send the token to its owner once.
func (s Secret) Reveal() string { return s.s }

// NewSecret draws a new token from r: 32 characters chosen uniformly from the 62
// alphanumerics by rejection sampling (no modulo bias), then the checksum.
func NewSecret(r io.Reader) (Secret, error) {
	secret := make([]byte, 0, tokenSecretLen)
	buf := make([]byte, 64)
	for len(secret) < tokenSecretLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return Secret{}, fmt.Errorf("token randomness: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: bytes at or above it would favour the first characters.
			if b < 248 && len(secret) < tokenSecretLen {
				secret = append(secret, tokenAlphabet[b%62])
			}
		}
	}
	body := tokenPrefix + string(secret)
	return Secret{s: body + "_" + tokenChecksum(body)}, nil
}

// tokenChecksum is the CRC-32/IEEE of body, its 4 bytes little-endian, as lowercase hex.
func tokenChecksum(body string) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(body)))
	return hex.EncodeToString(b[:])
}

// ParseSecret checks that s is a well-formed token with a valid checksum. It touches no
// database: garbage is rejected for the cost of one CRC.
func ParseSecret(s string) (Secret, bool) {
	if len(s) != TokenLen || s[:len(tokenPrefix)] != tokenPrefix || s[TokenLen-tokenChecksumLen-1] != '_' {
		return Secret{}, false
	}
	for i := len(tokenPrefix); i < len(tokenPrefix)+tokenSecretLen; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return Secret{}, false
		}
	}
	body, sum := s[:TokenLen-tokenChecksumLen-1], s[TokenLen-tokenChecksumLen:]
	want, ok := parseChecksum(sum)
	if !ok || crcString(body) != want {
		return Secret{}, false
	}
	return Secret{s: s}, true
}

// crcString is CRC-32/IEEE of s, byte by byte with the standard table. It reads the string
// directly: converting it to a []byte for hash/crc32 would allocate on every request.
func crcString(s string) uint32 {
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = crc32.IEEETable[byte(crc)^s[i]] ^ (crc >> 8)
	}
	return ^crc
}

// parseChecksum reads the 8 lowercase hex digits of a checksum (the CRC's bytes in
// little-endian order) without allocating: this runs on every request.
func parseChecksum(sum string) (uint32, bool) {
	var b [4]byte
	for i := 0; i < 4; i++ {
		hi, ok1 := hexVal(sum[2*i])
		lo, ok2 := hexVal(sum[2*i+1])
		if !ok1 || !ok2 {
			return 0, false
		}
		b[i] = hi<<4 | lo
	}
	return binary.LittleEndian.Uint32(b[:]), true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Parts splits a parsed token into Grafana's decoded fields: service id ("sa"), secret and
// checksum.
func (s Secret) Parts() (serviceID, secret, checksum string) {
	if len(s.s) != TokenLen {
		return "", "", ""
	}
	return "sa", s.s[len(tokenPrefix) : len(tokenPrefix)+tokenSecretLen], s.s[TokenLen-tokenChecksumLen:]
}

// Hash returns what Warden stores for a token: "sha256:" and the hex SHA-256 of the whole
// token string. The secret's 190 bits make a slow or salted hash pointless, and an unkeyed hash
// keeps tokens independent of secret_key; the algorithm tag leaves room for other schemes.
func (s Secret) Hash() string {
	sum := s.digest()
	return "sha256:" + hex.EncodeToString(sum[:])
}

// digest returns the SHA-256 of the token without allocating: the cache's key.
func (s Secret) digest() [sha256.Size]byte {
	var buf [TokenLen]byte
	return sha256.Sum256(buf[:copy(buf[:], s.s)])
}

// Token is a service-account token's metadata. The plaintext is never stored.
type Token struct {
	ID               int64
	OrgID            int64
	ServiceAccountID int64
	Name             string
	Hash             string
	Created          time.Time
	Updated          time.Time
	Expires          time.Time // zero: never expires
	LastUsedAt       time.Time // zero: never used
	IsRevoked        bool

	// CreatedBy is who created the token; its zero value (Kind "") means it was not recorded
	// (tokens made before Warden recorded it).
	CreatedBy TokenCreator
	// LastUsedIP is the client address of the latest recorded use; "" before the first.
	LastUsedIP string
	// ReplacedBy is the token that replaced this one by rotation, Replaces the one this one
	// replaced; 0: none.
	ReplacedBy int64
	Replaces   int64

	// Restrictions narrow the token below its account (role cap, scopes, address ranges);
	// the zero value restricts nothing.
	Restrictions TokenRestrictions
}

// TokenCreator is the identity that created a token: a user, a service account, or the
// server itself ("system", e.g. provisioning).
type TokenCreator struct {
	Kind  string // "user", "service_account", "system"
	ID    int64
	Login string
}

// TokenUse is the latest recorded use of a token: when, and from which client address.
type TokenUse struct {
	At time.Time
	IP string
}

// ExpiredTokens selects the tokens that have expired: whose expiry is at or before
// ExpiredBefore or, when CreatedBefore is set (a day limit enforced at use), that were created
// at or before it. ServiceAccountID 0 selects those of every account and org.
type ExpiredTokens struct {
	OrgID            int64
	ServiceAccountID int64
	ExpiredBefore    time.Time
	CreatedBefore    time.Time
	Limit            int
}

// TokenIdentity is what a token acts as, read in one query: the token, its service account and
// the account's role in the token's org.
type TokenIdentity struct {
	Token   *Token
	Account *User // ID, UID, Login, Email, Name, IsDisabled and IsServiceAccount are filled in
	Role    OrgRole
}

// Expired reports whether the token has expired at now. Grafana rejects a token whose expiry
// is at or before now.
func (t *Token) Expired(now time.Time) bool {
	return !t.Expires.IsZero() && !t.Expires.After(now)
}
