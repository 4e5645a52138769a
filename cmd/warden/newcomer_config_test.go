package main

// Item 9 of "What an attacker and a newcomer found": a mistyped key in the config file or the
// environment was silently ignored (`admin_pasword`: a random admin password instead of the
// chosen one). Warden warns at start for every key it does not read and Grafana does not
// know, naming the nearest Warden key; a Grafana configuration file still loads quietly.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newcomerWarnings returns the WARN lines of a server's log.
func newcomerWarnings(logs string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=WARN") {
			out = append(out, line)
		}
	}
	return out
}

// newcomerConfigFile writes content to a config file of its own.
func newcomerConfigFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "warden.ini")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewcomer_ConfigFileTyposWarn(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration warnings: the database does not matter")
	tests := []struct {
		name, file string
		want       []string // in one WARN line
	}{
		{"AdminPasword", "[security]\nadmin_pasword = Chosen-Secret-1\n",
			[]string{"[security] admin_pasword", "did you mean", "admin_password"}},
		{"HtpPort", "[server]\nhtp_port = 8080\n",
			[]string{"[server] htp_port", "did you mean", "http_port"}},
		{"WrongCase", "[server]\nHTTP_PORT = 8080\n",
			[]string{"[server] HTTP_PORT", "http_port"}},
		{"KeyInAnotherSection", "[security]\ntrusted_proxies = 10.0.0.0/8\n",
			[]string{"[security] trusted_proxies", "[server] trusted_proxies"}},
		{"SectionTypo", "[securty]\nadmin_password = Chosen-Secret-1\n",
			[]string{"[securty]", "[security]"}},
		{"WardenSectionTypo", "[authz]\nrule_file = /etc/warden/rules.yaml\n",
			[]string{"[authz] rule_file", "rules_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := startRun(t, []string{"server", "--config", newcomerConfigFile(t, tt.file)}, nil, nil)
			ts.Stop()
			warns := newcomerWarnings(ts.Logs())
			found := false
			for _, w := range warns {
				ok := true
				for _, s := range tt.want {
					ok = ok && strings.Contains(w, s)
				}
				found = found || ok
			}
			if !found {
				t.Errorf("no warning with %q; warnings:\n%s", tt.want, strings.Join(warns, "\n"))
			}
			if strings.Contains(ts.Logs(), "Chosen-Secret-1") {
				t.Errorf("the log shows the value of a mistyped key:\n%s", ts.Logs())
			}
		})
	}
}

