package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"unicode"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/authz"
)

// authzRules is the server's authorization rules: loaded at start, then kept current by
// polling the file and on SIGHUP.
type authzRules struct {
	holder  *authz.Holder
	watcher *authz.Watcher // nil without a rules file
	logger  *slog.Logger
	hup     chan os.Signal
}

// loadAuthzRules loads [authz] rules_file. Without one, every forward request is denied, and an
// info line says so. An invalid or unreadable file stops the start (there are no last good
// rules yet), as a configuration error.
func loadAuthzRules(cfg *Config, logger *slog.Logger) (*authzRules, error) {
	a := &authzRules{holder: &authz.Holder{}, logger: logger, hup: make(chan os.Signal, 1)}
	if path := cfg.Authz.RulesFile; path != "" {
		a.watcher = authz.NewWatcher(path, a.holder, logger, 0)
		if err := a.watcher.Load(); err != nil {
			return nil, &ConfigError{Section: "authz", Key: "rules_file", Value: path, Err: err}
		}
		logger.Info("authorization rules loaded", "file", path, "rules", a.holder.Rules().Len(),
			"forward_headers", cfg.Authz.ForwardHeaders)
	} else {
		// Normal for a Warden that only serves the API and the UI: said at info.
		logger.Info("no [authz] rules_file: /api/authz/forward denies every request (set one to protect your own API)")
	}
	// Registered before the server listens, so a SIGHUP never finds the default action
	// (terminate) in place.
	signal.Notify(a.hup, syscall.SIGHUP)
	return a, nil
}

// run reloads the rules on SIGHUP and on changes to the file until ctx ends.
func (a *authzRules) run(ctx context.Context) {
	defer signal.Stop(a.hup)
	if a.watcher != nil {
		go a.watcher.Run(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.hup:
			if a.watcher == nil {
				a.logger.Warn("SIGHUP: no [authz] rules_file to reload")
				continue
			}
			_ = a.watcher.Reload("SIGHUP") // logged and counted by the watcher
		}
	}
}

// authzSynopsis is the usage line of `warden authz check`.
const authzSynopsis = `warden authz check --rules FILE --path URI [--method GET] [--host HOST] [--role Viewer] [--org 1] [--login LOGIN] [--scopes "SCOPE …"]`

// authzCheckFlags defines the flags of `warden authz check` on fs.
func authzCheckFlags(fs *flag.FlagSet) (rulesFile, method, path, host, role *string, org *int64, login, scopes *string) {
	rulesFile = fs.String("rules", "", "the rules `FILE` (YAML)")
	method = fs.String("method", "GET", "the original request's `METHOD`")
	path = fs.String("path", "", "the original request's path, a `URI` (its query string is ignored)")
	host = fs.String("host", "", "the original request's `HOST` (empty: rules with a host do not match)")
	role = fs.String("role", "Viewer", "the token's org `ROLE`: None, Viewer, Editor or Admin")
	org = fs.Int64("org", 1, "the token's org `ID`")
	login = fs.String("login", "", "the token's service-account `LOGIN`")
	scopes = fs.String("scopes", "", "the token's `SCOPES`, separated by spaces and/or commas (e.g. \"orders:read orders:write\")")
	return
}

// runAuthz runs `warden authz …`.
func runAuthz(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stdout, authzGroupUsage)
		return errHelpShown
	}
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, authzGroupUsage)
		return &usageError{"authz needs a command: check"}
	}
	c := findCommand("authz check")
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	rulesFile, method, path, host, role, org, login, scopeList := authzCheckFlags(fs)
	if err := parseFlags(fs, c, args[1:], stdout, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return &usageError{"authz check takes no arguments"}
	case *rulesFile == "":
		return &usageError{"authz check: --rules is required"}
	case *path == "":
		return &usageError{"authz check: --path is required"}
	}
	r, ok := warden.ParseOrgRole(*role)
	if !ok || *role == "" {
		return &usageError{fmt.Sprintf("authz check: unknown role %q (None, Viewer, Editor or Admin)", *role)}
	}
	scopes, err := parseScopeList(*scopeList)
	if err != nil {
		return &usageError{"authz check: --scopes: " + err.Error()}
	}
	rules, err := authz.Load(*rulesFile)
	if err != nil {
		return &usageError{"invalid rules file: " + err.Error()}
	}
	fmt.Fprintf(stdout, "%s: %d rules\n", *rulesFile, rules.Len())
	clean, err := authz.CleanPath(*path)
	if err != nil {
		fmt.Fprintf(stdout, "DENY (403): the %s\n", err)
		return errDenied
	}
	req := &authz.Request{Method: *method, Host: *host, Path: clean, OrgID: *org, Role: r, Login: *login, Scopes: scopes}
	scopesText := "no scopes"
	if len(req.Scopes) > 0 {
		scopesText = "scopes " + authz.DisplayScopes(req.Scopes)
	}
	fmt.Fprintf(stdout, "request: %s %s, host %q; token: role %s, org %d, login %q, %s\n",
		req.Method, req.Path, req.Host, req.Role, req.OrgID, req.Login, scopesText)
	ex := rules.Explain(req)
	for _, s := range ex.Steps {
		fmt.Fprintln(stdout, "  "+s)
	}
	if !ex.Allowed {
		if ex.Index >= 0 {
			fmt.Fprintf(stdout, "DENY (403) by rule %d\n", ex.Index)
		} else {
			fmt.Fprintln(stdout, "DENY (403): no rule matches")
		}
		return errDenied
	}
	fmt.Fprintf(stdout, "ALLOW (200) by rule %d\n", ex.Index)
	return nil
}

// parseScopeList reads the scopes of --scopes: separated by spaces and/or commas, each spelled
// as warden.CheckScope requires; one listed twice counts once.
func parseScopeList(s string) ([]string, error) {
	var out []string
	for _, sc := range strings.FieldsFunc(s, func(c rune) bool { return c == ',' || unicode.IsSpace(c) }) {
		if err := warden.CheckScope(sc); err != nil {
			return nil, err
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// errDenied makes `warden authz check` exit 1.
var errDenied = fmt.Errorf("request denied")
