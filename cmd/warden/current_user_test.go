package main

// The signed-in caller's own routes (/api/user…): its orgs, switching org, changing its
// password, and what a service-account token sees there.

import (
	"net/http"
	"testing"
)

// POST /api/user/using/{id} switches to an org the caller belongs to; an org it does not
// belong to is refused with 401, an id that is no number with 400.
func TestCurrentUser_SwitchOrg(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "POST", "/api/user/using/1", nil)
	wantBody(t, r, `{"message":"Active organization changed"}`)
	r = ts.admin().expect(t, http.StatusUnauthorized, "POST", "/api/user/using/999", nil)
	wantBody(t, r, `{"message":"Not a valid organization"}`)
	r = ts.admin().expect(t, http.StatusBadRequest, "POST", "/api/user/using/abc", nil)
	wantBody(t, r, `{"message":"id is invalid"}`)
}

func TestCurrentUser_ChangePassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "admin", "newPassword": "newpass1"})
	wantBody(t, r, `{"message":"User password changed"}`)
	wantLoginFailed(t, postLogin(t, ts, "admin", "admin"))
	wantStatus(t, postLogin(t, ts, "admin", "newpass1"), http.StatusOK)
}

// A password change with a wrong old password, or a new one under four characters, is refused
// and the password stays as it was.
func TestCurrentUser_ChangePasswordRefusals(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "nope", "newPassword": "newpass1"})
	wantFields(t, r.JSON(t), map[string]any{"message": "Invalid old password", "messageId": "user.password-missmatch", "statusCode": 400})
	wantStatus(t, postLogin(t, ts, "admin", "admin"), http.StatusOK)
	r = ts.admin().expect(t, http.StatusBadRequest, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "admin", "newPassword": "abc"})
	wantFields(t, r.JSON(t), map[string]any{"message": "New password is too short",
		"messageId": "password.password-policy-too-short", "statusCode": 400})
	wantStatus(t, postLogin(t, ts, "admin", "admin"), http.StatusOK)
}

func TestCurrentUser_ChangePasswordFourCharsAllowed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	r := ts.admin().expect(t, http.StatusOK, "PUT", "/api/user/password",
		map[string]string{"oldPassword": "admin", "newPassword": "abcd"})
	wantBody(t, r, `{"message":"User password changed"}`)
	wantStatus(t, postLogin(t, ts, "admin", "abcd"), http.StatusOK)
}

func TestCurrentUser_PasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	createUserU(t, ts)
	s1 := ts.login(t, "u", "pass")
	s2 := ts.login(t, "u", "pass")
	r := s1.expect(t, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": "pass", "newPassword": "newpass"})
	wantBody(t, r, `{"message":"User password changed"}`)
	wantUnauthorized(t, s1.do(t, "GET", "/api/user", nil))
	wantUnauthorized(t, s2.do(t, "GET", "/api/user", nil))
	// Other users' sessions are untouched.
	a := ts.login(t, "admin", "admin")
	ts.basic("u", "newpass").expect(t, http.StatusOK, "PUT", "/api/user/password", map[string]string{"oldPassword": "newpass", "newPassword": "third"})
	a.expect(t, http.StatusOK, "GET", "/api/user", nil)
	s3 := ts.login(t, "u", "third")
	s3.expect(t, http.StatusOK, "GET", "/api/user", nil)
}

func TestCurrentUser_ServiceAccountTokenProfile(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "Editor")
	key := apiToken(t, ts.admin(), sa, "bot-token")
	r := ts.bearer(key).expect(t, http.StatusOK, "GET", "/api/user", nil)
	wantBody(t, r, `{"id":0,"uid":"service-account:`+itoa64(sa)+`","email":"sa-1-bot","name":"bot","login":"sa-1-bot",`+
		`"theme":"","orgId":1,"isGrafanaAdmin":false,"isDisabled":false,"isExternal":false,"isExternallySynced":false,`+
		`"isGrafanaAdminExternallySynced":false,"authLabels":null,"updatedAt":"0001-01-01T00:00:00Z",`+
		`"createdAt":"0001-01-01T00:00:00Z","avatarUrl":""}`)
	// The Basic form of a token (user api_key) answers the same.
	r2 := ts.basic("api_key", key).expect(t, http.StatusOK, "GET", "/api/user", nil)
	wantBody(t, r2, string(r.Body))
}

func TestCurrentUser_ServiceAccountTokenOnUserRoutesIs304(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sa, _ := apiSA(t, ts.admin(), "bot", "Admin")
	c := ts.bearer(apiToken(t, ts.admin(), sa, "bot-token"))
	for _, rq := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/user/orgs", nil},
		{"GET", "/api/user/teams", nil},
		{"POST", "/api/user/using/1", nil},
		{"PUT", "/api/user/password", map[string]string{"oldPassword": "x", "newPassword": "newpass"}},
		{"PUT", "/api/user", map[string]string{"login": "hijack"}},
	} {
		r := c.do(t, rq.method, rq.path, rq.body)
		if r.Status != http.StatusNotModified || len(r.Body) != 0 {
			t.Fatalf("%s %s with an SA token: status %d body %q, want 304 and no body", rq.method, rq.path, r.Status, r.Body)
		}
	}
	// Nothing changed: the SA keeps its login.
	wantFields(t, c.expect(t, http.StatusOK, "GET", "/api/user", nil).JSON(t), map[string]any{"login": "sa-1-bot"})
}
