package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mileusna/useragent"
	"github.com/wardenhq/warden"
)

// userProfile is Grafana's UserProfileDTO.
type userProfile struct {
	ID                             int64           `json:"id"`
	UID                            string          `json:"uid"`
	Email                          string          `json:"email"`
	Name                           string          `json:"name"`
	Login                          string          `json:"login"`
	Theme                          string          `json:"theme"`
	OrgID                          int64           `json:"orgId,omitempty"`
	IsGrafanaAdmin                 bool            `json:"isGrafanaAdmin"`
	IsDisabled                     bool            `json:"isDisabled"`
	IsExternal                     bool            `json:"isExternal"`
	IsExternallySynced             bool            `json:"isExternallySynced"`
	IsGrafanaAdminExternallySynced bool            `json:"isGrafanaAdminExternallySynced"`
	AuthLabels                     []string        `json:"authLabels"`
	UpdatedAt                      time.Time       `json:"updatedAt"`
	CreatedAt                      time.Time       `json:"createdAt"`
	AvatarURL                      string          `json:"avatarUrl"`
	AccessControl                  map[string]bool `json:"accessControl,omitempty"`
}

func avatarFor(svc *warden.Service, email string) string {
	if svc.Config().DisableGravatar {
		return "/public/img/user_profile.png"
	}
	return warden.AvatarURL(email)
}

func newUserProfile(svc *warden.Service, u *warden.User) userProfile {
	return userProfile{
		ID: u.ID, UID: u.UID, Email: u.Email, Name: u.Name, Login: u.Login, Theme: u.Theme,
		OrgID: u.OrgID, IsGrafanaAdmin: u.IsAdmin, IsDisabled: u.IsDisabled, AuthLabels: []string{},
		UpdatedAt: u.Updated, CreatedAt: u.Created, AvatarURL: avatarFor(svc, u.Email),
	}
}

// accessControlMap returns the actions p holds on scope as Grafana's {"action": true} map.
func accessControlMap(p *warden.Principal, scope string) map[string]bool {
	m := map[string]bool{}
	for _, a := range p.Permissions.Actions(scope) {
		m[a] = true
	}
	return m
}

// handleUserGet handles "GET /api/user": the caller's profile. A service account gets the
// synthetic profile Grafana's newest versions answer with.
func handleUserGet(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		if !p.IsUser() {
			encode(w, http.StatusOK, userProfile{
				UID: "service-account:" + strconv.FormatInt(p.UserID, 10), Email: p.Login, Name: p.Name,
				Login: p.Login, OrgID: p.OrgID,
			})
			return nil
		}
		u, err := svc.FindUserByID(r.Context(), p.UserID)
		if err != nil {
			return err
		}
		prof := newUserProfile(svc, u)
		if queryBool(r, "accesscontrol") {
			prof.AccessControl = accessControlMap(p, warden.ScopeGlobalUser(u.ID))
		}
		return encode(w, http.StatusOK, prof)
	}
}

type userOrgDTO struct {
	OrgID int64          `json:"orgId"`
	Name  string         `json:"name"`
	Role  warden.OrgRole `json:"role"`
}

func writeUserOrgs(w http.ResponseWriter, r *http.Request, svc *warden.Service, userID int64) error {
	orgs, err := svc.UserOrgs(r.Context(), userID)
	if err != nil {
		return err
	}
	out := make([]userOrgDTO, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, userOrgDTO{OrgID: o.OrgID, Name: o.Name, Role: o.Role})
	}
	return encode(w, http.StatusOK, out)
}

// handleUserOrgs handles "GET /api/user/orgs".
func handleUserOrgs(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return writeUserOrgs(w, r, svc, warden.PrincipalFromContext(r.Context()).UserID)
	}
}

// handleUserUsing handles "POST /api/user/using/{id}": switch the caller's current org.
func handleUserUsing(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, orgID int64) error {
		return reply(w, svc.SetCurrentOrg(r.Context(), warden.PrincipalFromContext(r.Context()).UserID, orgID), "Active organization changed")
	})
}

