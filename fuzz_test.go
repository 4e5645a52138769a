package warden

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"strings"
	"testing"
)

// FuzzParseSecret checks the token parser on any string: it never panics, and whatever it
// accepts is a glsa_ token of the right shape with a valid checksum that it gives back
// unchanged, and whose hash is the deterministic "sha256:" of the token.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{
		grafanaVector,
		"glsa_yscW25imSKJIuav8zF37RZmnbiDvB05G_fcaaf58a",
		"glsa_VVQjot0nijQ59lun6pMZRtsdBXxnFQ9M_77c34a79",
		"glsa_" + grafanaVectorSecret + "_" + strings.ToUpper(grafanaVectorChecksum),
		grafanaVector[:len(grafanaVector)-1] + "8",
		tokWithSum("glsa_" + grafanaVectorSecret[:10] + "_" + grafanaVectorSecret[11:]),
		tokWithSum("glsa_" + grafanaVectorSecret[:10] + "é" + grafanaVectorSecret[12:]),
		"", "glsa_", "glsa", "eyJrIjoiYWJjIiwibiI6InRlc3QiLCJpZCI6MX0=",
		strings.Repeat("\x00", TokenLen), strings.Repeat("_", TokenLen), strings.Repeat("\xff", TokenLen),
	} {
		f.Add(s)
	}
	for i := 0; i < 4; i++ {
		sec, err := NewSecret(bytes.NewReader(bytes.Repeat([]byte{byte(i * 61), byte(i*7 + 1), 250}, 64)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sec.Reveal())
	}

	f.Fuzz(func(t *testing.T, s string) {
		sec, ok := ParseSecret(s)
		if !ok {
			if sec.Reveal() != "" {
				t.Fatalf("ParseSecret(%q) rejected the token but returned %q", s, sec.Reveal())
			}
			return
		}
		if got := sec.Reveal(); got != s {
			t.Fatalf("ParseSecret(%q).Reveal() = %q", s, got)
		}
		if len(s) != TokenLen || !strings.HasPrefix(s, "glsa_") || s[TokenLen-9] != '_' {
			t.Fatalf("ParseSecret accepted %q, which has not the glsa_<32>_<8> shape", s)
		}
		for _, c := range []byte(s[5 : 5+32]) {
			if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
				t.Fatalf("ParseSecret accepted %q, whose secret has %q", s, c)
			}
		}
		// The checksum, recomputed with hash/crc32 rather than the parser's own loop.
		var le [4]byte
		crc := crc32.ChecksumIEEE([]byte(s[:TokenLen-9]))
		le[0], le[1], le[2], le[3] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
		if want := hex.EncodeToString(le[:]); s[TokenLen-8:] != want {
			t.Fatalf("ParseSecret accepted %q with checksum %q, want %q", s, s[TokenLen-8:], want)
		}
		id, secret, sum := sec.Parts()
		if id != "sa" || secret != s[5:37] || sum != s[38:] {
			t.Fatalf("Parts(%q) = (%q, %q, %q)", s, id, secret, sum)
		}
		sha := sha256.Sum256([]byte(s))
		if h1, h2 := sec.Hash(), sec.Hash(); h1 != h2 || h1 != "sha256:"+hex.EncodeToString(sha[:]) {
			t.Fatalf("Hash(%q) = %q then %q, want sha256:%x", s, h1, h2, sha)
		}
		if again, ok := ParseSecret(s); !ok || again.Hash() != sec.Hash() {
			t.Fatalf("ParseSecret(%q) is not deterministic", s)
		}
		if sec.String() != "REDACTED" {
			t.Fatalf("String() = %q", sec.String())
		}
	})
}
