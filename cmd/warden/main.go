// Command warden runs the Warden server and its administration commands.
//
//	warden server [--config FILE]
//	warden admin reset-admin-password [--config FILE] --password-from-stdin
//	warden admin backup [--config FILE] FILE
//	warden admin seed [--config FILE] --accounts N --tokens M [--tokens-out FILE] [--create]
//	warden authz check --rules FILE --path URI [--method M] [--role R] …
//	warden help [COMMAND]
//	warden --version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version and commit are set at build time with -ldflags "-X main.version=…".
var (
	version = "0.1.0-dev"
	commit  = ""
)

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "NA"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx = context.WithValue(ctx, environKey{}, os.Environ())
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "warden:", err)
		os.Exit(exitCode(err))
	}
}

// environKey is the context key of the process environment ("NAME=value" entries, as
// os.Environ returns them), in which run looks for WARDEN_ variables that Warden does not read
// (see envWarnings). main passes it; a caller that passes none gets no such warnings.
type environKey struct{}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errHelpShown reports that a command printed its usage because it was asked to (-h, --help,
// `warden help`): run returns nil for it, so the exit status is 0.
var errHelpShown = errors.New("help shown")

// exitCode is 2 for bad usage or configuration, 1 for anything else.
func exitCode(err error) int {
	var ue *usageError
	var ce *ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// command is one command of the command line: what `warden help NAME` and NAME's -h print.
type command struct {
	name     string // as typed after "warden": "server", "admin backup"
	synopsis string // the usage line, without "usage: "
	about    string // what the command does
}

// commands are the commands with a usage of their own, in the order the overview lists them.
var commands = []*command{
	{"server", "warden server [--config FILE]",
		"Runs Warden: the API, the web UI and forward auth. It reads the built-in defaults, then\n" +
			"FILE, then WARDEN_<SECTION>_<KEY> environment variables, and warns about keys it does\n" +
			"not read. On SQLite it holds a lock on the database file for its life: a second server\n" +
			"on the same database is refused."},
	{"admin reset-admin-password", "warden admin reset-admin-password [--config FILE] --password-from-stdin",
		"Sets the password of the server admin ([security] admin_user) directly in the database,\n" +
			"clears its failed sign-ins and ends its sessions. Reads the password from the first\n" +
			"line of standard input (a PASSWORD argument works too, but stays in shell history).\n" +
			"Use the server's configuration (--config, environment): it names the database, which\n" +
			"must exist."},
	{"admin backup", "warden admin backup [--config FILE] FILE",
		"Writes a consistent copy of the SQLite database to FILE (which must not exist), mode\n" +
			"0600, also while a server runs on it. Use the server's configuration (--config,\n" +
			"environment): it names the database, which must exist. For PostgreSQL use pg_dump."},
	{"admin seed", "warden admin seed [--config FILE] --accounts N --tokens M [--org ID] [--tokens-out FILE] [--create]",
		"Fills the SQLite database with N service accounts and M tokens, for benchmarks, in large\n" +
			"transactions: it refuses a database a server is running on. The database must exist\n" +
			"unless --create is given. Sample plaintext tokens go only to --tokens-out (mode 0600)."},
	{"authz check", authzSynopsis,
		"Decides a request against a rules file as /api/authz/forward would for a token with that\n" +
			"role, org, login and scopes, and says why. Exit status 0: allowed; 1: denied; 2: bad\n" +
			"usage or an invalid rules file."},
	{"help", "warden help [COMMAND]", "Prints the usage of warden, or of COMMAND (e.g. `warden help admin backup`)."},
	{"version", "warden --version", "Prints the version and the commit (`warden version` works too)."},
}

// findCommand returns the command named name ("admin backup"), or nil.
func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

const usage = `usage:
  warden server [--config FILE]
  warden admin reset-admin-password [--config FILE] --password-from-stdin
  warden admin backup [--config FILE] FILE
  warden admin seed [--config FILE] --accounts N --tokens M [--org ID] [--tokens-out FILE] [--create]
  warden authz check --rules FILE --path URI [--method M] [--host H] [--role R] [--org N] [--login L] [--scopes S]
  warden help [COMMAND]
  warden --version

--config FILE may also come before the command. "warden help COMMAND" or "warden COMMAND -h"
shows a command's flags.`

const adminUsage = `usage:
  warden admin reset-admin-password [--config FILE] --password-from-stdin
  warden admin backup [--config FILE] FILE
  warden admin seed [--config FILE] --accounts N --tokens M [--org ID] [--tokens-out FILE] [--create]

Admin commands open the database the server's configuration names (--config, WARDEN_*
variables), say which on stderr, and never create one. "warden help admin COMMAND" shows a
command's flags.`

const authzGroupUsage = `usage:
  ` + authzSynopsis + `

"warden help authz check" shows its flags.`

// printUsage writes c's usage, with the flags of fs (nil: none).
func printUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.synopsis, c.about)
	if fs == nil {
		return
	}
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintln(w, "\nflags:")
			first = false
		}
		name, text := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + strings.ToUpper(name)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%-28s %s\n", line, text)
	})
}

