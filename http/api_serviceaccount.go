package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// serviceAccountDTO is Grafana's ServiceAccountDTO (search results and the create response).
type serviceAccountDTO struct {
	ID            int64           `json:"id"`
	UID           string          `json:"uid"`
	Name          string          `json:"name"`
	Login         string          `json:"login"`
	OrgID         int64           `json:"orgId"`
	IsDisabled    bool            `json:"isDisabled"`
	Role          warden.OrgRole  `json:"role"`
	Tokens        int             `json:"tokens"`
	AvatarURL     string          `json:"avatarUrl"`
	AccessControl map[string]bool `json:"accessControl,omitempty"`
}

// serviceAccountProfile is Grafana's ServiceAccountProfileDTO (get, and inside PATCH's reply).
type serviceAccountProfile struct {
	ID            int64           `json:"id"`
	UID           string          `json:"uid"`
	Name          string          `json:"name"`
	Login         string          `json:"login"`
	OrgID         int64           `json:"orgId"`
	IsDisabled    bool            `json:"isDisabled"`
	CreatedAt     time.Time       `json:"createdAt"`
	UpdatedAt     time.Time       `json:"updatedAt"`
	AvatarURL     string          `json:"avatarUrl"`
	Role          warden.OrgRole  `json:"role"`
	Teams         []string        `json:"teams"`
	Tokens        int             `json:"tokens,omitempty"`
	AccessControl map[string]bool `json:"accessControl,omitempty"`
}

func saAvatar(svc *warden.Service, name string) string {
	if svc.Config().DisableGravatar {
		return "/public/img/user_profile.png"
	}
	return warden.NameAvatarURL(name)
}

func newServiceAccountProfile(svc *warden.Service, a *warden.ServiceAccount) serviceAccountProfile {
	return serviceAccountProfile{ID: a.ID, UID: a.UID, Name: a.Name, Login: a.Login, OrgID: a.OrgID,
		IsDisabled: a.IsDisabled, CreatedAt: a.Created, UpdatedAt: a.Updated, AvatarURL: saAvatar(svc, a.Name),
		Role: a.Role, Teams: []string{}, Tokens: a.Tokens}
}

// saAccessControl returns the service-account actions p holds on one account.
func saAccessControl(p *warden.Principal, id int64) map[string]bool {
	return accessControlMap(p, warden.ScopeServiceAccount(id))
}

// handleServiceAccountCreate handles "POST /api/serviceaccounts".
func handleServiceAccountCreate(svc *warden.Service) handlerFunc {
	type request struct {
		Name       string          `json:"name"`
		Role       *warden.OrgRole `json:"role"`
		IsDisabled bool            `json:"isDisabled"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[request](w, r, "Bad request data")
		if err == nil && strings.TrimSpace(req.Name) == "" {
			err = warden.Errorf(warden.EINVALID, "Bad request data")
		}
		if err != nil {
			return err
		}
		a, err := svc.CreateServiceAccount(r.Context(), req.Name, req.Role, req.IsDisabled)
		if err != nil {
			return err
		}
		return encode(w, http.StatusCreated, serviceAccountDTO{ID: a.ID, UID: a.UID, Name: a.Name, Login: a.Login,
			OrgID: a.OrgID, IsDisabled: a.IsDisabled, Role: a.Role, Tokens: 0, AvatarURL: ""})
	}
}

// handleServiceAccountSearch handles "GET /api/serviceaccounts/search".
func handleServiceAccountSearch(svc *warden.Service) handlerFunc {
	type response struct {
		TotalCount      int                 `json:"totalCount"`
		ServiceAccounts []serviceAccountDTO `json:"serviceAccounts"`
		Page            int                 `json:"page"`
		PerPage         int                 `json:"perPage"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		page, perPage, offset := paging(r)
		f := warden.ServiceAccountFilter{Query: r.URL.Query().Get("query"), Offset: offset, Limit: perPage}
		// Grafana's precedence when several filters are set: disabled, then expiredTokens.
		switch {
		case queryBool(r, "disabled"):
			f.Disabled = true
		case queryBool(r, "expiredTokens"):
			f.ExpiredTokensAt = svc.Now()
		}
		list, total, err := svc.SearchServiceAccounts(r.Context(), f)
		if err != nil {
			return err
		}
		p := warden.PrincipalFromContext(r.Context())
		withAC := queryBool(r, "accesscontrol")
		resp := response{TotalCount: total, ServiceAccounts: make([]serviceAccountDTO, 0, len(list)), Page: page, PerPage: perPage}
		for _, a := range list {
			d := serviceAccountDTO{ID: a.ID, UID: a.UID, Name: a.Name, Login: a.Login, OrgID: a.OrgID,
				IsDisabled: a.IsDisabled, Role: a.Role, Tokens: a.Tokens, AvatarURL: saAvatar(svc, a.Name)}
			if withAC {
				d.AccessControl = saAccessControl(p, a.ID)
			}
			resp.ServiceAccounts = append(resp.ServiceAccounts, d)
		}
		return encode(w, http.StatusOK, resp)
	}
}