// handleUserPassword handles "PUT /api/user/password".
func handleUserPassword(svc *warden.Service) handlerFunc {
	type request struct {
		OldPassword string `json:"oldPassword"`
		NewPassword string `json:"newPassword"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		p := warden.PrincipalFromContext(r.Context())
		return reply(w, svc.ChangePassword(r.Context(), p.UserID, req.OldPassword, req.NewPassword), "User password changed")
	}
}

// handleAdminUserCreate handles "POST /api/admin/users".
func handleAdminUserCreate(svc *warden.Service) handlerFunc {
	type request struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Login    string `json:"login"`
		Password string `json:"password"`
		OrgID    int64  `json:"OrgId"`
	}
	type response struct {
		ID      int64  `json:"id"`
		UID     string `json:"uid"`
		Message string `json:"message"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[request](w, r, "bad request data")
		if err == nil && req.Password == "" {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			return err
		}
		u, err := svc.CreateUser(r.Context(), warden.CreateUserInput{Name: req.Name, Email: req.Email,
			Login: req.Login, Password: req.Password, OrgID: req.OrgID})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{ID: u.ID, UID: u.UID, Message: "User created"})
	}
}

// handleUserLookup handles "GET /api/users/lookup?loginOrEmail=…".
func handleUserLookup(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := svc.LookupUser(r.Context(), r.URL.Query().Get("loginOrEmail"))
		if err != nil {
			return err
		}
		// Grafana answers a reduced profile here: uid empty, isDisabled not filled, no avatar.
		prof := newUserProfile(svc, u)
		prof.UID, prof.IsDisabled, prof.AuthLabels, prof.AvatarURL = "", false, nil, ""
		return encode(w, http.StatusOK, prof)
	}
}

// handleUserByID handles "GET /api/users/{id}".
func handleUserByID(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		u, err := svc.FindUserByID(r.Context(), id)
		if err != nil {
			return err
		}
		prof := newUserProfile(svc, u)
		if queryBool(r, "accesscontrol") {
			prof.AccessControl = accessControlMap(warden.PrincipalFromContext(r.Context()), warden.ScopeGlobalUser(u.ID))
		}
		return encode(w, http.StatusOK, prof)
	})
}

// handleUserByIDOrgs handles "GET /api/users/{id}/orgs".
func handleUserByIDOrgs(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		if _, err := svc.FindUserByID(r.Context(), id); err != nil {
			return err
		}
		return writeUserOrgs(w, r, svc, id)
	})
}

// handleAdminUserPermissions handles "PUT /api/admin/users/{id}/permissions".
func handleAdminUserPermissions(svc *warden.Service) handlerFunc {
	type request struct {
		IsGrafanaAdmin bool `json:"isGrafanaAdmin"`
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		return reply(w, svc.SetServerAdmin(r.Context(), id, req.IsGrafanaAdmin), "User permissions updated")
	})
}

// handleAdminUserDisable handles "POST /api/admin/users/{id}/disable" and ".../enable".
func handleAdminUserDisable(svc *warden.Service, disable bool) handlerFunc {
	done := "User enabled"
	if disable {
		done = "User disabled"
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		if err := svc.SetUserDisabled(r.Context(), id, disable); err != nil {
			return err
		}
		return encode(w, http.StatusOK, message{done})
	})
}

// handleAdminUserDelete handles "DELETE /api/admin/users/{id}".
func handleAdminUserDelete(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		return reply(w, svc.DeleteUser(r.Context(), id), "User deleted")
	})
}

// handleAdminUserPassword handles "PUT /api/admin/users/{id}/password".
func handleAdminUserPassword(svc *warden.Service) handlerFunc {
	type request struct {
		Password string `json:"password"`
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		req, err := decode[request](w, r, "bad request data")
		if err == nil && req.Password == "" {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			return err
		}
		return reply(w, svc.SetUserPassword(r.Context(), id, req.Password), "User password updated")
	})
}

// userSearchHit is Grafana's UserSearchHitDTO.
type userSearchHit struct {
	ID            int64     `json:"id"`
	UID           string    `json:"uid"`
	Name          string    `json:"name"`
	Login         string    `json:"login"`
	Email         string    `json:"email"`
	AvatarURL     string    `json:"avatarUrl"`
	IsAdmin       bool      `json:"isAdmin"`
	IsDisabled    bool      `json:"isDisabled"`
	LastSeenAt    time.Time `json:"lastSeenAt"`
	LastSeenAtAge string    `json:"lastSeenAtAge"`
	AuthLabels    []string  `json:"authLabels"`
}

