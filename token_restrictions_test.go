package warden_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

func TestParseTokenRestrictions(t *testing.T) {
	t.Parallel()
	r, err := warden.ParseTokenRestrictions(" viewer ", []string{"orders:write", "a.b_c/d-e:f", "9"},
		[]string{"10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32", "2001:db8::1"})
	if err != nil {
		t.Fatal(err)
	}
	want := warden.TokenRestrictions{
		Role:   warden.RoleViewer,
		Scopes: []string{"orders:write", "a.b_c/d-e:f", "9"},
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
			netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("2001:db8::1/128")},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	if got := r.CIDRStrings(); strings.Join(got, " ") != "10.0.0.0/8 192.0.2.7/32 2001:db8::/32 2001:db8::1/128" {
		t.Fatalf("CIDRStrings = %v", got)
	}
	// Nothing asked, nothing restricted: nil slices, as a Grafana token's.
	none, err := warden.ParseTokenRestrictions("", nil, []string{})
	if err != nil || !reflect.DeepEqual(none, warden.TokenRestrictions{}) || !none.IsZero() {
		t.Fatalf("empty = %+v, %v", none, err)
	}

	many := func(n int, f func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		role          string
		scopes, cidrs []string
		want          string // the start of the message
	}{
		{"unknown role", "Owner", nil, nil, `role: "Owner" is not a role`},
		{"upper case scope", "", []string{"Orders:write"}, nil, `scopes: "Orders:write" is not a scope`},
		{"scope starting with punctuation", "", []string{":write"}, nil, `scopes: ":write" is not a scope`},
		{"scope with a space", "", []string{"a b"}, nil, `scopes: "a b" is not a scope`},
		{"empty scope", "", []string{""}, nil, `scopes: "" is not a scope`},
		{"long scope", "", []string{strings.Repeat("a", 129)}, nil, "scopes: "},
		{"duplicate scope", "", []string{"a", "a"}, nil, `scopes: "a" is listed twice`},
		{"too many scopes", "", many(51, func(i int) string { return "s" + string(rune('a'+i%26)) + strings.Repeat("x", i) }), nil, "scopes: at most 50"},
		{"not an address", "", nil, []string{"example.com"}, `allowedCidrs: "example.com" is not an IP address or a CIDR`},
		{"host bits", "", nil, []string{"10.0.0.5/24"}, `allowedCidrs: "10.0.0.5/24" has address bits set past its prefix length; did you mean 10.0.0.0/24?`},
		{"zone", "", nil, []string{"fe80::1%eth0"}, "allowedCidrs: "},
		{"mapped", "", nil, []string{"::ffff:10.0.0.1"}, "allowedCidrs: \"::ffff:10.0.0.1\" is an IPv4-mapped IPv6 address; write it as IPv4 (10.0.0.1)"},
		{"duplicate range", "", nil, []string{"10.0.0.1", "10.0.0.1/32"}, "allowedCidrs: 10.0.0.1/32 is listed twice"},
		{"too many ranges", "", nil, many(51, func(i int) string { return "10.0.0." + string(rune('0'+i%10)) }), "allowedCidrs: at most 50"},
	} {
		_, err := warden.ParseTokenRestrictions(tc.role, tc.scopes, tc.cidrs)
		if warden.ErrorCode(err) != warden.EINVALID || !strings.HasPrefix(warden.ErrorMessage(err), tc.want) {
			t.Errorf("%s: err = %v, want EINVALID starting %q", tc.name, err, tc.want)
		}
	}
	// 50 of each is the limit, not over it.
	fifty := many(50, func(i int) string { return "s" + strings.Repeat("x", i) })
	if _, err := warden.ParseTokenRestrictions("", fifty, nil); err != nil {
		t.Errorf("50 scopes: %v", err)
	}
	if _, err := warden.ParseTokenRestrictions("", []string{strings.Repeat("a", 128)}, nil); err != nil {
		t.Errorf("a 128-character scope: %v", err)
	}
}

func TestTokenRestrictions_AllowsAddress(t *testing.T) {
	// Not parallel: AllocsPerRun.
	r, err := warden.ParseTokenRestrictions("", nil, []string{"10.0.0.0/8", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{
		"10.1.2.3":         true,
		"::ffff:10.1.2.3":  true, // an IPv4 client seen through a dual-stack socket
		"2001:db8::5":      true,
		"11.0.0.1":         false,
		"2001:db9::1":      false,
		"":                 false, // unknown: refused, never let through
		"not-an-address":   false,
		"fe80::1%eth0":     false,
		"10.1.2.3:5678":    false,
		"::ffff:11.0.0.1":  false,
		"2001:db8::5%eth0": false,
	} {
		if got := r.AllowsAddress(ip); got != want {
			t.Errorf("AllowsAddress(%q) = %v, want %v", ip, got, want)
		}
	}
	if !(warden.TokenRestrictions{}).AllowsAddress("") {
		t.Error("a token without ranges is refused from an unknown address")
	}
	if n := testing.AllocsPerRun(100, func() { r.AllowsAddress("2001:db8::5") }); n != 0 {
		t.Errorf("AllowsAddress allocates %v times", n)
	}
}

func TestTokenRestrictions_HasScopes(t *testing.T) {
	t.Parallel()
	r := warden.TokenRestrictions{Scopes: []string{"orders:read", "orders:write"}}
	switch {
	case !r.HasScopes(nil):
		t.Error("no scope required: refused")
	case !r.HasScopes([]string{"orders:write"}):
		t.Error("a held scope: refused")
	case !r.HasScopes([]string{"orders:write", "orders:read"}):
		t.Error("both held scopes: refused")
	case r.HasScopes([]string{"orders:write", "orders:delete"}):
		t.Error("one scope missing: allowed")
	case (warden.TokenRestrictions{}).HasScopes([]string{"orders:read"}):
		t.Error("a token without scopes holds one")
	}
}

func TestRestrictionsFromStore(t *testing.T) {
	t.Parallel()
	r, err := warden.ParseTokenRestrictions("Editor", []string{"a", "b:c"}, []string{"10.0.0.0/8", "2001:db8::1"})
	if err != nil {
		t.Fatal(err)
	}
	back, err := warden.RestrictionsFromStore(string(r.Role), r.StoredScopes(), r.StoredCIDRs())
	if err != nil || !reflect.DeepEqual(back, r) {
		t.Fatalf("round trip = %+v, %v; want %+v", back, err, r)
	}
	if z, err := warden.RestrictionsFromStore("", "", ""); err != nil || !reflect.DeepEqual(z, warden.TokenRestrictions{}) {
		t.Fatalf("empty = %+v, %v", z, err)
	}
	for _, bad := range [][3]string{{"Owner", "", ""}, {"", "", "10.0.0.0/33"}, {"", "", "nonsense"}} {
		if _, err := warden.RestrictionsFromStore(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("RestrictionsFromStore(%q) accepted", bad)
		}
	}
}