// handleServiceAccountGet handles "GET /api/serviceaccounts/{id}".
func handleServiceAccountGet(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		a, err := svc.FindServiceAccount(r.Context(), id)
		if err != nil {
			return err
		}
		prof := newServiceAccountProfile(svc, a)
		if queryBool(r, "accesscontrol") {
			prof.AccessControl = saAccessControl(warden.PrincipalFromContext(r.Context()), a.ID)
		}
		return encode(w, http.StatusOK, prof)
	})
}

// handleServiceAccountUpdate handles "PATCH /api/serviceaccounts/{id}".
func handleServiceAccountUpdate(svc *warden.Service) handlerFunc {
	type request struct {
		Name       *string         `json:"name"`
		Role       *warden.OrgRole `json:"role"`
		IsDisabled *bool           `json:"isDisabled"`
	}
	type response struct {
		Message        string                `json:"message"`
		ID             int64                 `json:"id"`
		Name           string                `json:"name"`
		ServiceAccount serviceAccountProfile `json:"serviceaccount"`
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		req, err := decode[request](w, r, "Bad request data")
		if err != nil {
			return err
		}
		a, err := svc.UpdateServiceAccount(r.Context(), id, warden.ServiceAccountUpdate{Name: req.Name, Role: req.Role, IsDisabled: req.IsDisabled})
		if err != nil {
			return err
		}
		prof := newServiceAccountProfile(svc, a)
		prof.Tokens = 0 // Grafana's PATCH reply carries no token count
		if queryBool(r, "accesscontrol") {
			prof.AccessControl = saAccessControl(warden.PrincipalFromContext(r.Context()), a.ID)
		}
		return encode(w, http.StatusOK, response{Message: "Service account updated", ID: a.ID, Name: a.Name, ServiceAccount: prof})
	})
}

// handleServiceAccountDelete handles "DELETE /api/serviceaccounts/{id}".
func handleServiceAccountDelete(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		return reply(w, svc.DeleteServiceAccount(r.Context(), id), "Service account deleted")
	})
}

