package main

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wardenhq/warden"
	"gopkg.in/ini.v1"
)

// defaultsINI holds the built-in defaults. Keeping them in an ini file in
// Grafana's layout, rather than in Go literals, means the file doubles as
// documentation and as the list of keys that environment variables may
// override.
//
//go:embed defaults.ini
var defaultsINI []byte

// iniOptions are shared by every ini file Warden reads. IgnoreInlineComment
// is what Grafana uses too: without it a '#' or ';' in a password would
// silently cut the value short.
var iniOptions = ini.LoadOptions{IgnoreInlineComment: true}

// envPrefix starts every environment variable that overrides a setting.
const envPrefix = "WARDEN_"

// Config is Warden's configuration after defaults, the config file and the
// environment have been merged and validated.
type Config struct {
	// Server configures the HTTP listener ([server]).
	Server struct {
		// Protocol is "http" or "https".
		Protocol string
		// HTTPAddr is the address to bind to; empty means all interfaces.
		HTTPAddr string
		// HTTPPort is the port to listen on; 0 picks a free port.
		HTTPPort int
		// Domain is the public host name, used in the default RootURL.
		Domain string
		// RootURL is the public URL of Warden. It always ends in "/".
		RootURL string
		// CertFile is the TLS certificate, required for https.
		CertFile string
		// CertKey is the TLS private key file, required for https.
		CertKey string
		// RouterLogging turns on the access log. Grafana defaults it to
		// false; Warden defaults it to true because an auth server's
		// access log is usually wanted for auditing.
		RouterLogging bool
		// TrustedProxies lists the reverse proxies whose forwarded headers
		// are believed. Bare IPs become single-address prefixes.
		TrustedProxies []netip.Prefix
		// ReadHeaderTimeout is http.Server.ReadHeaderTimeout.
		ReadHeaderTimeout time.Duration
		// ReadTimeout is http.Server.ReadTimeout.
		ReadTimeout time.Duration
		// WriteTimeout is http.Server.WriteTimeout.
		WriteTimeout time.Duration
		// IdleTimeout is http.Server.IdleTimeout.
		IdleTimeout time.Duration
		// MaxHeaderBytes is http.Server.MaxHeaderBytes.
		MaxHeaderBytes int
	}
	// Paths configures where Warden keeps its files ([paths]).
	Paths struct {
		// Data is the data directory, as written (it may be relative).
		Data string
	}
	// Database configures the store ([database]).
	Database struct {
		// Type is "sqlite3" or "postgres" ("sqlite" is read as "sqlite3").
		Type string
		// Path is the sqlite3 file. A relative path from the config is
		// joined to Paths.Data; ":memory:" and "file:" URIs are kept as is.
		Path string
		// URL is the postgres connection string; required for postgres.
		URL string
	}
	// Security holds the admin bootstrap and login protection settings
	// ([security]).
	Security struct {
		// AdminUser is the login of the admin created at first start.
		AdminUser string
		// AdminPassword is the initial admin password; empty means one is
		// generated at first start.
		AdminPassword string
		// AdminEmail is the email of the admin created at first start.
		AdminEmail string
		// SecretKey keys the hashes under which failed sign-ins for names
		// matching no account are counted (so the database never holds what
		// was typed); set the same value on every instance. Tokens do not
		// depend on it.
		SecretKey string
		// PasswordHash is the argon2id cost of new password hashes.
		PasswordHash warden.PasswordHashParams
		// DisableBruteForceLoginProtection turns off per-user lockout.
		DisableBruteForceLoginProtection bool
		// BruteForceMaxAttempts is the number of failed logins before a
		// user is locked out; values <= 0 are read as 1, like Grafana.
		BruteForceMaxAttempts int
		// PasswordCheckIPLimit is the number of failed password checks per
		// client IP per 5 minutes before requests get 429; 0 disables it.
		PasswordCheckIPLimit int
		// IPv6PrefixLength is the prefix by which IPv6 clients are counted
		// in every per-client-IP limit (1–128; default 64, one host's
		// usual allocation). IPv4 clients are counted by address.
		IPv6PrefixLength int
		// CookieSecure sets the Secure flag on cookies.
		CookieSecure bool
		// DisableGravatar turns off gravatar profile images.
		DisableGravatar bool
	}
	// Auth holds session lifetimes ([auth]).
	Auth struct {
		// LoginMaximumInactiveLifetime ends sessions idle for longer.
		LoginMaximumInactiveLifetime time.Duration
		// LoginMaximumLifetime ends sessions older than this.
		LoginMaximumLifetime time.Duration
		// APIKeyMaxSecondsToLive caps new token lifetimes in seconds; -1 means no limit.
		APIKeyMaxSecondsToLive int64
		// TokenCacheSize is the most service-account identities cached; 0 disables the cache.
		TokenCacheSize int
		// TokenCacheMaxAge is the longest a cached identity is used unread; 0: no limit.
		TokenCacheMaxAge time.Duration
		// UnknownTokenCacheSize and UnknownTokenCacheTTL size the memory of unknown tokens.
		UnknownTokenCacheSize int
		UnknownTokenCacheTTL  time.Duration
		// TokenLookupConcurrency bounds database lookups for uncached tokens.
		TokenLookupConcurrency int
		// FailedTokenLookupsPerIP is the per-client-IP budget of lookups finding no token,
		// per second; 0 disables it.
		FailedTokenLookupsPerIP int
	}
	// AuthBasic configures HTTP basic authentication ([auth.basic]).
	AuthBasic struct {
		// Enabled allows basic authentication.
		Enabled bool
		// PasswordPolicy enforces strong passwords.
		PasswordPolicy bool
	}
	// Users configures new users ([users]).
	Users struct {
		// AutoAssignOrg adds new users to AutoAssignOrgID.
		AutoAssignOrg bool
		// AutoAssignOrgID is the organization new users join.
		AutoAssignOrgID int64
		// AutoAssignOrgRole is "None", "Viewer", "Editor" or "Admin".
		AutoAssignOrgRole string
	}
	// Log configures logging ([log]).
	Log struct {
		// Level is "debug", "info", "warn" or "error".
		Level string
		// Format is "text" or "json".
		Format string
	}
	// FeatureToggles maps toggle names to their state ([feature_toggles]).
	// Use FeatureEnabled to look a toggle up regardless of case.
	FeatureToggles map[string]bool
	// ServiceAccounts configures service accounts ([service_accounts]).
	ServiceAccounts struct {
		// TokenExpirationDayLimit caps token lifetime in days; -1 or 0
		// means no limit.
		TokenExpirationDayLimit int
		// EnforceDayLimitAtUse refuses tokens older than the day limit at use.
		EnforceDayLimitAtUse bool
		// RotationGracePeriod is how long a rotated token keeps working by default.
		RotationGracePeriod time.Duration
		// ExpiredTokenRetentionDays is how long expired tokens are kept; -1 forever.
		ExpiredTokenRetentionDays int
	}
	// Audit configures the audit log ([audit]).
	Audit struct {
		// RetentionDays is how long audit rows are kept; 0 keeps them forever.
		RetentionDays int
	}
	// Authz configures request authorization ([authz]).
	Authz struct {
		// RulesFile is the authorization rules file; empty means none.
		RulesFile string
		// ForwardHeaders is "auto", "nginx", "traefik" or "envoy".
		ForwardHeaders string
	}
	// Warnings are mistakes that do not stop the start: keys of the config file that Warden
	// does not read and Grafana does not know (see fileWarnings), and, added by loadConfig,
	// WARDEN_ environment variables that Warden does not read (envWarnings). They never hold a
	// value. The server logs them at start; admin commands print them.
	Warnings []string
}

