package authz

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden"
)

// MaxFileSize bounds a rules file; a larger one is invalid.
const MaxFileSize = 1 << 20

// Load reads and parses the rules file at path.
func Load(path string) (*Rules, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	rs, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rs.Source = path
	return rs, nil
}

// Parse parses a rules file strictly. The file is one YAML document, a mapping with the single
// key "rules" holding a list (possibly empty) of rules. Each rule is a mapping of the keys host,
// path, methods, role, org, service_accounts and scopes; path and role are required, the others
// optional. The file is invalid when it has an unknown or duplicate key, a key without a value,
// a value of the wrong type, more than one document, an unknown role (roles are spelled None,
// Viewer, Editor or Admin), a path that is not absolute and clean, a host with a port or a
// wildcard, an empty or lower-case method (methods are case-sensitive: write GET), an empty
// list, an entry listed twice, an org that is not a positive integer, or a scope not spelled as
// warden.CheckScope requires (1 to 128 characters of a-z, 0-9 and . _ : / -, starting with a
// letter or a digit).
func Parse(data []byte) (*Rules, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("the file is larger than %d bytes", MaxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New(`the file is empty; write "rules: []" for no rules`)
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("line %d: a second YAML document; the file must hold exactly one", extra.Line)
	}
	root := deref(&doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = deref(root.Content[0])
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the file must be a mapping with the key \"rules\"", root.Line)
	}
	var list *yaml.Node
	err := eachKey(root, func(key string, k, v *yaml.Node) error {
		if key != "rules" {
			return fmt.Errorf("line %d: unknown key %q (the only top-level key is \"rules\")", k.Line, key)
		}
		if v.Kind != yaml.SequenceNode {
			return fmt.Errorf("line %d: rules must be a list", v.Line)
		}
		list = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	if list == nil {
		return nil, errors.New(`the key "rules" is missing; write "rules: []" for no rules`)
	}
	rs := &Rules{Hash: sha256.Sum256(data), list: make([]Rule, 0, len(list.Content))}
	for i, item := range list.Content {
		r, err := parseRule(deref(item))
		if err != nil {
			return nil, fmt.Errorf("rule %d (line %d): %w", i, item.Line, err)
		}
		rs.list = append(rs.list, r)
	}
	return rs, nil
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// eachKey calls fn for each key of a mapping, refusing non-string keys, duplicates, merge keys
// and null values.
func eachKey(m *yaml.Node, fn func(key string, k, v *yaml.Node) error) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			return fmt.Errorf("line %d: keys must be plain names", k.Line)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		seen[k.Value] = true
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			return fmt.Errorf("line %d: %s has no value; leave the key out instead", k.Line, k.Value)
		}
		if err := fn(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func parseRule(n *yaml.Node) (Rule, error) {
	r := Rule{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return r, errors.New("a rule must be a mapping of host, path, methods, role, org, service_accounts and scopes")
	}
	var hasPath, hasRole bool
	err := eachKey(n, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "host":
			r.Host, err = parseHost(v)
		case "path":
			hasPath = true
			r.Path, err = parsePath(v)
		case "methods":
			r.Methods, err = stringList(v, "methods", checkMethod)
		case "role":
			hasRole = true
			r.Role, err = parseRole(v)
		case "org":
			r.Org, err = parseOrg(v)
		case "service_accounts":
			r.ServiceAccounts, err = stringList(v, "service_accounts", checkLogin)
		case "scopes":
			r.Scopes, err = stringList(v, "scopes", warden.CheckScope)
		default:
			return fmt.Errorf("line %d: unknown key %q (rules have host, path, methods, role, org, service_accounts and scopes)", k.Line, key)
		}
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", v.Line, key, err)
		}
		return nil
	})
	switch {
	case err != nil:
		return r, err
	case !hasPath:
		return r, errors.New("path is required")
	case !hasRole:
		return r, errors.New("role is required (None, Viewer, Editor or Admin)")
	}
	return r, nil
}

// str returns a string scalar.
func str(v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		return "", errors.New("must be a string")
	}
	return v.Value, nil
}

func parsePath(v *yaml.Node) (string, error) {
	p, err := str(v)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%q is relative; it must start with /", p)
	}
	if strings.ContainsAny(p, "?#%") {
		return "", fmt.Errorf("%q has a query, a fragment or a percent-escape; write the decoded path", p)
	}
	if clean, err := CleanPath(p); err != nil || clean != p {
		return "", fmt.Errorf("%q is not allowed: %v", p, err)
	}
	return p, nil
}

func parseHost(v *yaml.Node) (string, error) {
	h, err := str(v)
	if err != nil {
		return "", err
	}
	switch {
	case h == "":
		return "", errors.New("is empty; leave the key out to match any host")
	case strings.ContainsAny(h, "/?#@* \t\\"):
		return "", fmt.Errorf("%q is not a host name (no scheme, path or wildcard)", h)
	case strings.HasPrefix(h, "["):
		if !strings.HasSuffix(h, "]") {
			return "", fmt.Errorf("%q must not have a port", h)
		}
		h = h[1 : len(h)-1]
	case strings.Count(h, ":") == 1:
		return "", fmt.Errorf("%q must not have a port: hosts are compared without it", h)
	}
	// One trailing dot (the fully qualified form) is dropped, as it is from request hosts.
	t := strings.TrimSuffix(h, ".")
	if t == "" || strings.HasSuffix(t, ".") {
		return "", fmt.Errorf("%q is not a host name", h)
	}
	return strings.ToLower(t), nil
}

func parseRole(v *yaml.Node) (warden.OrgRole, error) {
	s, err := str(v)
	if err != nil {
		return "", err
	}
	if r := warden.OrgRole(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (None, Viewer, Editor or Admin)", s)
}

func parseOrg(v *yaml.Node) (int64, error) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		return 0, errors.New("must be an org id (a positive integer)")
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive integer", v.Value)
	}
	return n, nil
}

// stringList reads a non-empty list of distinct strings, each checked by check.
func stringList(v *yaml.Node, what string, check func(string) error) ([]string, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, errors.New("must be a list")
	}
	if len(v.Content) == 0 {
		return nil, fmt.Errorf("is empty; leave the key out to match any")
	}
	out := make([]string, 0, len(v.Content))
	for _, item := range v.Content {
		s, err := str(deref(item))
		if err != nil {
			return nil, fmt.Errorf("line %d: entries must be strings", item.Line)
		}
		if err := check(s); err != nil {
			return nil, fmt.Errorf("line %d: %w", item.Line, err)
		}
		for _, prev := range out {
			if prev == s {
				return nil, fmt.Errorf("line %d: %q is listed twice", item.Line, s)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// checkMethod accepts an upper-case method token: letters, digits, '-' and '_'.
func checkMethod(m string) error {
	if m == "" {
		return errors.New("an empty method")
	}
	if strings.ToUpper(m) != m {
		return fmt.Errorf("%q: methods are case-sensitive; write %s", m, strings.ToUpper(m))
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%q is not a method", m)
		}
	}
	return nil
}

func checkLogin(l string) error {
	if strings.TrimSpace(l) == "" || strings.TrimSpace(l) != l {
		return fmt.Errorf("%q is not a login", l)
	}
	return nil
}