// handleUserSearch handles "GET /api/users" (an array) and "GET /api/users/search" (a page
// object with totalCount).
func handleUserSearch(svc *warden.Service, paged bool) handlerFunc {
	type response struct {
		TotalCount int             `json:"totalCount"`
		Users      []userSearchHit `json:"users"`
		Page       int             `json:"page"`
		PerPage    int             `json:"perPage"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		page, perPage, offset := paging(r)
		list, total, err := svc.SearchUsers(r.Context(), warden.UserFilter{Query: r.URL.Query().Get("query"),
			Sort: r.URL.Query().Get("sort"), Offset: offset, Limit: perPage})
		if err != nil {
			return err
		}
		now := svc.Now()
		hits := make([]userSearchHit, 0, len(list))
		for _, u := range list {
			hits = append(hits, userSearchHit{ID: u.ID, UID: u.UID, Name: u.Name, Login: u.Login, Email: u.Email,
				AvatarURL: avatarFor(svc, u.Email), IsAdmin: u.IsAdmin, IsDisabled: u.IsDisabled,
				LastSeenAt: u.LastSeenAt, LastSeenAtAge: warden.AgeString(u.LastSeenAt, now), AuthLabels: []string{}})
		}
		if !paged {
			return encode(w, http.StatusOK, hits)
		}
		return encode(w, http.StatusOK, response{TotalCount: total, Users: hits, Page: page, PerPage: perPage})
	}
}

type userUpdateRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Login string `json:"login"`
	Theme string `json:"theme"`
}

func writeUserUpdate(w http.ResponseWriter, r *http.Request, svc *warden.Service, id int64) error {
	req, err := decode[userUpdateRequest](w, r, "bad request data")
	if err != nil {
		return err
	}
	return reply(w, svc.UpdateUser(r.Context(), id, warden.UserUpdate{Name: req.Name, Email: req.Email, Login: req.Login, Theme: req.Theme}), "User updated")
}

// handleUserUpdate handles "PUT /api/users/{id}" (server admin).
func handleUserUpdate(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		return writeUserUpdate(w, r, svc, id)
	})
}

// handleUserUpdateSelf handles "PUT /api/user".
func handleUserUpdateSelf(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return writeUserUpdate(w, r, svc, warden.PrincipalFromContext(r.Context()).UserID)
	}
}

// userTokenDTO is Grafana's UserToken of the session routes: one signed-in browser session.
type userTokenDTO struct {
	ID             int64     `json:"id"`
	IsActive       bool      `json:"isActive"`
	ClientIP       string    `json:"clientIp"`
	Device         string    `json:"device"`
	OS             string    `json:"os"`
	OSVersion      string    `json:"osVersion"`
	Browser        string    `json:"browser"`
	BrowserVersion string    `json:"browserVersion"`
	AuthModule     string    `json:"authModule"`
	CreatedAt      time.Time `json:"createdAt"`
	SeenAt         time.Time `json:"seenAt"`
}

// handleAdminUserSessions handles "GET /api/admin/users/{id}/auth-tokens".
func handleAdminUserSessions(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		list, err := svc.UserSessions(r.Context(), id)
		if err != nil {
			return err
		}
		current := warden.PrincipalFromContext(r.Context()).SessionID
		out := make([]userTokenDTO, 0, len(list))
		for _, s := range list {
			ua := useragent.Parse(s.UserAgent)
			device := ua.Device
			if device == "" {
				device = "Other" // what Grafana's parser calls a desktop
			}
			out = append(out, userTokenDTO{ID: s.ID, IsActive: s.ID == current, ClientIP: s.ClientIP,
				Device: device, OS: ua.OS, OSVersion: ua.OSVersion, Browser: ua.Name, BrowserVersion: ua.Version,
				CreatedAt: s.Created.UTC(), SeenAt: s.SeenAt.UTC()})
		}
		return encode(w, http.StatusOK, out)
	})
}

// handleAdminUserLogout handles "POST /api/admin/users/{id}/logout".
func handleAdminUserLogout(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		return reply(w, svc.LogoutUser(r.Context(), id), "User logged out")
	})
}

// handleAdminUserRevokeSession handles "POST /api/admin/users/{id}/revoke-auth-token".
func handleAdminUserRevokeSession(svc *warden.Service) handlerFunc {
	type request struct {
		AuthTokenID int64 `json:"authTokenId"`
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		return reply(w, svc.RevokeUserSession(r.Context(), id, req.AuthTokenID), "User auth token revoked")
	})
}