// newcomerGrafanaINI is a grafana.ini as a Grafana install might have it: keys of Grafana's
// defaults.ini in the sections Warden reads too, and sections Warden has no use for.
const newcomerGrafanaINI = `app_mode = production
instance_name = grafana-1

[paths]
data = /var/lib/grafana
temp_data_lifetime = 24h
logs = /var/log/grafana
plugins = /var/lib/grafana/plugins
provisioning = /etc/grafana/provisioning

[server]
protocol = http
min_tls_version = TLS1.2
http_addr =
http_port = 3000
domain = grafana.example.com
enforce_domain = false
root_url = %(protocol)s://%(domain)s:%(http_port)s/grafana/
serve_from_sub_path = true
router_logging = true
static_root_path = public
enable_gzip = true
cert_file =
cert_key =
cert_pass =
socket = /tmp/grafana.sock
socket_gid = -1
socket_mode = 0660
cdn_url =
read_timeout = 0

[server.custom_response_headers]
X-Frame-Options = DENY

[database]
type = sqlite3
host = 127.0.0.1:3306
name = grafana
user = root
password = """#not;used"""
url =
high_availability = true
max_idle_conn = 2
max_open_conn =
conn_max_lifetime = 14400
log_queries =
ssl_mode = disable
isolation_level =
ca_cert_path =
client_key_path =
client_cert_path =
server_cert_name =
path = grafana.db
cache_mode = private
wal = false
migration_locking = true
locking_attempt_timeout_sec = 0
query_retries = 0
transaction_retries = 5
instrument_queries = false

[remote_cache]
type = database
connstr =

[analytics]
reporting_enabled = false
check_for_updates = false

[security]
disable_initial_admin_creation = false
admin_user = admin
admin_password = admin
admin_email = admin@localhost
secret_key = SW2YcwTIb9zpOOhoPsMm
encryption_provider = secretKey.v1
disable_gravatar = true
data_source_proxy_whitelist =
disable_brute_force_login_protection = false
brute_force_login_protection_max_attempts = 5
disable_ip_address_login_protection = true
cookie_secure = false
cookie_samesite = lax
allow_embedding = false
strict_transport_security = false
strict_transport_security_max_age_seconds = 86400
x_content_type_options = true
x_xss_protection = true
content_security_policy = false
angular_support_enabled = false
csrf_trusted_origins = example.com
csrf_additional_headers =
csrf_always_check = false

[security.encryption]
data_keys_cache_ttl = 15m

[snapshots]
external_enabled = false

[dashboards]
versions_to_keep = 20
min_refresh_interval = 5s

[users]
allow_sign_up = false
allow_org_create = false
auto_assign_org = true
auto_assign_org_id = 1
auto_assign_org_role = Viewer
verify_email_enabled = false
login_hint = email or username
password_hint = password
default_theme = dark
default_language = en-US
home_page =
viewers_can_edit = false
editors_can_admin = false
user_invite_max_lifetime_duration = 24h
hidden_users =

[service_accounts]
token_expiration_day_limit =

[auth]
login_cookie_name = grafana_session
disable_login = false
login_maximum_inactive_lifetime_duration =
login_maximum_lifetime_duration =
token_rotation_interval_minutes = 10
disable_login_form = false
disable_signout_menu = false
signout_redirect_url =
oauth_auto_login = false
oauth_state_cookie_max_age = 600
api_key_max_seconds_to_live = -1
sigv4_auth_enabled = false
azure_auth_enabled = false
id_response_header_enabled = false

[auth.anonymous]
enabled = false
org_name = Main Org.
org_role = Viewer

[auth.basic]
enabled = true
password_policy = false

[auth.generic_oauth]
enabled = false
client_id = some_id
client_secret = some_secret

[auth.ldap]
enabled = false
config_file = /etc/grafana/ldap.toml

[smtp]
enabled = false
host = localhost:25
password = """#smtp;password"""

[log]
mode = console file
level = info
filters =

[log.console]
level =
format = console

[log.file]
level =
format = text
log_rotate = true
max_days = 7

[metrics]
enabled = true

[unified_alerting]
enabled = true

[plugins]
allow_loading_unsigned_plugins =

[plugin.grafana-image-renderer]
rendering_timezone =

[feature_toggles]
enable = publicDashboards nestedFolders
serviceAccounts = true
publicDashboards = true

[date_formats]
default_timezone = browser
`

// A Grafana configuration file, and one that sets any feature toggle, start without a warning.
func TestNewcomer_GrafanaConfigLoadsQuietly(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration warnings: the database does not matter")
	for name, file := range map[string]string{
		"grafana.ini": newcomerGrafanaINI,
		"toggles":     "[feature_toggles]\nanyToggleAtAll = true\nsomeOther = false\n",
		"warden":      "[server]\nhttp_port = 3000\ntrusted_proxies = 127.0.0.1\n[security]\nadmin_password = admin\npassword_check_ip_limit = 100\n[authz]\nforward_headers = auto\n[audit]\nretention_days = 30\n[log]\nformat = text\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := startRun(t, []string{"server", "--config", newcomerConfigFile(t, file)}, defaultPasswordHash, nil)
			ts.Stop()
			if w := newcomerWarnings(ts.Logs()); len(w) > 0 {
				t.Errorf("warnings at start:\n%s", strings.Join(w, "\n"))
			}
		})
	}
}