// FeatureEnabled reports whether the feature toggle name is on. Names are
// matched case-insensitively because Grafana users write them both as
// "serviceAccounts" and "serviceaccounts".
func (c *Config) FeatureEnabled(name string) bool {
	if c == nil {
		return false
	}
	if on, ok := c.FeatureToggles[name]; ok {
		return on
	}
	for k, on := range c.FeatureToggles {
		if strings.EqualFold(k, name) {
			return on
		}
	}
	return false
}

// ConfigError reports a malformed or missing configuration value, or a
// configuration file that cannot be read. Value holds the value as given;
// Error masks it when the key holds a secret, so log Error() and not Value.
type ConfigError struct {
	Section, Key, Value string
	Err                 error
}

// Error formats the error as `config: [section] key = "value": reason`,
// with secret values shown as *** and passwords in URLs masked.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.Section != "" || e.Key != "" {
		b.WriteString("[" + e.Section + "]")
		if e.Key != "" {
			b.WriteString(" " + e.Key)
		}
		if e.Value != "" {
			fmt.Fprintf(&b, " = %q", maskValue(e.Key, e.Value))
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid value")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// notSecret lists keys that match the secret patterns but hold plain
// numbers or booleans, whose values are more useful shown than hidden.
var notSecret = map[string]bool{
	"password_policy":         true,
	"password_check_ip_limit": true,
}

// maskValue hides the value of secret keys. Like Grafana, any key naming a
// password or secret is treated as one; URLs keep everything but their
// password so that host or scheme mistakes can still be spotted.
func maskValue(key, value string) string {
	k := strings.ToLower(key)
	switch {
	case notSecret[k]:
		return value
	case strings.Contains(k, "password"), strings.Contains(k, "secret"):
		return "***"
	case k == "url" || strings.HasSuffix(k, "_url"):
		return redactURL(value)
	}
	return value
}

// dsnPassword matches the password in a libpq key=value connection string
// ("host=db password=s3cret"), where an unquoted value ends at whitespace.
var dsnPassword = regexp.MustCompile(`(?i)(^|\s)((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// queryPassword matches a password given as a URL query parameter, which
// pgx and libpq both accept.
var queryPassword = regexp.MustCompile(`(?i)([?&])((?:ssl)?password=)([^&]*)`)

// redactURL replaces the password of a connection URL (or of a libpq
// key=value string) with ***. It works on the text rather than through
// url.Parse and URL.Redacted because a password with unescaped special
// characters makes url.Parse fail, and such a value must still not leak;
// when unsure it masks too much rather than too little.
func redactURL(s string) string {
	// Key=value passwords first, whatever else the text looks like: such a password may
	// itself contain "://".
	s = dsnPassword.ReplaceAllString(s, "${1}${2}***")
	// The authority starts after the first "//": "scheme://" or a scheme-relative "//".
	i := strings.Index(s, "//")
	if i < 0 {
		return s
	}
	prefix, rest := s[:i+2], s[i+2:]
	// The last '@' rather than the one url.Parse would pick: a password
	// may hold unescaped '@', '/', '?' or '#', and an '@' in the query,
	// which is rare, only makes us hide more than needed.
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			rest = user + ":***" + rest[at:]
		}
	}
	return prefix + queryPassword.ReplaceAllString(rest, "${1}${2}***")
}

// LoadConfig reads the built-in defaults, then the ini file at path (if path
// != ""), then environment overrides via getenv, and validates the result.
// Every error it returns is, or wraps, a *ConfigError.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	defaults, err := ini.LoadSources(iniOptions, defaultsINI)
	if err != nil {
		return nil, &ConfigError{Err: fmt.Errorf("built-in defaults: %w", err)}
	}
	l := &loader{defaults: defaults, fromEnv: map[[2]string]string{}}
	sources := []any{defaultsINI}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, &ConfigError{Err: fmt.Errorf("reading config file: %w", err)}
		}
		// The user file is also kept on its own to tell which feature
		// toggles it sets explicitly.
		if l.user, err = ini.LoadSources(iniOptions, data); err != nil {
			return nil, &ConfigError{Err: fmt.Errorf("parsing config file %s: %w", path, err)}
		}
		sources = append(sources, data)
	}
	if l.file, err = ini.LoadSources(iniOptions, sources[0], sources[1:]...); err != nil {
		return nil, &ConfigError{Err: fmt.Errorf("parsing config file %s: %w", path, err)}
	}
	if err := l.applyEnv(getenv); err != nil {
		return nil, err
	}
	cfg := l.build()
	if l.err != nil {
		return nil, l.err
	}
	if l.user != nil {
		cfg.Warnings = fileWarnings(path, l.user, l.defaults)
	}
	if cfg.Security.PasswordHash.Weak() {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("[security] password_hash_memory %d × password_hash_iterations %d "+
			"is below OWASP's minimum for argon2id (19456 × 2, or as much memory × passes): stolen password hashes are cheaper to crack",
			cfg.Security.PasswordHash.MemoryKiB, cfg.Security.PasswordHash.Iterations))
	}
	return cfg, nil
}

// envVarName returns the environment variable overriding key in section,
// e.g. WARDEN_AUTH_BASIC_ENABLED for [auth.basic] enabled.
func envVarName(section, key string) string {
	name := strings.NewReplacer(".", "_", "-", "_").Replace(section + "_" + key)
	return envPrefix + strings.ToUpper(name)
}

// loader reads typed values out of the merged ini file. It keeps the first
// error and carries on, so build reads straight through without checks
// after every key.
type loader struct {
	file     *ini.File // defaults, then the user file, then the environment
	defaults *ini.File
	user     *ini.File            // nil without a config file
	fromEnv  map[[2]string]string // {section, key} -> variable that set it
	err      error
}

// applyEnv writes environment overrides into the merged file before any
// value is read, so that %(key)s interpolation (root_url) sees them.
func (l *loader) applyEnv(getenv func(string) string) error {
	for _, sec := range l.defaults.Sections() {
		for _, key := range sec.Keys() {
			name := envVarName(sec.Name(), key.Name())
			source := name
			value := getenv(name)
			if value == "" {
				fileVar := name + "__FILE"
				p := getenv(fileVar)
				if p == "" {
					continue
				}
				data, err := os.ReadFile(p)
				if err != nil {
					return &ConfigError{Section: sec.Name(), Key: key.Name(), Err: fmt.Errorf("reading %s: %w", fileVar, err)}
				}
				// Files written by editors and secret stores usually end in
				// a newline that is not part of the secret.
				value = strings.TrimRight(string(data), "\r\n")
				source = fileVar
			}
			l.file.Section(sec.Name()).Key(key.Name()).SetValue(value)
			l.fromEnv[[2]string{sec.Name(), key.Name()}] = source
		}
	}
	return nil
}

// fail records the first error, naming the environment variable when the
// value came from one, since the file would not show it.
func (l *loader) fail(section, key, value string, err error) {
	if l.err != nil {
		return
	}
	if src, ok := l.fromEnv[[2]string{section, key}]; ok {
		err = fmt.Errorf("%w (set by %s)", err, src)
	}
	// Report a value that refers to other keys as written: its expansion may copy a secret
	// (%(admin_password)s) into a key that is not masked.
	if raw := l.file.Section(section).Key(key).Value(); strings.Contains(raw, "%(") {
		value = raw
	}
	l.err = &ConfigError{Section: section, Key: key, Value: value, Err: err}
}

// isSet reports whether the config file or the environment gives the key a non-blank value
// (rather than the built-in default).
func (l *loader) isSet(section, key string) bool {
	if _, ok := l.fromEnv[[2]string{section, key}]; ok {
		return true
	}
	if l.user == nil {
		return false
	}
	sec, err := l.user.GetSection(section)
	return err == nil && sec.HasKey(key) && strings.TrimSpace(sec.Key(key).Value()) != ""
}

// str returns the value with %(key)s interpolation applied.
func (l *loader) str(section, key string) string {
	return strings.TrimSpace(l.file.Section(section).Key(key).String())
}

// secret returns the value without interpolation, so that a password that
// happens to contain "%(...)s" is taken literally.
func (l *loader) secret(section, key string) string {
	return l.file.Section(section).Key(key).Value()
}

// typed returns the value for a key that is parsed further. A blank value
// means the built-in default: `http_port =` in a copied config file should
// not stop Warden from starting.
func (l *loader) typed(section, key string) string {
	if v := l.str(section, key); v != "" {
		return v
	}
	return strings.TrimSpace(l.defaults.Section(section).Key(key).String())
}

var (
	errBool     = errors.New("not a valid boolean (use true or false)")
	errInt      = errors.New("not a valid integer")
	errPort     = errors.New("not a valid port number (0-65535)")
	errDuration = errors.New("not a valid duration (e.g. 30s, 5m, 12h, 7d, 1w; a bare number is seconds)")
	errNegative = errors.New("must not be negative")
	errPositive = errors.New("must be greater than zero")
)

func (l *loader) bool(section, key string) bool {
	v := l.typed(section, key)
	b, ok := parseBool(v)
	if !ok {
		l.fail(section, key, v, errBool)
	}
	return b
}

// parseBool accepts strconv.ParseBool's forms plus on/off and yes/no,
// which Grafana's ini library also accepts.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "on", "yes", "y":
		return true, true
	case "0", "f", "false", "off", "no", "n":
		return false, true
	}
	return false, false
}

// int parses an integer in [lo, hi].
func (l *loader) int(section, key string, lo, hi int64) int64 {
	v := l.typed(section, key)
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil:
		l.fail(section, key, v, errInt)
	case n < lo && lo == 0:
		l.fail(section, key, v, errNegative)
	case n < lo && lo == 1:
		l.fail(section, key, v, errPositive)
	case n < lo || n > hi:
		l.fail(section, key, v, fmt.Errorf("must be between %d and %d", lo, hi))
	}
	return n
}

func (l *loader) port(section, key string) int {
	v := l.typed(section, key)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		l.fail(section, key, v, errPort)
	}
	return n
}

// duration parses a duration; positive refuses zero as well as negatives.
func (l *loader) duration(section, key string, positive bool) time.Duration {
	v := l.typed(section, key)
	d, err := parseDuration(v)
	switch {
	case err != nil:
		l.fail(section, key, v, err)
	case positive && d <= 0:
		l.fail(section, key, v, errPositive)
	case d < 0:
		l.fail(section, key, v, errNegative)
	}
	return d
}

// parseDuration accepts Go durations plus Grafana's "d" (day) and "w"
// (week) units, alone or mixed ("1d12h"). A bare number is seconds, which
// is what most people mean by "timeout = 30".
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errDuration
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, errDuration
		}
		return time.Duration(n) * time.Second, nil
	}
	if !strings.ContainsAny(s, "dw") {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, errDuration
		}
		return d, nil
	}
	isNum := func(r rune) bool { return (r >= '0' && r <= '9') || r == '.' }
	var total time.Duration
	for rest := s; rest != ""; {
		i := strings.IndexFunc(rest, func(r rune) bool { return !isNum(r) })
		if i <= 0 { // no number, or a number without a unit
			return 0, errDuration
		}
		num := rest[:i]
		rest = rest[i:]
		j := strings.IndexFunc(rest, isNum)
		if j < 0 {
			j = len(rest)
		}
		unit := rest[:j]
		rest = rest[j:]
		var d time.Duration
		switch unit {
		case "d", "w":
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, errDuration
			}
			u := 24 * time.Hour
			if unit == "w" {
				u *= 7
			}
			v := f * float64(u)
			if v >= math.MaxInt64 {
				return 0, errDuration
			}
			d = time.Duration(v)
		default:
			var err error
			if d, err = time.ParseDuration(num + unit); err != nil {
				return 0, errDuration
			}
		}
		if total > math.MaxInt64-d {
			return 0, errDuration
		}
		total += d
	}
	return total, nil
}

// choice looks the value up case-insensitively in canon, which maps every
// accepted spelling to the stored one; allowed names them in the error.
func (l *loader) choice(section, key string, canon map[string]string, allowed ...string) string {
	v := l.typed(section, key)
	c, ok := canon[strings.ToLower(v)]
	if !ok {
		l.fail(section, key, v, fmt.Errorf("must be one of %s", strings.Join(allowed, ", ")))
	}
	return c
}

// splitList splits on commas and whitespace, as Grafana does for lists.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

func (l *loader) prefixes(section, key string) []netip.Prefix {
	v := l.str(section, key)
	var out []netip.Prefix
	for _, item := range splitList(v) {
		var p netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			p, err = netip.ParsePrefix(item)
			p = p.Masked()
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(item); err == nil {
				if a.Zone() != "" {
					err = errors.New("zone not allowed")
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			l.fail(section, key, v, fmt.Errorf("%q is not a valid CIDR or IP address", item))
			return nil
		}
		out = append(out, p)
	}
	return out
}

// build reads every setting Warden uses out of the merged file.
func (l *loader) build() *Config {
	c := &Config{}

	c.Paths.Data = l.str("paths", "data")

	s := &c.Server
	s.Protocol = l.choice("server", "protocol", map[string]string{"http": "http", "https": "https"}, "http", "https")
	s.HTTPAddr = l.str("server", "http_addr")
	s.HTTPPort = l.port("server", "http_port")
	s.Domain = l.str("server", "domain")
	s.RootURL = l.rootURL()
	s.CertFile = l.str("server", "cert_file")
	s.CertKey = l.str("server", "cert_key")
	if s.Protocol == "https" {
		for _, k := range []string{"cert_file", "cert_key"} {
			if l.str("server", k) == "" {
				l.fail("server", k, "", errors.New("required when protocol = https"))
			}
		}
	}
	s.RouterLogging = l.bool("server", "router_logging")
	s.TrustedProxies = l.prefixes("server", "trusted_proxies")
	s.ReadHeaderTimeout = l.duration("server", "read_header_timeout", false)
	s.ReadTimeout = l.duration("server", "read_timeout", false)
	s.WriteTimeout = l.duration("server", "write_timeout", false)
	s.IdleTimeout = l.duration("server", "idle_timeout", false)
	s.MaxHeaderBytes = int(l.int("server", "max_header_bytes", 0, math.MaxInt32))

	db := &c.Database
	db.Type = l.choice("database", "type",
		map[string]string{"sqlite3": "sqlite3", "sqlite": "sqlite3", "postgres": "postgres"},
		"sqlite3", "postgres")
	db.URL = strings.TrimSpace(l.secret("database", "url"))
	db.Path = l.str("database", "path")
	if db.Type == "sqlite3" && db.URL != "" {
		// A URL with the default type: the URL's scheme says which database is meant, as in
		// Grafana, where url overrides type. A URL with type = sqlite3 given explicitly, or
		// that is no PostgreSQL URL, would be ignored while Warden uses a SQLite file no one
		// asked for: refused.
		scheme, _, _ := strings.Cut(db.URL, "://")
		isPostgres := strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql")
		switch {
		case isPostgres && !l.isSet("database", "type"):
			db.Type = "postgres"
		case isPostgres:
			l.fail("database", "url", db.URL, errors.New("is a PostgreSQL URL, but [database] type is sqlite3, "+
				"so Warden would ignore it and use a SQLite file: set type = postgres (WARDEN_DATABASE_TYPE=postgres), "+
				"or remove the url"))
		default:
			l.fail("database", "url", db.URL, errors.New("is set, but Warden supports only PostgreSQL URLs "+
				"(postgres://…) and [database] type is sqlite3: remove the url to use SQLite"))
		}
	}
	switch db.Type {
	case "postgres":
		if db.URL == "" {
			l.fail("database", "url", "", errors.New("required when type = postgres"))
		} else if scheme, _, ok := strings.Cut(db.URL, "://"); ok && !strings.EqualFold(scheme, "postgres") && !strings.EqualFold(scheme, "postgresql") {
			l.fail("database", "url", db.URL, errors.New("must be a postgres:// URL"))
		}
	case "sqlite3":
		if db.Path == "" {
			l.fail("database", "path", "", errors.New("required when type = sqlite3"))
		}
	}
	// ":memory:" and "file:" URIs are sqlite names, not paths to re-root.
	if db.Path != "" && db.Path != ":memory:" && !strings.HasPrefix(db.Path, "file:") && !filepath.IsAbs(db.Path) {
		db.Path = filepath.Join(c.Paths.Data, db.Path)
	}

	sec := &c.Security
	sec.AdminUser = l.str("security", "admin_user")
	if sec.AdminUser == "" {
		l.fail("security", "admin_user", "", errors.New("must not be empty"))
	}
	sec.AdminPassword = l.secret("security", "admin_password")
	sec.AdminEmail = l.str("security", "admin_email")
	sec.SecretKey = l.secret("security", "secret_key")
	sec.PasswordHash.MemoryKiB = uint32(l.int("security", "password_hash_memory", 8, 64*1024))
	sec.PasswordHash.Iterations = uint32(l.int("security", "password_hash_iterations", 1, 16))
	sec.DisableBruteForceLoginProtection = l.bool("security", "disable_brute_force_login_protection")
	sec.BruteForceMaxAttempts = int(l.int("security", "brute_force_login_protection_max_attempts", math.MinInt32, math.MaxInt32))
	if sec.BruteForceMaxAttempts <= 0 {
		sec.BruteForceMaxAttempts = 1 // as Grafana does: protection stays on
	}
	sec.PasswordCheckIPLimit = int(l.int("security", "password_check_ip_limit", 0, math.MaxInt32))
	sec.IPv6PrefixLength = int(l.int("security", "ipv6_prefix_length", 1, 128))
	sec.CookieSecure = l.bool("security", "cookie_secure")
	sec.DisableGravatar = l.bool("security", "disable_gravatar")

	c.Auth.LoginMaximumInactiveLifetime = l.duration("auth", "login_maximum_inactive_lifetime_duration", true)
	c.Auth.LoginMaximumLifetime = l.duration("auth", "login_maximum_lifetime_duration", true)
	c.Auth.APIKeyMaxSecondsToLive = l.int("auth", "api_key_max_seconds_to_live", -1, 1<<53)
	c.Auth.TokenCacheSize = int(l.int("auth", "token_cache_size", 0, 100_000_000))
	c.Auth.TokenCacheMaxAge = l.duration("auth", "token_cache_max_age", false)
	c.Auth.UnknownTokenCacheSize = int(l.int("auth", "unknown_token_cache_size", 0, 100_000_000))
	c.Auth.UnknownTokenCacheTTL = l.duration("auth", "unknown_token_cache_ttl", true)
	c.Auth.TokenLookupConcurrency = int(l.int("auth", "token_lookup_concurrency", 1, 10_000))
	c.Auth.FailedTokenLookupsPerIP = int(l.int("auth", "failed_token_lookups_per_ip", 0, math.MaxInt32))

	c.AuthBasic.Enabled = l.bool("auth.basic", "enabled")
	c.AuthBasic.PasswordPolicy = l.bool("auth.basic", "password_policy")

	c.Users.AutoAssignOrg = l.bool("users", "auto_assign_org")
	c.Users.AutoAssignOrgID = l.int("users", "auto_assign_org_id", 1, math.MaxInt64)
	c.Users.AutoAssignOrgRole = l.choice("users", "auto_assign_org_role",
		map[string]string{"none": "None", "viewer": "Viewer", "editor": "Editor", "admin": "Admin"},
		"None", "Viewer", "Editor", "Admin")

	// Grafana's extra levels are folded in so its config files load.
	c.Log.Level = l.choice("log", "level",
		map[string]string{"trace": "debug", "debug": "debug", "info": "info", "warn": "warn",
			"warning": "warn", "error": "error", "critical": "error"},
		"debug", "info", "warn", "error")
	// [log] format is Warden's key; Grafana only has [log.console] format,
	// which is used when [log] format is blank.
	formats := map[string]string{"text": "text", "console": "text", "json": "json"}
	if l.str("log", "format") != "" {
		c.Log.Format = l.choice("log", "format", formats, "text", "json")
	} else {
		c.Log.Format = l.choice("log.console", "format", formats, "text", "console", "json")
	}

	c.FeatureToggles = l.featureToggles()

	c.ServiceAccounts.TokenExpirationDayLimit = int(l.int("service_accounts", "token_expiration_day_limit", math.MinInt32, math.MaxInt32))
	c.ServiceAccounts.EnforceDayLimitAtUse = l.bool("service_accounts", "enforce_expiration_day_limit_at_use")
	c.ServiceAccounts.RotationGracePeriod = l.duration("service_accounts", "rotation_grace_period", false)
	c.ServiceAccounts.ExpiredTokenRetentionDays = int(l.int("service_accounts", "expired_token_retention_days", -1, 100_000))

	c.Audit.RetentionDays = int(l.int("audit", "retention_days", 0, 1_000_000))

	c.Authz.RulesFile = l.str("authz", "rules_file")
	c.Authz.ForwardHeaders = l.choice("authz", "forward_headers",
		map[string]string{"auto": "auto", "nginx": "nginx", "traefik": "traefik", "envoy": "envoy"},
		"auto", "nginx", "traefik", "envoy")

	return c
}

// rootURL checks root_url after interpolation and adds the trailing slash
// that Grafana adds, so callers can append paths without checking.
func (l *loader) rootURL() string {
	v := l.typed("server", "root_url")
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.fail("server", "root_url", v, errors.New("must be an absolute http or https URL"))
		return v
	}
	if !strings.HasSuffix(v, "/") {
		v += "/"
	}
	return v
}

// featureToggles layers, in order: the defaults, the Grafana 8.5 `enable`
// list, then toggles set explicitly in the config file, then environment
// variables. Explicit keys beat `enable` as in Grafana, but only when the
// user wrote them; otherwise a default of false could never be enabled
// through `enable`.
func (l *loader) featureToggles() map[string]bool {
	const sec = "feature_toggles"
	toggles := map[string]bool{}
	// set keeps the spelling already in the map, so "serviceaccounts" in a
	// file updates the default "serviceAccounts" instead of adding a twin.
	set := func(name string, on bool) {
		for k := range toggles {
			if strings.EqualFold(k, name) {
				name = k
				break
			}
		}
		toggles[name] = on
	}
	isDefault := func(name string) bool {
		for _, k := range l.defaults.Section(sec).KeyStrings() {
			if strings.EqualFold(k, name) {
				return true
			}
		}
		return false
	}
	parse := func(name string) {
		v := l.str(sec, name)
		if v == "" && isDefault(name) {
			return // blank means the default, as for other typed keys
		}
		on, ok := parseBool(v)
		if !ok {
			l.fail(sec, name, v, errBool)
			return
		}
		set(name, on)
	}

	for _, k := range l.defaults.Section(sec).Keys() {
		if strings.EqualFold(k.Name(), "enable") {
			continue
		}
		on, ok := parseBool(k.Value())
		if !ok {
			l.fail(sec, k.Name(), k.Value(), errBool)
			continue
		}
		toggles[k.Name()] = on
	}
	for _, name := range splitList(l.str(sec, "enable")) {
		set(name, true)
	}
	if l.user != nil {
		if s, err := l.user.GetSection(sec); err == nil {
			for _, name := range s.KeyStrings() {
				if !strings.EqualFold(name, "enable") {
					parse(name)
				}
			}
		}
	}
	for _, name := range l.defaults.Section(sec).KeyStrings() {
		if _, ok := l.fromEnv[[2]string{sec, name}]; ok && !strings.EqualFold(name, "enable") {
			parse(name)
		}
	}
	return toggles
}