// tokenDTO is Grafana's TokenDTO, and what Warden adds: who created the token, the address of
// its last use, and its rotation chain (null when none).
type tokenDTO struct {
	ID                     int64            `json:"id"`
	Name                   string           `json:"name"`
	Created                time.Time        `json:"created"`
	LastUsedAt             *time.Time       `json:"lastUsedAt"`
	Expiration             *time.Time       `json:"expiration"`
	SecondsUntilExpiration float64          `json:"secondsUntilExpiration"`
	HasExpired             bool             `json:"hasExpired"`
	IsRevoked              bool             `json:"isRevoked"`
	CreatedBy              *tokenCreatorDTO `json:"createdBy"`
	LastUsedIP             *string          `json:"lastUsedIp"`
	ReplacedBy             *int64           `json:"replacedBy"`
	Replaces               *int64           `json:"replaces"`
	// The token's restrictions, left out when it has none (as Grafana's tokens never do).
	Role         string   `json:"role,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	AllowedCIDRs []string `json:"allowedCidrs,omitempty"`
}

type tokenCreatorDTO struct {
	Kind  string `json:"kind"`
	ID    int64  `json:"id"`
	Login string `json:"login"`
}

// optional is a pointer to v, or nil for v's zero value (JSON null).
func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func newTokenDTO(svc *warden.Service, t *warden.Token, now time.Time) tokenDTO {
	d := tokenDTO{ID: t.ID, Name: t.Name, Created: t.Created, IsRevoked: t.IsRevoked,
		LastUsedIP: optional(t.LastUsedIP), ReplacedBy: optional(t.ReplacedBy), Replaces: optional(t.Replaces),
		Role: string(t.Restrictions.Role), Scopes: t.Restrictions.Scopes, AllowedCIDRs: t.Restrictions.CIDRStrings()}
	if t.CreatedBy.Kind != "" {
		d.CreatedBy = &tokenCreatorDTO{Kind: t.CreatedBy.Kind, ID: t.CreatedBy.ID, Login: t.CreatedBy.Login}
	}
	if !t.LastUsedAt.IsZero() {
		lu := t.LastUsedAt
		d.LastUsedAt = &lu
	}
	if exp := svc.EffectiveExpiry(t); !exp.IsZero() {
		d.Expiration = &exp
		d.HasExpired = exp.Before(now)
		// Grafana reports the countdown only in the last week; further out the UI shows a date.
		if !d.HasExpired && exp.Before(now.Add(7*24*time.Hour)) {
			d.SecondsUntilExpiration = exp.Sub(now).Seconds()
		}
	}
	return d
}

// handleTokenList handles "GET /api/serviceaccounts/{id}/tokens".
func handleTokenList(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		list, err := svc.ListTokens(r.Context(), id)
		if err != nil {
			return err
		}
		now := svc.Now().UTC()
		out := make([]tokenDTO, 0, len(list))
		for _, t := range list {
			out = append(out, newTokenDTO(svc, t, now))
		}
		return encode(w, http.StatusOK, out)
	})
}

// handleTokenIssue handles "POST /api/serviceaccounts/{id}/tokens". Its response is the only
// place the server ever sends a token's plaintext, so it must not be cached anywhere.
func handleTokenIssue(svc *warden.Service) handlerFunc {
	type request struct {
		Name          string `json:"name"`
		SecondsToLive int64  `json:"secondsToLive"`
		// Warden's restrictions; Grafana's clients never send them.
		Role         string   `json:"role"`
		Scopes       []string `json:"scopes"`
		AllowedCIDRs []string `json:"allowedCidrs"`
	}
	type response struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Key  string `json:"key"`
		// The restrictions, echoed when set.
		Role         string   `json:"role,omitempty"`
		Scopes       []string `json:"scopes,omitempty"`
		AllowedCIDRs []string `json:"allowedCidrs,omitempty"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		secretAnswer(w)
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := svc.FindServiceAccount(r.Context(), id); err != nil {
			return err
		}
		req, err := decode[request](w, r, "Bad request data", "role", "scopes", "allowedCidrs")
		if err == nil && strings.TrimSpace(req.Name) == "" {
			err = warden.Errorf(warden.EINVALID, "Bad request data")
		}
		if err != nil {
			return err
		}
		limits, err := warden.ParseTokenRestrictions(req.Role, req.Scopes, req.AllowedCIDRs)
		if err != nil {
			return err
		}
		tk, secret, err := svc.IssueToken(r.Context(), id, req.Name, req.SecondsToLive, limits)
		if err == warden.ErrTokenExpiryLimit {
			// Grafana answers this one refusal in plain text.
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(err.(*warden.Error).Message))
			return nil
		}
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{ID: tk.ID, Name: tk.Name, Key: secret.Reveal(),
			Role: string(limits.Role), Scopes: limits.Scopes, AllowedCIDRs: limits.CIDRStrings()})
	}
}

