package http

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

// Token restrictions in the web UI (issue 18): the form fields read into lists, the token
// form's Advanced part, the token table and its summary, and the restrictions page.

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":                                       nil,
		"   \n\t ":                               nil,
		"orders:read orders:write":               {"orders:read", "orders:write"},
		"orders:read,orders:write":               {"orders:read", "orders:write"},
		" orders:read ,\r\n orders:write ,, ":    {"orders:read", "orders:write"},
		"10.0.0.0/8\n192.0.2.7\r\n2001:db8::/32": {"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"},
		"10.0.0.0/8; 192.0.2.0/24":               {"10.0.0.0/8", "192.0.2.0/24"},
	} {
		if got := splitList(in); !slices.Equal(got, want) {
			t.Errorf("splitList(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReadRestrictions: a posted form, its fields as typed, and what ParseTokenRestrictions
// makes of them.
func TestReadRestrictions(t *testing.T) {
	form := url.Values{"role": {" Viewer "}, "scopes": {"orders:read, orders:write"}, "allowedCidrs": {"10.0.0.0/8\r\n192.0.2.7"}}
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	in := readRestrictions(r)
	if want := (restrictionsInput{Role: "Viewer", Scopes: "orders:read, orders:write", CIDRs: "10.0.0.0/8\r\n192.0.2.7"}); in != want {
		t.Fatalf("readRestrictions = %+v, want %+v", in, want)
	}
	got, err := in.parse()
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != warden.RoleViewer || !slices.Equal(got.Scopes, []string{"orders:read", "orders:write"}) ||
		!slices.Equal(got.CIDRStrings(), []string{"10.0.0.0/8", "192.0.2.7/32"}) {
		t.Fatalf("parsed = %+v", got)
	}
	if back := inputOf(got); back != (restrictionsInput{Role: "Viewer", Scopes: "orders:read orders:write", CIDRs: "10.0.0.0/8\n192.0.2.7/32"}) {
		t.Fatalf("inputOf = %+v", back)
	}
	if empty, err := (restrictionsInput{}).parse(); err != nil || !empty.IsZero() {
		t.Fatalf("empty fields = %+v, %v; want no restrictions", empty, err)
	}

	// Each field's mistake is worded with the field's label and marks that field.
	for _, c := range []struct {
		in           restrictionsInput
		prefix, mark string
	}{
		{restrictionsInput{Role: "Owner"}, "Role: ", "role"},
		{restrictionsInput{Scopes: "Orders:Read"}, "Scopes: ", "scopes"},
		{restrictionsInput{CIDRs: "10.0.0.300/8"}, "Allowed address ranges: ", "cidrs"},
		{restrictionsInput{CIDRs: "10.0.0.1/8"}, "Allowed address ranges: ", "cidrs"},
	} {
		_, err := c.in.parse()
		msg := plainError(err)
		if !strings.HasPrefix(msg, c.prefix) || !strings.HasSuffix(msg, ".") || invalidRestriction(msg) != c.mark {
			t.Errorf("%+v: message %q (marks %q), want %q… marking %s", c.in, msg, invalidRestriction(msg), c.prefix, c.mark)
		}
	}
	if got := invalidRestriction("Display name is required"); got != "" {
		t.Errorf("a name error marks %q", got)
	}
}

// TestLimitFieldsRoles: the role cap offers no cap and the roles up to the account's; a cap
// above it is kept (and said to be above) when it is the one chosen.
func TestLimitFieldsRoles(t *testing.T) {
	labels := func(f limitFields) []string {
		var out []string
		for _, c := range f.Roles {
			s := c.Value + "=" + c.Label
			if c.Chosen {
				s += "*"
			}
			out = append(out, s)
		}
		return out
	}
	for _, c := range []struct {
		account warden.OrgRole
		role    string
		want    []string
	}{
		{warden.RoleEditor, "", []string{"=Same as the service account*", "None=None", "Viewer=Viewer", "Editor=Editor"}},
		{warden.RoleEditor, "viewer", []string{"=Same as the service account", "None=None", "Viewer=Viewer*", "Editor=Editor"}},
		{warden.RoleNone, "", []string{"=Same as the service account*", "None=None"}},
		{warden.RoleAdmin, "Admin", []string{"=Same as the service account", "None=None", "Viewer=Viewer", "Editor=Editor", "Admin=Admin*"}},
		{warden.RoleViewer, "Admin", []string{"=Same as the service account", "None=None", "Viewer=Viewer", "Admin=Admin (above the service account's role)*"}},
	} {
		if got := labels(newLimitFields(c.account, restrictionsInput{Role: c.role}, "")); !slices.Equal(got, c.want) {
			t.Errorf("account %s, role %q: choices %q, want %q", c.account, c.role, got, c.want)
		}
	}
	if f := newLimitFields(warden.RoleAdmin, restrictionsInput{}, ""); f.Open() {
		t.Error("the Advanced part of an empty form starts open")
	}
	if f := newLimitFields(warden.RoleAdmin, restrictionsInput{CIDRs: "10.0.0.0/8"}, ""); !f.Open() {
		t.Error("the Advanced part holding a range starts closed")
	}
	if f := newLimitFields(warden.RoleAdmin, restrictionsInput{}, "Role: x"); !f.Open() || f.Invalid != "role" {
		t.Errorf("after a role error: open %v, invalid %q", f.Open(), f.Invalid)
	}
}

func TestRestrictionsTextAndSummary(t *testing.T) {
	r, err := warden.ParseTokenRestrictions("Viewer", []string{"orders:read", "orders:write"}, []string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := restrictionsText(r), "Role: Viewer · Scopes: orders:read, orders:write · From: 10.0.0.0/8"; got != want {
		t.Errorf("restrictionsText = %q, want %q", got, want)
	}
	if got := restrictionsText(warden.TokenRestrictions{}); got != "" {
		t.Errorf("no restrictions: %q", got)
	}
	only, _ := warden.ParseTokenRestrictions("", nil, []string{"192.0.2.7", "2001:db8::/32"})
	if got, want := restrictionsText(only), "From: 192.0.2.7/32, 2001:db8::/32"; got != want {
		t.Errorf("ranges only: %q, want %q", got, want)
	}
	many := make([]string, 12)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i+1)
	}
	for _, c := range []struct {
		names []string
		total int
		want  string
	}{
		{nil, 5, ""},
		{[]string{"deploy"}, 1, "1 of 1 token is restricted: deploy"},
		{[]string{"deploy"}, 3, "1 of 3 tokens is restricted: deploy"},
		{[]string{"deploy", "ci"}, 5, "2 of 5 tokens are restricted: deploy, ci"},
		{many, 20, "12 of 20 tokens are restricted: t1, t2, t3, t4, t5, t6, t7, t8, t9, t10 and 2 more"},
	} {
		if got := restrictedSummary(c.names, c.total); got != c.want {
			t.Errorf("restrictedSummary(%q, %d) = %q, want %q", c.names, c.total, got, c.want)
		}
	}
}

// utrEnv is a server with the admin signed in and an Editor service account.
type utrEnv struct {
	*testEnv
	session string
	ctx     context.Context // the admin's, in org 1
	sa      *warden.ServiceAccount
}

func newUTREnv(t *testing.T) *utrEnv {
	t.Helper()
	env := newTestEnv(t, nil)
	ctx := context.Background()
	u, err := env.svc.LookupUser(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.svc.UserPrincipal(ctx, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx = warden.NewContextWithPrincipal(ctx, p)
	role := warden.RoleEditor
	sa, err := env.svc.CreateServiceAccount(ctx, "deployer", &role, false)
	if err != nil {
		t.Fatal(err)
	}
	return &utrEnv{testEnv: env, session: env.session(t, "admin", "admin"), ctx: ctx, sa: sa}
}

// get loads a page as the admin.
func (e *utrEnv) get(t *testing.T, path string, opts ...reqOption) *httptest.ResponseRecorder {
	t.Helper()
	return e.do(t, "GET", path, nil, append([]reqOption{withCookie(SessionCookie, e.session)}, opts...)...)
}

// post sends a form as a browser without JavaScript does, CSRF field included.
func (e *utrEnv) post(t *testing.T, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	form.Set("csrf", csrfFor(e.session))
	return e.do(t, "POST", path, strings.NewReader(form.Encode()), withCookie(SessionCookie, e.session),
		withHeader("Origin", "http://example.com"), withHeader("Content-Type", "application/x-www-form-urlencoded"))
}

// flash follows a redirect and returns the message the page shows.
func (e *utrEnv) flash(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var opts []reqOption
	for _, c := range w.Result().Cookies() {
		if c.Name == "warden_flash" {
			opts = append(opts, withCookie(c.Name, c.Value))
		}
	}
	page := e.get(t, w.Header().Get("Location"), opts...)
	body := html.UnescapeString(page.Body.String())
	i := strings.Index(body, `<div class="flash" role="status">`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(`<div class="flash" role="status">`):]
	return rest[:strings.Index(rest, "</div>")]
}

// token returns the account's token by name, as the service holds it.
func (e *utrEnv) token(t *testing.T, name string) *warden.Token {
	t.Helper()
	list, err := e.svc.ListTokens(e.ctx, e.sa.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range list {
		if tk.Name == name {
			return tk
		}
	}
	return nil
}

// TestUITokenCreate_Restrictions: the token form (without JavaScript) with the Advanced part:
// the restrictions are given to the new token; a mistake shows the form again (400) with the
// message and everything as typed, the Advanced part open and the field marked; a role cap
// above the account's is refused with the service's reason.
func TestUITokenCreate_Restrictions(t *testing.T) {
	t.Parallel()
	e := newUTREnv(t)
	account := saURL(e.sa.ID)

	page := e.get(t, account)
	if page.Code != http.StatusOK {
		t.Fatalf("account page: %d", page.Code)
	}
	body := page.Body.String()
	for _, want := range []string{
		`<details class="advanced" id="token-advanced">`, `<summary>Advanced</summary>`,
		`<label for="token-role">Role</label>`, `<select id="token-role" name="role" aria-describedby="token-role-hint">`,
		`<option value="" selected>Same as the service account</option><option value="None">None</option><option value="Viewer">Viewer</option><option value="Editor">Editor</option>`,
		`<label for="token-scopes">Scopes</label>`, `aria-describedby="token-scopes-hint"`, `e.g. orders:read orders:write`,
		`<label for="token-cidrs">Allowed address ranges</label>`, `<textarea id="token-cidrs" name="allowedCidrs"`, `aria-describedby="token-cidrs-hint"`, `e.g. 10.0.0.0/8`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the token form lacks %s", want)
		}
	}
	if strings.Contains(body, `value="Admin"`) {
		t.Error("an Editor account's token form offers an Admin cap")
	}
	if strings.Contains(body, "tokens-restricted") {
		t.Error("a summary of restricted tokens without tokens")
	}

	form := func(name, role, scopes, cidrs string) url.Values {
		return url.Values{"name": {name}, "expiration": {"never"}, "nonce": {newNonce()}, "role": {role}, "scopes": {scopes}, "allowedCidrs": {cidrs}}
	}
	w := e.post(t, account+"/tokens", form("deploy", "Viewer", "orders:read orders:write", "10.0.0.0/8\r\n192.0.2.7"))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="created-token"`) {
		t.Fatalf("create: %d %.500s", w.Code, w.Body)
	}
	tk := e.token(t, "deploy")
	if tk == nil || tk.Restrictions.Role != warden.RoleViewer || !slices.Equal(tk.Restrictions.Scopes, []string{"orders:read", "orders:write"}) ||
		!slices.Equal(tk.Restrictions.CIDRStrings(), []string{"10.0.0.0/8", "192.0.2.7/32"}) {
		t.Fatalf("the new token: %+v", tk)
	}
	// The page that shows it lists it with its restrictions, and says it is restricted.
	shown := html.UnescapeString(w.Body.String())
	if !strings.Contains(shown, `<td>deploy<span class="restrictions">Role: Viewer · Scopes: orders:read, orders:write · From: 10.0.0.0/8, 192.0.2.7/32</span></td>`) {
		t.Errorf("the token table does not show the restrictions:\n%s", shown)
	}
	if !strings.Contains(shown, `id="tokens-restricted">1 of 1 token is restricted: deploy</p>`) {
		t.Error("no summary of the restricted tokens")
	}

	// Mistakes: the form again, as typed.
	for _, c := range []struct {
		what                string
		role, scopes, cidrs string
		msg, marked         string
	}{
		{"a bad range", "Viewer", "orders:read, orders:write", "10.0.0.0/8\n10.0.0.300/8",
			`Allowed address ranges: "10.0.0.300/8" is not an IP address or a CIDR range`, "token-cidrs"},
		{"a bad scope", "", "Orders:Read", "", `Scopes: "Orders:Read" is not a scope`, "token-scopes"},
		{"a cap above the account's role", "Admin", "", "192.0.2.0/24",
			"Role: Admin is above the service account's role (Editor); a token's role can only narrow its account's.", "token-role"},
	} {
		w := e.post(t, account+"/tokens", form("second", c.role, c.scopes, c.cidrs))
		b := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusBadRequest || !strings.Contains(b, `<div class="alert error" role="alert" id="token-error" data-token-error>`+c.msg) {
			t.Errorf("%s: %d, want 400 and %q:\n%.3000s", c.what, w.Code, c.msg, b)
			continue
		}
		for _, want := range []string{
			`<details class="advanced" id="token-advanced" open>`,
			`id="token-name" name="name" type="text" required autocomplete="off" value="second"`,
			`value="` + c.scopes + `"`,
			`>` + c.cidrs + `</textarea>`,
		} {
			if !strings.Contains(b, want) {
				t.Errorf("%s: the form again lacks %s", c.what, want)
			}
		}
		if c.role != "" && !strings.Contains(b, `<option value="`+c.role+`" selected>`) {
			t.Errorf("%s: role %s not kept", c.what, c.role)
		}
		for _, id := range []string{"token-role", "token-scopes", "token-cidrs"} {
			tag := utrTag(b, id)
			marked := strings.Contains(tag, `aria-invalid="true"`) && strings.Contains(tag, ` token-error"`)
			if marked != (id == c.marked) {
				t.Errorf("%s: %s marked invalid (and described by the error): %v; tag %s", c.what, id, marked, tag)
			}
		}
		if e.token(t, "second") != nil {
			t.Fatalf("%s: a token was made", c.what)
		}
	}
}

// TestUITokenRestrictionsPage: the restrictions page shows a token's restrictions; Save
// replaces them, the account's page says so and the service holds the new ones; a mistake
// or a cap above the account's role shows the page again with the message; emptied, the token
// has none.
func TestUITokenRestrictionsPage(t *testing.T) {
	t.Parallel()
	e := newUTREnv(t)
	limits, err := warden.ParseTokenRestrictions("Viewer", []string{"orders:read"}, []string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	tk, _, err := e.svc.IssueToken(e.ctx, e.sa.ID, "deploy", 0, limits)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.IssueToken(e.ctx, e.sa.ID, "plain", 0, warden.TokenRestrictions{}); err != nil {
		t.Fatal(err)
	}
	account := saURL(e.sa.ID)
	path := restrictURL(e.sa.ID, tk.ID)

	// The account's page links to it and counts the restricted token.
	b := html.UnescapeString(e.get(t, account).Body.String())
	if !strings.Contains(b, `href="`+path+`" aria-label="Edit restrictions of service account token deploy"`) {
		t.Error("the token row has no link to its restrictions")
	}
	if !strings.Contains(b, "1 of 2 tokens is restricted: deploy") {
		t.Error("the summary does not name the restricted token")
	}

	pg := e.get(t, path)
	b = html.UnescapeString(pg.Body.String())
	if pg.Code != http.StatusOK {
		t.Fatalf("page: %d", pg.Code)
	}
	for _, want := range []string{"<h1>Token restrictions</h1>", `<option value="Viewer" selected>Viewer</option>`,
		`value="orders:read"`, ">10.0.0.0/8\n192.0.2.7/32</textarea>", `<button type="submit" class="primary">Save restrictions</button>`,
		`<a class="button ghost" href="` + account + `">Cancel</a>`} {
		if !strings.Contains(b, want) {
			t.Errorf("the restrictions page lacks %q", want)
		}
	}

	// Save.
	w := e.post(t, path, url.Values{"role": {"None"}, "scopes": {"orders:read\norders:write"}, "allowedCidrs": {"192.0.2.0/24"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != account {
		t.Fatalf("save: %d Location %q", w.Code, w.Header().Get("Location"))
	}
	if got := e.flash(t, w); got != "Restrictions of token deploy saved." {
		t.Errorf("flash = %q", got)
	}
	got := e.token(t, "deploy").Restrictions
	if got.Role != warden.RoleNone || !slices.Equal(got.Scopes, []string{"orders:read", "orders:write"}) || !slices.Equal(got.CIDRStrings(), []string{"192.0.2.0/24"}) {
		t.Fatalf("after saving: %+v", got)
	}

	// Refused: the page again, as typed, nothing changed.
	for _, c := range []struct {
		what, role, cidrs, msg string
	}{
		{"a cap above the account's role", "Admin", "192.0.2.0/24", "Role: Admin is above the service account's role (Editor); a token's role can only narrow its account's."},
		{"a bad range", "Viewer", "192.0.2.0/24, nowhere", `Allowed address ranges: "nowhere" is not an IP address or a CIDR range`},
	} {
		w := e.post(t, path, url.Values{"role": {c.role}, "scopes": {"orders:read"}, "allowedCidrs": {c.cidrs}})
		b := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusBadRequest || !strings.Contains(b, `id="token-error">`+c.msg) {
			t.Errorf("%s: %d, want 400 with %q:\n%.3000s", c.what, w.Code, c.msg, b)
		}
		if !strings.Contains(b, `value="orders:read"`) || !strings.Contains(b, `>`+c.cidrs+`</textarea>`) || !strings.Contains(b, `<option value="`+c.role+``) {
			t.Errorf("%s: the page again does not keep the form", c.what)
		}
		if now := e.token(t, "deploy").Restrictions; !reflect.DeepEqual(now, got) {
			t.Errorf("%s: restrictions changed to %+v", c.what, now)
		}
	}

	// A cap the account's role has since fallen below is shown, and kept by a Save that
	// leaves it.
	if _, err := e.svc.UpdateTokenRestrictions(e.ctx, e.sa.ID, tk.ID, warden.TokenRestrictionsUpdate{Role: ptr("Editor")}); err != nil {
		t.Fatal(err)
	}
	viewer := warden.RoleViewer
	if _, err := e.svc.UpdateServiceAccount(e.ctx, e.sa.ID, warden.ServiceAccountUpdate{Role: &viewer}); err != nil {
		t.Fatal(err)
	}
	b = html.UnescapeString(e.get(t, path).Body.String())
	if !strings.Contains(b, `<option value="Editor" selected>Editor (above the service account's role)</option>`) {
		t.Errorf("the page does not show the cap above the account's role:\n%s", b)
	}
	if w := e.post(t, path, url.Values{"role": {"Editor"}, "scopes": {""}, "allowedCidrs": {"192.0.2.0/24"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("saving with the old cap: %d %.2000s", w.Code, w.Body)
	}
	if now := e.token(t, "deploy").Restrictions; now.Role != warden.RoleEditor || len(now.Scopes) != 0 {
		t.Fatalf("after saving with the old cap: %+v", now)
	}

	// Emptied: no restrictions, and the page says so.
	w = e.post(t, path, url.Values{"role": {""}, "scopes": {""}, "allowedCidrs": {" \r\n"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("emptied: %d %.2000s", w.Code, w.Body)
	}
	if got := e.flash(t, w); got != "Token deploy has no restrictions now." {
		t.Errorf("flash = %q", got)
	}
	if now := e.token(t, "deploy").Restrictions; !now.IsZero() {
		t.Fatalf("after emptying: %+v", now)
	}
	if b := e.get(t, account).Body.String(); strings.Contains(b, "tokens-restricted") || strings.Contains(b, `class="restrictions"`) {
		t.Error("the account's page still shows restrictions")
	}

	// Another account's path, an unknown token: 404.
	if w := e.get(t, restrictURL(e.sa.ID, 99999)); w.Code != http.StatusNotFound {
		t.Errorf("unknown token: %d", w.Code)
	}
	if w := e.post(t, restrictURL(e.sa.ID, 99999), url.Values{"scopes": {"a"}}); w.Code != http.StatusNotFound {
		t.Errorf("unknown token, posted: %d", w.Code)
	}
}

func ptr[T any](v T) *T { return &v }

// utrTag returns the opening tag of the element with the id in page.
func utrTag(page, id string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(page[:i], "<")
	return page[start : i+strings.Index(page[i:], ">")+1]
}
