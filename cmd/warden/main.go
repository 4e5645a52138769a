// Command warden runs the Warden server and its administration commands.
//
//	warden server [--config FILE]
//	warden admin reset-admin-password [--config FILE] --password-from-stdin
//	warden admin backup [--config FILE] FILE
//	warden admin seed --accounts N --tokens M [--tokens-out FILE]
//	warden authz check --rules FILE --path URI [--method M] [--role R] …
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
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "warden:", err)
		os.Exit(exitCode(err))
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// flagError turns a flag parse error into a usage error, so it exits 2 like other usage
// mistakes (the flag package has already printed the details).
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err.Error()}
}

// exitCode is 2 for bad usage or configuration, 1 for anything else.
func exitCode(err error) int {
	var ue *usageError
	var ce *ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `usage:
  warden server [--config FILE]
  warden admin reset-admin-password [--config FILE] --password-from-stdin
  warden admin backup [--config FILE] FILE
  warden admin seed --accounts N --tokens M [--org ID] [--tokens-out FILE]   (benchmark data)
  warden authz check --rules FILE --path URI [--method M] [--host H] [--role R] [--org N] [--login L]
  warden --version`

// run is the whole program with the operating system passed in, so tests can run it in
// process: it returns when ctx is cancelled (the server) or the command is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("warden", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	configPath := fs.String("config", "", "configuration file (ini)")
	fs.Usage = func() { fmt.Fprintln(stderr, usage) }
	if err := fs.Parse(args); err != nil {
		return flagError(err)
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
	case "server":
		sub := flag.NewFlagSet("server", flag.ContinueOnError)
		sub.SetOutput(stderr)
		cfgPath := sub.String("config", *configPath, "configuration file (ini)")
		if err := sub.Parse(rest[1:]); err != nil {
			return flagError(err)
		}
		if sub.NArg() > 0 {
			return &usageError{"server takes no arguments"}
		}
		cfg, err := LoadConfig(*cfgPath, getenv)
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