// handleTokenRestrict handles "PATCH /api/serviceaccounts/{id}/tokens/{tokenId}" (Warden's):
// it changes the token's restrictions. A field left out is kept; null, "" or [] removes that
// restriction.
func handleTokenRestrict(svc *warden.Service) handlerFunc {
	type request struct {
		Role         json.RawMessage `json:"role"`
		Scopes       json.RawMessage `json:"scopes"`
		AllowedCIDRs json.RawMessage `json:"allowedCidrs"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		tokenID, err := tokenPathID(r)
		if err != nil {
			return err
		}
		if _, err := svc.FindServiceAccount(r.Context(), id); err != nil {
			return err
		}
		req, err := decode[request](w, r, "Bad request data")
		if err != nil {
			return err
		}
		var upd warden.TokenRestrictionsUpdate
		if upd.Role, err = optionalField[string]("role", req.Role); err != nil {
			return err
		}
		if upd.Scopes, err = optionalField[[]string]("scopes", req.Scopes); err != nil {
			return err
		}
		if upd.AllowedCIDRs, err = optionalField[[]string]("allowedCidrs", req.AllowedCIDRs); err != nil {
			return err
		}
		tk, err := svc.UpdateTokenRestrictions(r.Context(), id, tokenID, upd)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, newTokenDTO(svc, tk, svc.Now().UTC()))
	}
}

// optionalField reads a field of a partial update: nil when it was left out; its zero value
// for null; a value of the wrong JSON type is an EINVALID naming the field.
func optionalField[T any](name string, raw json.RawMessage) (*T, error) {
	var v T
	if raw == nil {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, typeError(name, reflect.TypeFor[T](), te)
		}
		return nil, warden.Errorf(warden.EINVALID, "%s: %v", name, err)
	}
	return &v, nil
}

// tokenPathID reads the {tokenId} of a token route; Grafana calls a bad one "Token ID is invalid".
func tokenPathID(r *http.Request) (int64, error) {
	id, err := pathID(r, "tokenId")
	if err != nil {
		return 0, warden.Errorf(warden.EINVALID, "Token ID is invalid")
	}
	return id, nil
}

// secretAnswer keeps an answer that carries a token's plaintext out of every cache.
func secretAnswer(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// handleTokenGet handles "GET /api/serviceaccounts/{id}/tokens/{tokenId}" (Warden's).
func handleTokenGet(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		tokenID, err := tokenPathID(r)
		if err != nil {
			return err
		}
		tk, err := svc.FindToken(r.Context(), id, tokenID)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, newTokenDTO(svc, tk, svc.Now().UTC()))
	})
}

// handleTokenRotate handles "POST /api/serviceaccounts/{id}/tokens/{tokenId}/rotate": a new
// token replaces the old one, which keeps working for the grace period. Like token creation,
// its answer is the only place the new token's plaintext is sent.
func handleTokenRotate(svc *warden.Service) handlerFunc {
	type request struct {
		SecondsToLive      *int64 `json:"secondsToLive"`
		GracePeriodSeconds *int64 `json:"gracePeriodSeconds"`
	}
	type response struct {
		ID                     int64      `json:"id"`
		Name                   string     `json:"name"`
		Key                    string     `json:"key"`
		Expiration             *time.Time `json:"expiration"`
		PreviousTokenID        int64      `json:"previousTokenId"`
		PreviousTokenExpiresAt time.Time  `json:"previousTokenExpiresAt"`
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		secretAnswer(w)
		tokenID, err := tokenPathID(r)
		if err != nil {
			return err
		}
		req, err := decode[request](w, r, "Bad request data")
		if err != nil {
			return err
		}
		rot := warden.Rotation{SecondsToLive: req.SecondsToLive}
		if g := req.GracePeriodSeconds; g != nil {
			if *g < 0 || *g > 10*365*86400 {
				return warden.Errorf(warden.EINVALID, "gracePeriodSeconds must be between 0 and %d", 10*365*86400)
			}
			grace := time.Duration(*g) * time.Second
			rot.Grace = &grace
		}
		tk, secret, old, err := svc.RotateToken(r.Context(), id, tokenID, rot)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{ID: tk.ID, Name: tk.Name, Key: secret.Reveal(),
			Expiration: optional(svc.EffectiveExpiry(tk)), PreviousTokenID: old.ID, PreviousTokenExpiresAt: old.Expires})
	})
}

// handleTokensDeleteExpired handles "DELETE /api/serviceaccounts/{id}/tokens?expired=true".
func handleTokensDeleteExpired(svc *warden.Service) handlerFunc {
	type response struct {
		Message string `json:"message"`
		Deleted int    `json:"deleted"`
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		if !queryBool(r, "expired") {
			return warden.Errorf(warden.EINVALID, "Add ?expired=true to delete this service account's expired tokens")
		}
		n, err := svc.DeleteExpiredTokens(r.Context(), id)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{Message: "Expired tokens deleted", Deleted: n})
	})
}

// handleTokenDelete handles "DELETE /api/serviceaccounts/{id}/tokens/{tokenId}".
func handleTokenDelete(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		if _, err := svc.FindServiceAccount(r.Context(), id); err != nil {
			return err
		}
		tokenID, err := tokenPathID(r)
		if err != nil {
			return err
		}
		return reply(w, svc.DeleteToken(r.Context(), id, tokenID), "Service account token deleted")
	})
}

// handleSAPermissionsDescription handles "GET /api/access-control/serviceaccounts/description".
func handleSAPermissionsDescription() handlerFunc {
	type assignments struct {
		Users           bool `json:"users"`
		ServiceAccounts bool `json:"serviceAccounts"`
		Teams           bool `json:"teams"`
		BuiltInRoles    bool `json:"builtInRoles"`
	}
	type response struct {
		Assignments assignments `json:"assignments"`
		Permissions []string    `json:"permissions"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		return encode(w, http.StatusOK, response{Assignments: assignments{Users: true, Teams: true}, Permissions: []string{"Edit", "Admin"}})
	}
}