// WARDEN_* variables Warden does not read are named at start, with the nearest it reads; the
// variables of Warden's own tools and tests are not.
func TestNewcomer_EnvTyposWarn(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration warnings, as a real process on SQLite")
	bin := wardenBinary(t)
	cmd := exec.Command(bin, "server")
	cmd.Env = newcomerEnv(
		"WARDEN_SERVER_HTTP_ADDR=127.0.0.1",
		"WARDEN_SERVER_HTTP_PORT=0",
		"WARDEN_PATHS_DATA="+filepath.Join(t.TempDir(), "data"),
		"WARDEN_SECURITY_ADMIN_PASSWORD=admin",
		"WARDEN_SECURITY_ADMIN_PASWORD=Chosen-Secret-2",
		"WARDEN_SERVER_HTP_PORT=8080",
		"WARDEN_SECURITY_SECRET_KEY__FILE="+newcomerConfigFile(t, "a-secret-key\n"),
		"WARDEN_URL=http://localhost:3000", "WARDEN_TOKEN=glsa_x", "WARDEN_USER=admin", "WARDEN_PASSWORD=x",
		"WARDEN_TEST_SOMETHING=1", "WARDEN_SCREENSHOTS=", "WARDEN_README_SCREENSHOTS=",
	)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if _, err := listenAddr(stderr.String, func() bool { return false }, 15*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	warns := strings.Join(newcomerWarnings(stderr.String()), "\n")
	for _, want := range [][2]string{
		{"WARDEN_SECURITY_ADMIN_PASWORD", "WARDEN_SECURITY_ADMIN_PASSWORD"},
		{"WARDEN_SERVER_HTP_PORT", "WARDEN_SERVER_HTTP_PORT"},
	} {
		found := false
		for _, w := range strings.Split(warns, "\n") {
			found = found || (strings.Contains(w, want[0]+" ") && strings.Contains(w, want[1]))
		}
		if !found {
			t.Errorf("no warning naming %s and %s; warnings:\n%s", want[0], want[1], warns)
		}
	}
	for _, quiet := range []string{"WARDEN_SECURITY_SECRET_KEY__FILE", "WARDEN_URL", "WARDEN_TOKEN", "WARDEN_USER ",
		"WARDEN_PASSWORD", "WARDEN_TEST_", "WARDEN_SCREENSHOTS", "WARDEN_README_SCREENSHOTS"} {
		if strings.Contains(warns, quiet) {
			t.Errorf("a warning names %s:\n%s", quiet, warns)
		}
	}
	if strings.Contains(stderr.String(), "Chosen-Secret-2") {
		t.Errorf("the log shows the value of a mistyped variable")
	}
}

// WARDEN_DATABASE_URL without a database type means PostgreSQL (its scheme says so); with the
// type set to sqlite3 as well, Warden refuses to start rather than ignore the URL.
func TestNewcomer_DatabaseURLWithoutPostgresType(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "configuration: no database")
	const u = "postgres://warden:s3cret@db.internal:5432/warden"
	c, err := LoadConfig("", envMap(map[string]string{"WARDEN_DATABASE_URL": u}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if c.Database.Type != "postgres" {
		t.Errorf("WARDEN_DATABASE_URL alone: type %q, want postgres", c.Database.Type)
	}

	for name, tt := range map[string]struct {
		env  map[string]string
		file string
	}{
		"env":    {env: map[string]string{"WARDEN_DATABASE_TYPE": "sqlite3", "WARDEN_DATABASE_URL": u}},
		"file":   {file: "[database]\ntype = sqlite3\n", env: map[string]string{"WARDEN_DATABASE_URL": u}},
		"scheme": {env: map[string]string{"WARDEN_DATABASE_URL": "mysql://root@localhost/warden"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if tt.file != "" {
				path = newcomerConfigFile(t, tt.file)
			}
			_, err := LoadConfig(path, envMap(tt.env))
			if err == nil {
				t.Fatal("LoadConfig succeeded, want a refusal")
			}
			msg := err.Error()
			for _, want := range []string{"[database]", "url", "WARDEN_DATABASE_URL"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if strings.Contains(msg, "s3cret") {
				t.Errorf("error %q shows the password", msg)
			}
			if exitCode(err) != 2 {
				t.Errorf("exit code %d, want 2", exitCode(err))
			}
		})
	}
}
