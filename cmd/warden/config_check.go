package main

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/ini.v1"
)

// Warnings about configuration Warden does not read. A mistyped key (`admin_pasword`) would
// otherwise be ignored without a word — and the admin password the user chose never work.
// Warden warns, at start, about:
//
//   - each key of a section Warden reads (those of defaults.ini) that is neither Warden's nor
//     Grafana's (grafanaKeys), with the nearest Warden key, or the section Warden reads it from;
//   - each section that is neither Warden's nor Grafana's but whose name is close to one of
//     Warden's ([securty]);
//   - each WARDEN_ environment variable that is not one Warden reads, nor one its own tools and
//     tests use, with the nearest it reads.
//
// A Grafana configuration file loads quietly: Grafana's keys in the sections Warden reads are
// known, [feature_toggles] takes any name, and the sections only Grafana has are not checked
// (Warden reads none of them, and Grafana adds new ones with every release).

// envAllowed are WARDEN_ variables that are not settings but are used by Warden's own tools,
// scripts and tests; envAllowedPrefixes likewise, by prefix.
var (
	envAllowed = map[string]bool{
		"WARDEN_URL": true, "WARDEN_TOKEN": true, "WARDEN_USER": true, "WARDEN_PASSWORD": true,
		"WARDEN_SCREENSHOTS":        true, // the browser tests keep their screenshots there
		"WARDEN_README_SCREENSHOTS": true, // TestUI_READMEScreenshots writes the README's images there
	}
	envAllowedPrefixes = []string{"WARDEN_TEST_"} // the test harness: WARDEN_TEST_DATABASE, _POSTGRES_URL, …
)

// fileWarnings checks the sections and keys of the config file user (at path) against
// defaults (Warden's) and Grafana's, and returns a warning for each that Warden ignores.
func fileWarnings(path string, user, defaults *ini.File) []string {
	var warns []string
	warn := func(format string, args ...any) {
		warns = append(warns, fmt.Sprintf("config file %s: ", path)+fmt.Sprintf(format, args...))
	}
	for _, sec := range user.Sections() {
		name := sec.Name()
		keys := sec.KeyStrings()
		if len(keys) == 0 {
			continue
		}
		ours, err := defaults.GetSection(name)
		if err != nil || name == ini.DefaultSection {
			switch {
			case name == ini.DefaultSection:
				for _, k := range keys {
					if !grafanaKey(name, k) {
						warn("%s (before the first [section]) is not a setting Warden reads, and is ignored", k)
					}
				}
			case isGrafanaSection(name) || strings.HasPrefix(name, "feature_toggles."):
				// Only Grafana reads it.
			default:
				if near := nearestSection(name, defaults); near != "" {
					warn("section [%s] is not one Warden reads, so its keys (%s) are ignored; did you mean [%s]?",
						name, strings.Join(keys, ", "), near)
				}
			}
			continue
		}
		if name == "feature_toggles" {
			continue // any toggle name
		}
		for _, k := range keys {
			if hasOwnKey(ours, k) || grafanaKey(name, k) {
				continue
			}
			warn("%s", keyWarning(name, k, defaults))
		}
	}
	return warns
}

// keyWarning says that key is not read from section, and what was probably meant.
func keyWarning(section, key string, defaults *ini.File) string {
	msg := fmt.Sprintf("[%s] %s is not a setting Warden reads, and is ignored", section, key)
	// The key, in another section Warden reads it from ([security] trusted_proxies).
	var elsewhere []string
	for _, s := range defaults.Sections() {
		if s.Name() != section && hasOwnKey(s, key) {
			elsewhere = append(elsewhere, "["+s.Name()+"] "+key)
		}
	}
	if len(elsewhere) > 0 {
		return msg + "; Warden reads " + strings.Join(elsewhere, " and ")
	}
	// The nearest key: in the same section first, then in any.
	best, bestDist := "", -1
	consider := func(s, k string, penalty int) {
		d := editDistance(strings.ToLower(key), strings.ToLower(k)) + penalty
		if bestDist < 0 || d < bestDist {
			best, bestDist = "["+s+"] "+k, d
		}
	}
	for _, k := range defaults.Section(section).KeyStrings() {
		consider(section, k, 0)
	}
	for _, s := range defaults.Sections() {
		if s.Name() != section {
			for _, k := range s.KeyStrings() {
				consider(s.Name(), k, 1)
			}
		}
	}
	if bestDist >= 0 && bestDist <= nearEnough(key) {
		return msg + "; did you mean " + best + "?"
	}
	return msg
}

// hasOwnKey reports whether sec itself has key (Section.HasKey also finds the keys of parent
// sections: [auth] for [auth.basic]).
func hasOwnKey(sec *ini.Section, key string) bool {
	for _, k := range sec.KeyStrings() {
		if k == key {
			return true
		}
	}
	return false
}

// nearestSection returns the section of defaults whose name is close to name, or "".
func nearestSection(name string, defaults *ini.File) string {
	best, bestDist := "", -1
	for _, s := range defaults.SectionStrings() {
		if s == ini.DefaultSection {
			continue
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(s)); bestDist < 0 || d < bestDist {
			best, bestDist = s, d
		}
	}
	if bestDist >= 0 && bestDist <= min(2, nearEnough(name)) {
		return best
	}
	return ""
}

// envWarnings returns a warning for each WARDEN_ variable of environ ("NAME=value" entries)
// that Warden neither reads as a setting nor uses in its own tools and tests.
func envWarnings(environ []string) []string {
	defaults, err := ini.LoadSources(iniOptions, defaultsINI)
	if err != nil {
		return nil
	}
	known := map[string]bool{}
	var names []string
	for _, sec := range defaults.Sections() {
		for _, k := range sec.KeyStrings() {
			n := envVarName(sec.Name(), k)
			known[n] = true
			names = append(names, n)
		}
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || envAllowed[name] {
			continue
		}
		if known[strings.TrimSuffix(name, "__FILE")] {
			continue
		}
		allowed := false
		for _, p := range envAllowedPrefixes {
			allowed = allowed || strings.HasPrefix(name, p)
		}
		if !allowed {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	var warns []string
	for _, name := range unknown {
		msg := fmt.Sprintf("environment variable %s is not one Warden reads, and is ignored", name)
		best, bestDist := "", -1
		for _, n := range names {
			for _, cand := range []string{n, n + "__FILE"} {
				if d := editDistance(name, cand); bestDist < 0 || d < bestDist {
					best, bestDist = cand, d
				}
			}
		}
		if bestDist >= 0 && bestDist <= nearEnough(strings.TrimPrefix(name, envPrefix)) {
			msg += "; did you mean " + best + "?"
		}
		warns = append(warns, msg)
	}
	return warns
}

// nearEnough is the largest edit distance at which a name is taken for a misspelling of
// another: a third of its length, at least 2.
func nearEnough(name string) int {
	return max(2, len(name)/3)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
