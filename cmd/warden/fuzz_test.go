package main

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/ini.v1"
)

// fuzzEnvKey is a setting that an environment variable may override.
type fuzzEnvKey struct{ section, key string }

// fuzzEnvKeys lists every key of the built-in defaults, in file order.
func fuzzEnvKeys(f *testing.F) []fuzzEnvKey {
	defaults, err := ini.LoadSources(iniOptions, defaultsINI)
	if err != nil {
		f.Fatal(err)
	}
	var keys []fuzzEnvKey
	for _, sec := range defaults.Sections() {
		for _, k := range sec.Keys() {
			keys = append(keys, fuzzEnvKey{sec.Name(), k.Name()})
		}
	}
	if len(keys) == 0 {
		f.Fatal("no keys in defaults.ini")
	}
	return keys
}

// fuzzDSNPassword and fuzzURLPassword find the passwords a connection string may hold: in a
// libpq key=value string, and in a URL's userinfo. They are deliberately broader than
// config.go's own patterns, which they check.
var (
	fuzzDSNPassword = regexp.MustCompile(`(?i)(?:^|\s)(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)
	fuzzQueryPass   = regexp.MustCompile(`(?i)[?&](?:ssl)?password=([^&]*)`)
)

// fuzzSecrets returns the secret parts of value for the setting key: the whole value for
// password and secret keys, the passwords for URL keys, nothing otherwise.
func fuzzSecrets(key, value string) []string {
	k := strings.ToLower(key)
	switch {
	case notSecret[k]:
		return nil
	case strings.Contains(k, "password"), strings.Contains(k, "secret"):
		return []string{value, strings.TrimSpace(value)}
	case k == "url" || strings.HasSuffix(k, "_url"):
		var out []string
		if u, err := url.Parse(strings.TrimSpace(value)); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok {
				out = append(out, p)
			}
		}
		if _, rest, ok := strings.Cut(value, "://"); ok {
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				if _, p, ok := strings.Cut(rest[:at], ":"); ok {
					out = append(out, p)
				}
			}
		}
		for _, m := range fuzzDSNPassword.FindAllStringSubmatch(value, -1) {
			out = append(out, m[1], strings.Trim(m[1], "'"))
		}
		for _, m := range fuzzQueryPass.FindAllStringSubmatch(value, -1) {
			out = append(out, m[1])
			if p, err := url.QueryUnescape(m[1]); err == nil {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}

// FuzzConfig loads a fuzzed ini file (none when empty) with one fuzzed environment variable,
// whose key the first argument picks among the keys of defaults.ini. LoadConfig returns a
// config or a *ConfigError, never panics, and its errors never show a password or secret
// given in that variable.
func FuzzConfig(f *testing.F) {
	skipOnPostgresStage(f, "configuration: no database")
	keys := fuzzEnvKeys(f)
	keyIndex := func(section, key string) byte {
		for i, k := range keys {
			if k.section == section && k.key == key {
				return byte(i)
			}
		}
		f.Fatalf("no key [%s] %s", section, key)
		return 0
	}
	pw, dbURL, secretKey := keyIndex("security", "admin_password"), keyIndex("database", "url"), keyIndex("security", "secret_key")
	port := keyIndex("server", "http_port")
	f.Add("", pw, "hunter2")
	f.Add("", secretKey, "sign-me-please")
	f.Add("[database]\ntype = postgres\n", dbURL, "mysql://root:hunter2@db/warden")
	f.Add("[database]\ntype = postgres\n", dbURL, "postgres://warden:topsecret@db:5432/warden?sslmode=disable")
	f.Add("[database]\ntype = postgres\n", dbURL, "host=db user=warden password=s3cret dbname=warden")
	f.Add("[database]\ntype = postgres\n", dbURL, "mysql://db/warden?user=bob&password=s3cret")
	f.Add("[database]\ntype = sqlite3\nurl = x\n", dbURL, "postgres://u:p@ss/w?rd@host/db")
	f.Add("[server]\nhttp_port = 1\n", port, "abc")
	f.Add("[server\nhttp_port = 1\n", port, "")
	f.Add("[server]\nprotocol = https\ncert_file = c\ncert_key = k\nroot_url = https://x/\n", port, "443")
	f.Add("[server]\nroot_url = %(protocol)s://%(domain)s:%(http_port)s/sub\ndomain = example.com\n", keyIndex("server", "domain"), "a b")
	f.Add("[server]\ntrusted_proxies = 10.0.0.0/8, ::1 fe80::1%eth0\n", keyIndex("server", "trusted_proxies"), "1.2.3.4/33")
	f.Add("[server]\nread_timeout = 1d12h\nwrite_timeout = 0.5w\n", keyIndex("server", "idle_timeout"), "9999999999999999999d")
	f.Add("[auth]\napi_key_max_seconds_to_live = 9007199254740993\n", keyIndex("auth", "token_cache_size"), "-1")
	f.Add("[security]\nbrute_force_login_protection_max_attempts = -5\nadmin_user =\n", pw, "%(admin_user)s")
	f.Add("[feature_toggles]\nenable = a,b serviceaccounts\nserviceAccounts = maybe\n", keyIndex("feature_toggles", "serviceAccounts"), "off")
	f.Add("[users]\nauto_assign_org_role = admin\n[log]\nlevel = trace\nformat = JSON\n", keyIndex("log", "level"), "critical")
	f.Add("[paths]\ndata = /tmp/x\n[database]\npath = file::memory:\n", keyIndex("database", "path"), ":memory:")
	f.Add("\xef\xbb\xbf[DEFAULT]\nx = %(x)s\n[server]\ndomain = %(x)s\n", keyIndex("authz", "forward_headers"), "Envoy")

	path := filepath.Join(f.TempDir(), "warden.ini")
	f.Fuzz(func(t *testing.T, file string, sel byte, value string) {
		k := keys[int(sel)%len(keys)]
		name := envVarName(k.section, k.key)
		env := func(v string) func(string) string {
			return func(n string) string {
				if n == name {
					return v
				}
				return ""
			}
		}
		p := ""
		if file != "" {
			if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
				t.Fatal(err)
			}
			p = path
		}
		cfg, err := LoadConfig(p, env(value))
		if (cfg == nil) == (err == nil) {
			t.Fatalf("LoadConfig = (%v, %v): want a config or an error", cfg, err)
		}
		if err == nil {
			if !strings.HasSuffix(cfg.Server.RootURL, "/") {
				t.Fatalf("RootURL %q does not end in /", cfg.Server.RootURL)
			}
			return
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
		}
		msg := err.Error()
		for _, s := range fuzzSecrets(k.key, value) {
			if len(s) < 4 || !strings.Contains(msg, s) {
				continue
			}
			// Shown, unless by coincidence: the same input with another secret of the same
			// length would show it too.
			filler := strings.Repeat("Q", len(s))
			if s == filler {
				filler = strings.Repeat("Z", len(s))
			}
			_, err2 := LoadConfig(p, env(strings.ReplaceAll(value, s, filler)))
			if err2 != nil && strings.Contains(err2.Error(), s) {
				continue
			}
			if err2 == nil && !strings.Contains(msg, value) {
				continue // the secret's change changed the outcome: only the whole value counts
			}
			t.Fatalf("%s=%q: the error shows the secret %q: %s", name, value, s, msg)
		}
	})
}
