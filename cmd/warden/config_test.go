package main

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// envMap returns a getenv backed by m, so tests never touch the process
// environment and can run in parallel.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeConfig writes content to a config file in a fresh temp dir.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "warden.ini")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// load calls LoadConfig with an optional file body and env, failing the
// test on error.
func load(t *testing.T, file string, env map[string]string) *Config {
	t.Helper()
	path := ""
	if file != "" {
		path = writeConfig(t, file)
	}
	c, err := LoadConfig(path, envMap(env))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return c
}

// loadErr calls LoadConfig expecting a *ConfigError.
func loadErr(t *testing.T, file string, env map[string]string) *ConfigError {
	t.Helper()
	path := ""
	if file != "" {
		path = writeConfig(t, file)
	}
	c, err := LoadConfig(path, envMap(env))
	if err == nil {
		t.Fatalf("LoadConfig succeeded (%+v), want error", c)
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
	}
	return ce
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	c, err := LoadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Server
	checks := []struct {
		name      string
		got, want any
	}{
		{"Protocol", s.Protocol, "http"},
		{"HTTPAddr", s.HTTPAddr, ""},
		{"HTTPPort", s.HTTPPort, 3000},
		{"Domain", s.Domain, "localhost"},
		{"RootURL", s.RootURL, "http://localhost:3000/"},
		{"CertFile", s.CertFile, ""},
		{"CertKey", s.CertKey, ""},
		{"RouterLogging", s.RouterLogging, true},
		{"TrustedProxies", len(s.TrustedProxies), 0},
		{"ReadHeaderTimeout", s.ReadHeaderTimeout, 10 * time.Second},
		{"ReadTimeout", s.ReadTimeout, 30 * time.Second},
		{"WriteTimeout", s.WriteTimeout, 60 * time.Second},
		{"IdleTimeout", s.IdleTimeout, 120 * time.Second},
		{"MaxHeaderBytes", s.MaxHeaderBytes, 65536},
		{"Paths.Data", c.Paths.Data, "data"},
		{"Database.Type", c.Database.Type, "sqlite3"},
		{"Database.Path", c.Database.Path, filepath.Join("data", "warden.db")},
		{"Database.URL", c.Database.URL, ""},
		{"AdminUser", c.Security.AdminUser, "admin"},
		{"AdminPassword", c.Security.AdminPassword, ""},
		{"AdminEmail", c.Security.AdminEmail, "admin@localhost"},
		{"SecretKey", c.Security.SecretKey, ""},
		{"DisableBruteForceLoginProtection", c.Security.DisableBruteForceLoginProtection, false},
		{"BruteForceMaxAttempts", c.Security.BruteForceMaxAttempts, 5},
		{"PasswordCheckIPLimit", c.Security.PasswordCheckIPLimit, 100},
		{"CookieSecure", c.Security.CookieSecure, false},
		{"DisableGravatar", c.Security.DisableGravatar, false},
		{"PasswordHash", c.Security.PasswordHash, warden.DefaultPasswordHashParams},
		{"LoginMaximumInactiveLifetime", c.Auth.LoginMaximumInactiveLifetime, 7 * 24 * time.Hour},
		{"LoginMaximumLifetime", c.Auth.LoginMaximumLifetime, 30 * 24 * time.Hour},
		{"AuthBasic.Enabled", c.AuthBasic.Enabled, true},
		{"AuthBasic.PasswordPolicy", c.AuthBasic.PasswordPolicy, false},
		{"AutoAssignOrg", c.Users.AutoAssignOrg, true},
		{"AutoAssignOrgID", c.Users.AutoAssignOrgID, int64(1)},
		{"AutoAssignOrgRole", c.Users.AutoAssignOrgRole, "Viewer"},
		{"Log.Level", c.Log.Level, "info"},
		{"Log.Format", c.Log.Format, "text"},
		{"FeatureToggles", c.FeatureToggles, map[string]bool{"serviceAccounts": true}},
		{"TokenExpirationDayLimit", c.ServiceAccounts.TokenExpirationDayLimit, -1},
		{"Audit.RetentionDays", c.Audit.RetentionDays, 90},
		{"Authz.RulesFile", c.Authz.RulesFile, ""},
		{"Authz.ForwardHeaders", c.Authz.ForwardHeaders, "auto"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	if !c.FeatureEnabled("serviceAccounts") || !c.FeatureEnabled("SERVICEACCOUNTS") {
		t.Error("FeatureEnabled(serviceAccounts) = false, want true")
	}
	if c.FeatureEnabled("nope") {
		t.Error("FeatureEnabled(nope) = true, want false")
	}
}

func TestConfigFileOverrides(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	abs := filepath.Join(t.TempDir(), "abs.db")
	c := load(t, `
[paths]
data = /var/lib/warden

[server]
protocol = https
http_addr = 127.0.0.1
http_port = 8443
domain = warden.example.com
cert_file = /etc/warden/cert.pem
cert_key = /etc/warden/key.pem
router_logging = off
trusted_proxies = 10.0.0.0/8, 192.168.1.7
read_header_timeout = 5s
read_timeout = 1m
write_timeout = 90
idle_timeout = 0
max_header_bytes = 1024

[database]
path = `+abs+`

[security]
admin_user = root
admin_password = s3cret
admin_email = root@example.com
secret_key = signing
disable_brute_force_login_protection = yes
brute_force_login_protection_max_attempts = 0
password_check_ip_limit = 0
cookie_secure = true
disable_gravatar = TRUE

[auth]
login_maximum_inactive_lifetime_duration = 1w
login_maximum_lifetime_duration = 1d12h

[auth.basic]
enabled = false
password_policy = true

[users]
auto_assign_org = false
auto_assign_org_id = 7
auto_assign_org_role = editor

[log]
level = warning
format = JSON

[service_accounts]
token_expiration_day_limit = 30

[audit]
retention_days = 0

[authz]
rules_file = /etc/warden/rules.yaml
forward_headers = Traefik
`, nil)
	s := c.Server
	checks := []struct {
		name      string
		got, want any
	}{
		{"Protocol", s.Protocol, "https"},
		{"HTTPAddr", s.HTTPAddr, "127.0.0.1"},
		{"HTTPPort", s.HTTPPort, 8443},
		{"Domain", s.Domain, "warden.example.com"},
		{"RootURL", s.RootURL, "https://warden.example.com:8443/"},
		{"CertFile", s.CertFile, "/etc/warden/cert.pem"},
		{"CertKey", s.CertKey, "/etc/warden/key.pem"},
		{"RouterLogging", s.RouterLogging, false},
		{"TrustedProxies", s.TrustedProxies, []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}},
		{"ReadHeaderTimeout", s.ReadHeaderTimeout, 5 * time.Second},
		{"ReadTimeout", s.ReadTimeout, time.Minute},
		{"WriteTimeout", s.WriteTimeout, 90 * time.Second},
		{"IdleTimeout", s.IdleTimeout, time.Duration(0)},
		{"MaxHeaderBytes", s.MaxHeaderBytes, 1024},
		{"Paths.Data", c.Paths.Data, "/var/lib/warden"},
		{"Database.Path", c.Database.Path, abs},
		{"AdminUser", c.Security.AdminUser, "root"},
		{"AdminPassword", c.Security.AdminPassword, "s3cret"},
		{"AdminEmail", c.Security.AdminEmail, "root@example.com"},
		{"SecretKey", c.Security.SecretKey, "signing"},
		{"DisableBruteForceLoginProtection", c.Security.DisableBruteForceLoginProtection, true},
		{"BruteForceMaxAttempts (0 becomes 1)", c.Security.BruteForceMaxAttempts, 1},
		{"PasswordCheckIPLimit", c.Security.PasswordCheckIPLimit, 0},
		{"CookieSecure", c.Security.CookieSecure, true},
		{"DisableGravatar", c.Security.DisableGravatar, true},
		{"LoginMaximumInactiveLifetime", c.Auth.LoginMaximumInactiveLifetime, 7 * 24 * time.Hour},
		{"LoginMaximumLifetime", c.Auth.LoginMaximumLifetime, 36 * time.Hour},
		{"AuthBasic.Enabled", c.AuthBasic.Enabled, false},
		{"AuthBasic.PasswordPolicy", c.AuthBasic.PasswordPolicy, true},
		{"AutoAssignOrg", c.Users.AutoAssignOrg, false},
		{"AutoAssignOrgID", c.Users.AutoAssignOrgID, int64(7)},
		{"AutoAssignOrgRole", c.Users.AutoAssignOrgRole, "Editor"},
		{"Log.Level", c.Log.Level, "warn"},
		{"Log.Format", c.Log.Format, "json"},
		{"TokenExpirationDayLimit", c.ServiceAccounts.TokenExpirationDayLimit, 30},
		{"Audit.RetentionDays", c.Audit.RetentionDays, 0},
		{"Authz.RulesFile", c.Authz.RulesFile, "/etc/warden/rules.yaml"},
		{"Authz.ForwardHeaders", c.Authz.ForwardHeaders, "traefik"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestConfigValueForms(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	tests := []struct {
		name string
		file string
		env  map[string]string
		get  func(*Config) any
		want any
	}{
		{"relative database path joins data", "[paths]\ndata = /srv/w\n[database]\npath = sub/x.db\n",
			nil, func(c *Config) any { return c.Database.Path }, "/srv/w/sub/x.db"},
		{"sqlite alias", "[database]\ntype = sqlite\n",
			nil, func(c *Config) any { return c.Database.Type }, "sqlite3"},
		{"sqlite memory is kept", "[database]\npath = :memory:\n",
			nil, func(c *Config) any { return c.Database.Path }, ":memory:"},
		{"postgres with url", "[database]\ntype = postgres\nurl = postgres://u:p@db/warden\n",
			nil, func(c *Config) any { return c.Database.Type + " " + c.Database.URL }, "postgres postgres://u:p@db/warden"},
		{"log.console format used when [log] format blank", "[log.console]\nformat = json\n",
			nil, func(c *Config) any { return c.Log.Format }, "json"},
		{"[log] format wins over [log.console]", "[log]\nformat = text\n[log.console]\nformat = json\n",
			nil, func(c *Config) any { return c.Log.Format }, "text"},
		{"console format is text", "[log.console]\nformat = console\n",
			nil, func(c *Config) any { return c.Log.Format }, "text"},
		{"critical level is error", "[log]\nlevel = Critical\n",
			nil, func(c *Config) any { return c.Log.Level }, "error"},
		{"role none title-cased", "[users]\nauto_assign_org_role = NONE\n",
			nil, func(c *Config) any { return c.Users.AutoAssignOrgRole }, "None"},
		{"blank typed value means default", "[server]\nhttp_port =\nread_timeout =\n",
			nil, func(c *Config) any { return []any{c.Server.HTTPPort, c.Server.ReadTimeout} }, []any{3000, 30 * time.Second}},
		{"port 0 allowed", "[server]\nhttp_port = 0\n",
			nil, func(c *Config) any { return c.Server.HTTPPort }, 0},
		{"negative brute force attempts become 1", "[security]\nbrute_force_login_protection_max_attempts = -3\n",
			nil, func(c *Config) any { return c.Security.BruteForceMaxAttempts }, 1},
		{"token limit 0", "[service_accounts]\ntoken_expiration_day_limit = 0\n",
			nil, func(c *Config) any { return c.ServiceAccounts.TokenExpirationDayLimit }, 0},
		{"explicit root_url gets trailing slash", "[server]\nroot_url = https://example.com/warden\n",
			nil, func(c *Config) any { return c.Server.RootURL }, "https://example.com/warden/"},
		{"quoted value", "[security]\nadmin_email = \"a b@example.com\"\n",
			nil, func(c *Config) any { return c.Security.AdminEmail }, "a b@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.get(load(t, tt.file, tt.env)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestConfigEnvOverridesFile(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	file := `
[server]
http_port = 4000
domain = file.example.com
[auth.basic]
enabled = true
[service_accounts]
token_expiration_day_limit = 10
[security]
admin_user = fromfile
`
	c := load(t, file, map[string]string{
		"WARDEN_SERVER_HTTP_PORT":                            "5000",
		"WARDEN_AUTH_BASIC_ENABLED":                          "false",
		"WARDEN_SERVICE_ACCOUNTS_TOKEN_EXPIRATION_DAY_LIMIT": "90",
		"WARDEN_FEATURE_TOGGLES_SERVICEACCOUNTS":             "false",
		"WARDEN_LOG_LEVEL":                                   "debug",
		"WARDEN_SECURITY_ADMIN_USER":                         "", // empty: not an override
		"GF_SERVER_DOMAIN":                                   "grafana.example.com",
	})
	if c.Server.HTTPPort != 5000 {
		t.Errorf("HTTPPort = %d, want 5000", c.Server.HTTPPort)
	}
	if c.Server.Domain != "file.example.com" {
		t.Errorf("Domain = %q, want file.example.com (GF_ variables are not read)", c.Server.Domain)
	}
	if want := "http://file.example.com:5000/"; c.Server.RootURL != want {
		t.Errorf("RootURL = %q, want %q", c.Server.RootURL, want)
	}
	if c.AuthBasic.Enabled {
		t.Error("AuthBasic.Enabled = true, want false from WARDEN_AUTH_BASIC_ENABLED")
	}
	if c.ServiceAccounts.TokenExpirationDayLimit != 90 {
		t.Errorf("TokenExpirationDayLimit = %d, want 90", c.ServiceAccounts.TokenExpirationDayLimit)
	}
	if c.FeatureEnabled("serviceAccounts") {
		t.Error("serviceAccounts enabled, want disabled by env")
	}
	if c.Log.Level != "debug" {
		t.Errorf("Log.Level = %q, want debug", c.Log.Level)
	}
	if c.Security.AdminUser != "fromfile" {
		t.Errorf("AdminUser = %q, want fromfile (empty env var must not override)", c.Security.AdminUser)
	}
}

func TestConfigEnvFile(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	dir := t.TempDir()
	secret := filepath.Join(dir, "admin_password")
	if err := os.WriteFile(secret, []byte("from file #1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"file read, newline trimmed", map[string]string{
			"WARDEN_SECURITY_ADMIN_PASSWORD__FILE": secret}, "from file #1"},
		{"plain variable wins over __FILE", map[string]string{
			"WARDEN_SECURITY_ADMIN_PASSWORD":       "plain",
			"WARDEN_SECURITY_ADMIN_PASSWORD__FILE": secret}, "plain"},
		{"__FILE overrides config file", map[string]string{
			"WARDEN_SECURITY_ADMIN_PASSWORD__FILE": secret}, "from file #1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := load(t, "[security]\nadmin_password = in-ini\n", tt.env)
			if c.Security.AdminPassword != tt.want {
				t.Errorf("AdminPassword = %q, want %q", c.Security.AdminPassword, tt.want)
			}
		})
	}

	t.Run("typed value from file", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "port")
		if err := os.WriteFile(p, []byte("8081\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := load(t, "", map[string]string{"WARDEN_SERVER_HTTP_PORT__FILE": p})
		if c.Server.HTTPPort != 8081 || c.Server.RootURL != "http://localhost:8081/" {
			t.Errorf("HTTPPort, RootURL = %d, %q; want 8081, http://localhost:8081/", c.Server.HTTPPort, c.Server.RootURL)
		}
	})

	t.Run("unreadable file", func(t *testing.T) {
		t.Parallel()
		missing := filepath.Join(t.TempDir(), "missing")
		ce := loadErr(t, "", map[string]string{"WARDEN_SECURITY_SECRET_KEY__FILE": missing})
		if ce.Section != "security" || ce.Key != "secret_key" {
			t.Errorf("Section, Key = %q, %q; want security, secret_key", ce.Section, ce.Key)
		}
		msg := ce.Error()
		for _, want := range []string{"WARDEN_SECURITY_SECRET_KEY__FILE", missing, "[security] secret_key"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not mention %q", msg, want)
			}
		}
		if !errors.Is(ce, os.ErrNotExist) {
			t.Errorf("error %v does not wrap os.ErrNotExist", ce)
		}
	})
}

func TestConfigIgnoresGrafanaSettings(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	// A trimmed copy of a real grafana.ini, including top-level keys,
	// sections and keys Warden does not know.
	c := load(t, `
app_mode = production
instance_name = ${HOSTNAME}

[paths]
data = /var/lib/grafana
logs = /var/log/grafana
plugins = /var/lib/grafana/plugins

[server]
protocol = http
http_port = 3001
domain = grafana.example.com
enforce_domain = false
serve_from_sub_path = false
enable_gzip = true

[database]
type = sqlite3
path = grafana.db
cache_mode = private
wal = true

[analytics]
reporting_enabled = false
check_for_updates = maybe

[smtp]
enabled = true
host = smtp.example.com:587
user = grafana
password = """#password;"""
from_address = admin@grafana.localhost

[security]
admin_user = admin
admin_password = admin
allow_embedding = sometimes
content_security_policy = true

[auth.anonymous]
enabled = true
org_role = Viewer

[log]
mode = console file
level = info
filters = rendering:debug

[log.console]
level = debug

[unified_alerting]
enabled = true
`, nil)
	if c.Server.HTTPPort != 3001 || c.Server.Domain != "grafana.example.com" {
		t.Errorf("server = %d %q, want 3001 grafana.example.com", c.Server.HTTPPort, c.Server.Domain)
	}
	if want := filepath.Join("/var/lib/grafana", "grafana.db"); c.Database.Path != want {
		t.Errorf("Database.Path = %q, want %q", c.Database.Path, want)
	}
	if c.Security.AdminPassword != "admin" {
		t.Errorf("AdminPassword = %q, want admin", c.Security.AdminPassword)
	}
	if c.Log.Format != "text" {
		t.Errorf("Log.Format = %q, want text", c.Log.Format)
	}
}

func TestConfigMalformed(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	tests := []struct {
		name string
		file string
		env  map[string]string
		// wantMsg must appear in the error: it names section, key, value.
		wantMsg string
	}{
		{"port not a number", "[server]\nhttp_port = abc\n", nil, `[server] http_port = "abc": not a valid port number`},
		{"port too big", "[server]\nhttp_port = 70000\n", nil, `[server] http_port = "70000": not a valid port number`},
		{"port from env", "", map[string]string{"WARDEN_SERVER_HTTP_PORT": "-1"}, `[server] http_port = "-1": not a valid port number (0-65535) (set by WARDEN_SERVER_HTTP_PORT)`},
		{"protocol", "[server]\nprotocol = h2\n", nil, `[server] protocol = "h2": must be one of http, https`},
		{"https without cert_file", "[server]\nprotocol = https\ncert_key = k.pem\n", nil, `[server] cert_file: required when protocol = https`},
		{"https without cert_key", "[server]\nprotocol = https\ncert_file = c.pem\n", nil, `[server] cert_key: required when protocol = https`},
		{"bool", "[server]\nrouter_logging = maybe\n", nil, `[server] router_logging = "maybe": not a valid boolean`},
		{"dotted section bool", "[auth.basic]\nenabled = yess\n", nil, `[auth.basic] enabled = "yess": not a valid boolean`},
		{"duration", "[server]\nread_timeout = 10 parsecs\n", nil, `[server] read_timeout = "10 parsecs": not a valid duration`},
		{"negative duration", "[server]\nidle_timeout = -5s\n", nil, `[server] idle_timeout = "-5s": must not be negative`},
		{"zero login lifetime", "[auth]\nlogin_maximum_lifetime_duration = 0\n", nil, `[auth] login_maximum_lifetime_duration = "0": must be greater than zero`},
		{"day duration without number", "[auth]\nlogin_maximum_inactive_lifetime_duration = d\n", nil, `[auth] login_maximum_inactive_lifetime_duration = "d": not a valid duration`},
		{"int", "[server]\nmax_header_bytes = 64k\n", nil, `[server] max_header_bytes = "64k": not a valid integer`},
		{"negative int", "[security]\npassword_check_ip_limit = -1\n", nil, `[security] password_check_ip_limit = "-1": must not be negative`},
		{"org id", "[users]\nauto_assign_org_id = 0\n", nil, `[users] auto_assign_org_id = "0": must be greater than zero`},
		{"role", "[users]\nauto_assign_org_role = Owner\n", nil, `[users] auto_assign_org_role = "Owner": must be one of None, Viewer, Editor, Admin`},
		{"database type", "[database]\ntype = mysql\n", nil, `[database] type = "mysql": must be one of sqlite3, postgres`},
		{"postgres without url", "[database]\ntype = postgres\n", nil, `[database] url: required when type = postgres`},
		{"log level", "[log]\nlevel = loud\n", nil, `[log] level = "loud": must be one of debug, info, warn, error`},
		{"log format", "[log]\nformat = xml\n", nil, `[log] format = "xml": must be one of text, json`},
		{"log.console format", "[log.console]\nformat = xml\n", nil, `[log.console] format = "xml"`},
		{"forward_headers", "[authz]\nforward_headers = haproxy\n", nil, `[authz] forward_headers = "haproxy": must be one of auto, nginx, traefik, envoy`},
		{"invalid CIDR", "[server]\ntrusted_proxies = 10.0.0.0/8, 10.1.0.0/33\n", nil, `[server] trusted_proxies = "10.0.0.0/8, 10.1.0.0/33": "10.1.0.0/33" is not a valid CIDR or IP address`},
		{"invalid IP", "[server]\ntrusted_proxies = proxy.local\n", nil, `"proxy.local" is not a valid CIDR or IP address`},
		{"feature toggle", "[feature_toggles]\nfoo = sure\n", nil, `[feature_toggles] foo = "sure": not a valid boolean`},
		{"root_url", "[server]\nroot_url = example.com\n", nil, `[server] root_url = "example.com": must be an absolute http or https URL`},
		{"empty admin_user", "[security]\nadmin_user =\n", nil, `[security] admin_user: must not be empty`},
		{"token limit", "[service_accounts]\ntoken_expiration_day_limit = forever\n", nil, `[service_accounts] token_expiration_day_limit = "forever": not a valid integer`},
		{"audit retention", "[audit]\nretention_days = -1\n", nil, `[audit] retention_days = "-1": must not be negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ce := loadErr(t, tt.file, tt.env)
			msg := ce.Error()
			if !strings.HasPrefix(msg, "config: ") {
				t.Errorf("error %q lacks the config: prefix", msg)
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error = %q\nwant it to contain %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestConfigFileErrors(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	missing := filepath.Join(t.TempDir(), "nope.ini")
	_, err := LoadConfig(missing, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("missing file: error %v is not a *ConfigError", err)
	}
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %q should wrap ErrNotExist and name the path", err)
	}

	_, err = LoadConfig(writeConfig(t, "[server\nhttp_port = 1\n"), nil)
	if !errors.As(err, &ce) {
		t.Fatalf("malformed file: error %v is not a *ConfigError", err)
	}
}

func TestConfigErrorMasking(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	tests := []struct {
		name    string
		err     *ConfigError
		want    string
		notWant string
	}{
		{"admin_password", &ConfigError{Section: "security", Key: "admin_password", Value: "hunter2", Err: errors.New("bad")},
			`config: [security] admin_password = "***": bad`, "hunter2"},
		{"secret_key", &ConfigError{Section: "security", Key: "secret_key", Value: "sign-me", Err: errors.New("bad")},
			`config: [security] secret_key = "***": bad`, "sign-me"},
		{"smtp password", &ConfigError{Section: "smtp", Key: "password", Value: "pw", Err: errors.New("bad")},
			`= "***"`, `"pw"`},
		{"database url", &ConfigError{Section: "database", Key: "url", Value: "postgres://warden:topsecret@db:5432/warden", Err: errors.New("bad")},
			`config: [database] url = "postgres://warden:***@db:5432/warden": bad`, "topsecret"},
		{"password_policy is not a secret", &ConfigError{Section: "auth.basic", Key: "password_policy", Value: "maybe", Err: errBool},
			`[auth.basic] password_policy = "maybe"`, "***"},
		{"plain value", &ConfigError{Section: "server", Key: "http_port", Value: "abc", Err: errPort},
			`config: [server] http_port = "abc": not a valid port number (0-65535)`, "***"},
		{"no section", &ConfigError{Err: errors.New("boom")}, "config: boom", "[]"},
		{"nil Err", &ConfigError{Section: "server", Key: "domain"}, "config: [server] domain: invalid value", "%!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg := tt.err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Error() = %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, tt.notWant) {
				t.Errorf("Error() = %q, must not contain %q", msg, tt.notWant)
			}
		})
	}

	// Found by FuzzConfig: interpolation must not copy a secret into a reported value.
	t.Run("secret copied by interpolation", func(t *testing.T) {
		t.Parallel()
		ce := loadErr(t, "[security]\nbrute_force_login_protection_max_attempts = %(admin_password)s\n",
			map[string]string{"WARDEN_SECURITY_ADMIN_PASSWORD": "hunter2"})
		if msg := ce.Error(); strings.Contains(msg, "hunter2") || !strings.Contains(msg, "%(admin_password)s") {
			t.Errorf("error = %q, want the value as written, without the password", msg)
		}
	})

	t.Run("database url through LoadConfig", func(t *testing.T) {
		t.Parallel()
		ce := loadErr(t, "[database]\ntype = postgres\nurl = mysql://root:hunter2@db/warden\n", nil)
		msg := ce.Error()
		if strings.Contains(msg, "hunter2") {
			t.Errorf("error leaks the password: %q", msg)
		}
		if want := `[database] url = "mysql://root:***@db/warden": must be a postgres:// URL`; !strings.Contains(msg, want) {
			t.Errorf("error = %q, want it to contain %q", msg, want)
		}
		if ce.Value != "mysql://root:hunter2@db/warden" {
			t.Errorf("Value = %q, want the raw value kept", ce.Value)
		}
	})
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	tests := []struct{ in, want string }{
		{"postgres://user:pass@host/db", "postgres://user:***@host/db"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"postgres://host:5432/db?sslmode=disable", "postgres://host:5432/db?sslmode=disable"},
		{"postgres://u:p@ss/w?rd@host/db", "postgres://u:***@host/db"},
		{"postgres://u:p#x@host/db", "postgres://u:***@host/db"},
		{"postgres://host/db?user=bob&password=pw&sslmode=disable", "postgres://host/db?user=bob&password=***&sslmode=disable"},
		{"host=db user=warden password=s3cret dbname=warden", "host=db user=warden password=*** dbname=warden"},
		{"host=db password='s3 cret' sslpassword=x", "host=db password=*** sslpassword=***"},
		// Found by FuzzConfig: a key=value password holding "://" looked like a URL's scheme.
		{"host=db user=warden password=pg://s3cret dbname=warden", "host=db user=warden password=*** dbname=warden"},
		{"//:0000@", "//:***@"}, // a scheme-relative URL has userinfo too (found by FuzzConfig)
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConfigFeatureToggles(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	tests := []struct {
		name string
		file string
		env  map[string]string
		want map[string]bool
	}{
		{"default", "", nil, map[string]bool{"serviceAccounts": true}},
		{"8.5 enable list", "[feature_toggles]\nenable = serviceAccounts, newThing  other\n", nil,
			map[string]bool{"serviceAccounts": true, "newThing": true, "other": true}},
		{"serviceAccounts = false", "[feature_toggles]\nserviceAccounts = false\n", nil,
			map[string]bool{"serviceAccounts": false}},
		{"key case-insensitive", "[feature_toggles]\nserviceaccounts = false\n", nil,
			map[string]bool{"serviceAccounts": false}},
		{"explicit key beats enable", "[feature_toggles]\nenable = serviceAccounts\nserviceAccounts = false\n", nil,
			map[string]bool{"serviceAccounts": false}},
		{"enable plus unknown toggle off", "[feature_toggles]\nenable = a\nb = false\n", nil,
			map[string]bool{"serviceAccounts": true, "a": true, "b": false}},
		{"env enable", "", map[string]string{"WARDEN_FEATURE_TOGGLES_ENABLE": "x,y"},
			map[string]bool{"serviceAccounts": true, "x": true, "y": true}},
		{"env beats differently cased file key", "[feature_toggles]\nserviceaccounts = false\n",
			map[string]string{"WARDEN_FEATURE_TOGGLES_SERVICEACCOUNTS": "true"},
			map[string]bool{"serviceAccounts": true}},
		{"blank known toggle keeps default", "[feature_toggles]\nserviceAccounts =\n", nil,
			map[string]bool{"serviceAccounts": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := load(t, tt.file, tt.env)
			if !reflect.DeepEqual(c.FeatureToggles, tt.want) {
				t.Errorf("FeatureToggles = %v, want %v", c.FeatureToggles, tt.want)
			}
			for name, on := range tt.want {
				if c.FeatureEnabled(strings.ToUpper(name)) != on {
					t.Errorf("FeatureEnabled(%q) = %v, want %v", strings.ToUpper(name), !on, on)
				}
			}
		})
	}
}

func TestConfigSecretsKeepSpecialCharacters(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	c := load(t, `
[security]
admin_password = pa#ss;word
secret_key = %(domain)s#1
[database]
type = postgres
url = postgres://warden:p#w;d@db/warden
`, nil)
	if c.Security.AdminPassword != "pa#ss;word" {
		t.Errorf("AdminPassword = %q, want pa#ss;word", c.Security.AdminPassword)
	}
	if c.Security.SecretKey != "%(domain)s#1" {
		t.Errorf("SecretKey = %q, want it uninterpolated", c.Security.SecretKey)
	}
	if c.Database.URL != "postgres://warden:p#w;d@db/warden" {
		t.Errorf("Database.URL = %q", c.Database.URL)
	}

	c = load(t, "", map[string]string{"WARDEN_SECURITY_ADMIN_PASSWORD": " with#hash "})
	if c.Security.AdminPassword != " with#hash " {
		t.Errorf("AdminPassword from env = %q, want it verbatim", c.Security.AdminPassword)
	}
}

func TestConfigRootURL(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	tests := []struct {
		name string
		file string
		env  map[string]string
		want string
	}{
		{"default", "", nil, "http://localhost:3000/"},
		{"env port", "", map[string]string{"WARDEN_SERVER_HTTP_PORT": "8080"}, "http://localhost:8080/"},
		{"env domain and file port", "[server]\nhttp_port = 9000\n",
			map[string]string{"WARDEN_SERVER_DOMAIN": "w.example.com"}, "http://w.example.com:9000/"},
		{"file template", "[server]\nroot_url = %(protocol)s://%(domain)s/warden/\n", nil, "http://localhost/warden/"},
		{"env root_url", "", map[string]string{"WARDEN_SERVER_ROOT_URL": "https://w.example.com"}, "https://w.example.com/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := load(t, tt.file, tt.env).Server.RootURL; got != tt.want {
				t.Errorf("RootURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * 24 * time.Hour, true},
		{"30d", 30 * 24 * time.Hour, true},
		{"1w", 7 * 24 * time.Hour, true},
		{"2w3d", 17 * 24 * time.Hour, true},
		{"1d12h30m", 36*time.Hour + 30*time.Minute, true},
		{"1.5d", 36 * time.Hour, true},
		{"90", 90 * time.Second, true},
		{"0", 0, true},
		{"1h30m", 90 * time.Minute, true},
		{"250ms", 250 * time.Millisecond, true},
		{"", 0, false},
		{"d", 0, false},
		{"7", 7 * time.Second, true},
		{"7x", 0, false},
		{"1d5", 0, false},
		{"-1d", 0, false},
		{"100000000000w", 0, false},
		{"99999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestConfigTrustedProxies(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	tests := []struct {
		name string
		in   string
		want []netip.Prefix
		err  bool
	}{
		{"empty", "", nil, false},
		{"cidr list", "10.0.0.0/8,172.16.0.0/12", []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12")}, false},
		{"bare IPv4 and IPv6, spaces", "127.0.0.1  ::1", []netip.Prefix{
			netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}, false},
		{"host bits masked", "192.168.1.77/24", []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")}, false},
		{"ipv6 cidr", "fd00::/8, ", []netip.Prefix{netip.MustParsePrefix("fd00::/8")}, false},
		{"invalid cidr", "10.0.0.0/33", nil, true},
		{"garbage", "10.0.0.0/8 nonsense", nil, true},
		{"zone", "fe80::1%eth0", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"WARDEN_SERVER_TRUSTED_PROXIES": tt.in}
			file := "[server]\ntrusted_proxies = " + tt.in + "\n"
			for _, src := range []struct {
				file string
				env  map[string]string
			}{{file, nil}, {"", env}} {
				if tt.err {
					ce := loadErr(t, src.file, src.env)
					if ce.Section != "server" || ce.Key != "trusted_proxies" || ce.Value != tt.in {
						t.Errorf("error names [%s] %s = %q, want [server] trusted_proxies = %q", ce.Section, ce.Key, ce.Value, tt.in)
					}
					continue
				}
				c := load(t, src.file, src.env)
				if !reflect.DeepEqual(c.Server.TrustedProxies, tt.want) {
					t.Errorf("TrustedProxies = %v, want %v", c.Server.TrustedProxies, tt.want)
				}
			}
		})
	}
}

// The argon2id cost is configurable; below OWASP's minimum it loads, with a warning naming
// both keys, and out of argon2's range it is refused.
func TestConfigPasswordHash(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	c := load(t, "[security]\npassword_hash_memory = 47104\npassword_hash_iterations = 1\n", nil)
	if want := (warden.PasswordHashParams{MemoryKiB: 47104, Iterations: 1}); c.Security.PasswordHash != want || len(c.Warnings) != 0 {
		t.Errorf("PasswordHash = %+v, warnings %q; want %+v and none", c.Security.PasswordHash, c.Warnings, want)
	}
	c = load(t, "", map[string]string{"WARDEN_SECURITY_PASSWORD_HASH_MEMORY": "1024"})
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "password_hash_memory 1024 × password_hash_iterations 2") ||
		!strings.Contains(c.Warnings[0], "below OWASP's minimum") {
		t.Errorf("warnings for a weak cost = %q", c.Warnings)
	}
	for _, file := range []string{"[security]\npassword_hash_memory = 4\n", "[security]\npassword_hash_memory = 65537\n",
		"[security]\npassword_hash_iterations = 0\n", "[security]\npassword_hash_iterations = 17\n"} {
		if ce := loadErr(t, file, nil); !strings.Contains(ce.Error(), "password_hash_") {
			t.Errorf("config %q: error %q does not name the key", file, ce)
		}
	}
}