// parseFlags parses args into fs, which belongs to command c. -h or --help prints c's usage on
// stdout and returns errHelpShown; a mistake prints the usage line on stderr and returns a
// usageError naming the mistake, which main reports (once).
func parseFlags(fs *flag.FlagSet, c *command, args []string, stdout, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout, c, fs)
		return errHelpShown
	}
	fmt.Fprintf(stderr, "usage: %s\n(\"warden help %s\" shows the flags)\n", c.synopsis, c.name)
	return &usageError{err.Error()}
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// run is the whole program with the operating system passed in, so tests can run it in
// process: it returns when ctx is cancelled (the server) or the command is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdin, stdout, stderr)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("warden", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print the version and exit")
	configPath := fs.String("config", "", "configuration file (ini)")
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usage)
			return errHelpShown
		}
		fmt.Fprintln(stderr, usage)
		return &usageError{err.Error()}
	}
	if *showVersion {
		fmt.Fprintf(stdout, "warden %s (commit %s)\n", version, buildCommit())
		return nil
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintln(stderr, usage)
		return &usageError{"no command given"}
	}
	switch rest[0] {
	case "version":
		fmt.Fprintf(stdout, "warden %s (commit %s)\n", version, buildCommit())
		return nil
	case "help":
		return runHelp(rest[1:], stdout, stderr)
	case "server":
		sub := flag.NewFlagSet("server", flag.ContinueOnError)
		cfgPath := sub.String("config", *configPath, "configuration `FILE` (ini)")
		if err := parseFlags(sub, findCommand("server"), rest[1:], stdout, stderr); err != nil {
			return err
		}
		if sub.NArg() > 0 {
			fmt.Fprintf(stderr, "usage: %s\n", findCommand("server").synopsis)
			return &usageError{"server takes no arguments"}
		}
		cfg, err := loadConfig(ctx, *cfgPath, getenv)
		if err != nil {
			return err
		}
		return runServer(ctx, cfg, stderr)
	case "admin":
		return runAdmin(ctx, rest[1:], *configPath, getenv, stdin, stdout, stderr)
	case "authz":
		return runAuthz(rest[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return &usageError{fmt.Sprintf("unknown command %q", rest[0])}
}

// runHelp runs `warden help [COMMAND]`.
func runHelp(args []string, stdout, stderr io.Writer) error {
	name := strings.Join(args, " ")
	switch name {
	case "":
		fmt.Fprintln(stdout, usage)
		return nil
	case "admin":
		fmt.Fprintln(stdout, adminUsage)
		return nil
	case "authz":
		fmt.Fprintln(stdout, authzGroupUsage)
		return nil
	case "--version", "-version":
		name = "version"
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintln(stderr, usage)
		return &usageError{fmt.Sprintf("help: unknown command %q", name)}
	}
	// The flags are the ones the command itself defines: build its flag set without running it.
	printUsage(stdout, c, commandFlags(c.name))
	return nil
}

// commandFlags returns the flag set of the command named name, for its usage (nil: none).
func commandFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	switch name {
	case "server":
		fs.String("config", "", "configuration `FILE` (ini)")
	case "admin reset-admin-password":
		resetFlags(fs, "")
	case "admin backup":
		backupFlags(fs, "")
	case "admin seed":
		seedFlags(fs, "")
	case "authz check":
		authzCheckFlags(fs)
	default:
		return nil
	}
	return fs
}

// loadConfig is LoadConfig, plus warnings about WARDEN_ variables of the process environment
// (carried by ctx, see environKey) that Warden does not read.
func loadConfig(ctx context.Context, path string, getenv func(string) string) (*Config, error) {
	cfg, err := LoadConfig(path, getenv)
	if err != nil {
		return nil, err
	}
	if environ, ok := ctx.Value(environKey{}).([]string); ok {
		cfg.Warnings = append(cfg.Warnings, envWarnings(environ)...)
	}
	return cfg, nil
}