// resourcePermissionDTO is one entry of Grafana's resource-permission list.
type resourcePermissionDTO struct {
	ID            int64    `json:"id"`
	RoleName      string   `json:"roleName"`
	IsManaged     bool     `json:"isManaged"`
	IsInherited   bool     `json:"isInherited"`
	UserID        int64    `json:"userId,omitempty"`
	UserUID       string   `json:"userUid,omitempty"`
	UserLogin     string   `json:"userLogin,omitempty"`
	UserAvatarURL string   `json:"userAvatarUrl,omitempty"`
	Team          string   `json:"team,omitempty"`
	TeamID        int64    `json:"teamId,omitempty"`
	Actions       []string `json:"actions"`
	Permission    string   `json:"permission"`
}

// handleSAPermissionsList handles "GET /api/access-control/serviceaccounts/{id}".
func handleSAPermissionsList(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		list, err := svc.ServiceAccountPermissions(r.Context(), id)
		if err != nil {
			return err
		}
		out := make([]resourcePermissionDTO, 0, len(list))
		for _, p := range list {
			d := resourcePermissionDTO{ID: p.ID, IsManaged: true, UserID: p.UserID, UserUID: p.UserUID,
				UserLogin: p.UserLogin, TeamID: p.TeamID, Team: p.TeamName, Actions: p.Actions, Permission: string(p.Level)}
			if p.UserID != 0 {
				d.RoleName = "managed:users:" + itoa(p.UserID) + ":permissions"
				d.UserAvatarURL = avatarFor(svc, p.UserEmail)
			} else {
				d.RoleName = "managed:teams:" + itoa(p.TeamID) + ":permissions"
			}
			out = append(out, d)
		}
		return encode(w, http.StatusOK, out)
	})
}

// handleSAPermissionsSet handles "POST /api/access-control/serviceaccounts/{id}/users/{userId}"
// and ".../teams/{teamId}": param names the holder's path value.
func handleSAPermissionsSet(svc *warden.Service, param string) handlerFunc {
	type request struct {
		Permission string `json:"permission"`
	}
	set := svc.SetServiceAccountUserPermission
	if param == "teamId" {
		set = svc.SetServiceAccountTeamPermission
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		holder, err := pathID(r, param)
		if err != nil {
			return err
		}
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		removed, err := set(r.Context(), id, holder, warden.ManagedLevel(req.Permission))
		if err != nil {
			return err
		}
		if removed {
			return encode(w, http.StatusOK, message{"Permission removed"})
		}
		return encode(w, http.StatusOK, message{"Permission updated"})
	})
}

// handleSAPermissionsSetMany handles "POST /api/access-control/serviceaccounts/{id}": several
// grants changed at once, as Grafana's Terraform provider sends them; an entry without a
// permission removes that grant.
func handleSAPermissionsSetMany(svc *warden.Service) handlerFunc {
	type entry struct {
		UserID      int64  `json:"userId"`
		TeamID      int64  `json:"teamId"`
		BuiltInRole string `json:"builtInRole"`
		Permission  string `json:"permission"`
	}
	type request struct {
		Permissions []entry `json:"permissions"`
	}
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		changes := make([]warden.PermissionChange, 0, len(req.Permissions))
		for _, e := range req.Permissions {
			changes = append(changes, warden.PermissionChange{UserID: e.UserID, TeamID: e.TeamID,
				BuiltInRole: e.BuiltInRole, Level: warden.ManagedLevel(e.Permission)})
		}
		return reply(w, svc.SetServiceAccountPermissions(r.Context(), id, changes), "Permissions updated")
	})
}
