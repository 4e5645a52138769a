package main

// Item 16 of "What an attacker and a newcomer found": the README walkthrough, followed as
// written, must work; a default start has nothing to warn about; the configuration's own
// comments name keys where Warden reads them.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/ini.v1"
)

// newcomerREADME returns the repository's README.md.
func newcomerREADME(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newcomerBlocks returns the README's fenced code blocks of language lang, in order.
func newcomerBlocks(readme, lang string) []string {
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```"+lang+"\n(.*?)^```").FindAllStringSubmatch(readme, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// TestNewcomer_READMEWalkthrough runs the README's shell examples that talk to a server — the
// quick tour, service accounts and tokens, the rules check, introspection, administration — in
// order, in one shell, against a fresh server whose admin password was generated and printed,
// as a newcomer would paste them. Every request must succeed (2xx), introspection must find the
// token active, and the rules check must answer as the README says.
func TestNewcomer_READMEWalkthrough(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the README's walkthrough runs on the default SQLite")
	for _, tool := range []string{"bash", "curl", "sed", "grep", "cut", "head"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
	readme := newcomerREADME(t)
	bin := wardenBinary(t)
	ts := startServer(t, map[string]string{"WARDEN_SECURITY_ADMIN_PASSWORD": ""})
	m := cliBannerPassword.FindStringSubmatch(ts.Logs())
	if m == nil {
		t.Fatalf("no generated password on stderr:\n%s", ts.Logs())
	}
	password := m[1]

	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, "warden")); err != nil { // what `go build -o warden ./cmd/warden` makes
		t.Fatal(err)
	}
	// "Save the rules above as rules.yaml": the README's first rules file.
	for _, y := range newcomerBlocks(readme, "yaml") {
		if strings.HasPrefix(y, "rules:") {
			if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(y), 0o600); err != nil {
				t.Fatal(err)
			}
			break
		}
	}

	var script strings.Builder
	// Each request's status goes to stderr, for the checks below.
	script.WriteString("curl() { command curl -w '%{stderr}HTTP %{http_code} %{method} %{url_effective}\\n' \"$@\"; }\n")
	blocks := 0
	for _, b := range newcomerBlocks(readme, "sh") {
		if !strings.Contains(b, "curl ") && !strings.Contains(b, "./warden authz") {
			continue
		}
		blocks++
		script.WriteString(b)
	}
	s := script.String()
	for _, placeholder := range []string{"http://localhost:3000", "'the printed password'"} {
		if !strings.Contains(s, placeholder) {
			t.Fatalf("the README's examples no longer contain %s, which this test replaces", placeholder)
		}
	}
	s = strings.ReplaceAll(s, "http://localhost:3000", ts.URL)
	s = strings.ReplaceAll(s, "'the printed password'", "'"+password+"'")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", s)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LC_ALL=C"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("%d blocks; stdout:\n%s", blocks, stdout.String())
	if err != nil {
		t.Logf("the script's last command failed: %v", err)
	}

	requests := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		if !strings.HasPrefix(line, "HTTP ") {
			if strings.TrimSpace(line) != "" && line != "warden: request denied" { // the rules check's DENY
				t.Errorf("stderr: %s", line)
			}
			continue
		}
		requests++
		if code := strings.Fields(line)[1]; code[0] != '2' {
			t.Errorf("%s", line)
		}
	}
	if requests < 40 {
		t.Errorf("%d requests, want the whole walkthrough (40 or more)", requests)
	}
	out := stdout.String()
	for _, want := range []string{
		`"active":true`,                          // introspection of a token that still exists
		`"message":"Logged in"`,                  // the quick tour's sign-in
		"DENY (403)",                             // the rules check
		`"message":"User added to organization"`, // administration
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the walkthrough's output lacks %s", want)
		}
	}
}

// The README says how to get the binary before it first runs it.
func TestNewcomer_READMESaysHowToGetTheBinaryFirst(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "the README")
	readme := newcomerREADME(t)
	build := strings.Index(readme, "go build -o warden ./cmd/warden")
	if build < 0 {
		t.Fatal("the README never says `go build -o warden ./cmd/warden`")
	}
	use := regexp.MustCompile(`(^|[\s\x60(])(\./)?warden (server|admin|authz|help|--version)`).FindStringIndex(readme)
	if use != nil && use[0] < build {
		line := strings.Count(readme[:use[0]], "\n") + 1
		t.Errorf("README line %d runs `warden` before the README says how to build it (%q)", line,
			strings.TrimSpace(readme[use[0]:use[1]]))
	}
}

// A server started with the defaults has nothing to warn about: no rules file is normal (the
// forward-auth endpoint then denies everything), and is said at info.
func TestNewcomer_DefaultStartHasNoWarnings(t *testing.T) {
	t.Parallel()
	ts := startServer(t, defaultPasswordHash)
	ts.Stop()
	if w := newcomerWarnings(ts.Logs()); len(w) > 0 {
		t.Errorf("warnings at a default start:\n%s", strings.Join(w, "\n"))
	}
	found := false
	for _, line := range strings.Split(ts.Logs(), "\n") {
		found = found || (strings.Contains(line, "level=INFO") && strings.Contains(line, "no [authz] rules_file"))
	}
	if !found {
		t.Errorf("no info line about the missing rules file:\n%s", ts.Logs())
	}
}

// Wherever the built-in defaults, the README and the docs name a Warden key as "[section] key",
// Warden reads that key from that section (defaults.ini once named [security] trusted_proxies,
// a key of [server]).
func TestNewcomer_DocsNameKeysInTheirSections(t *testing.T) {
	t.Parallel()
	skipOnPostgresStage(t, "documentation")
	defaults, err := ini.LoadSources(iniOptions, defaultsINI)
	if err != nil {
		t.Fatal(err)
	}
	where := map[string][]string{} // key -> the sections Warden reads it from
	for _, sec := range defaults.Sections() {
		for _, k := range sec.KeyStrings() {
			where[k] = append(where[k], sec.Name())
		}
	}
	texts := map[string]string{"cmd/warden/defaults.ini": string(defaultsINI), "README.md": newcomerREADME(t)}
	docs, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		texts["docs/"+filepath.Base(d)] = string(b)
	}
	ref := regexp.MustCompile("\\[([a-z_.]+)\\]\\x60? \\x60?([a-z_]+)")
	for name, text := range texts {
		for _, m := range ref.FindAllStringSubmatch(text, -1) {
			section, key := m[1], m[2]
			secs, ours := where[key]
			if !ours {
				continue // a word, or a key Warden does not read
			}
			ok := false
			for _, s := range secs {
				ok = ok || s == section
			}
			if !ok && defaults.HasSection(section) {
				t.Errorf("%s names [%s] %s; Warden reads %s from %v", name, section, key, key, secs)
			}
		}
	}
}
