package http

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

type addressDTO struct {
	Address1 string `json:"address1"`
	Address2 string `json:"address2"`
	City     string `json:"city"`
	ZipCode  string `json:"zipCode"`
	State    string `json:"state"`
	Country  string `json:"country"`
}

// orgDetails is Grafana's OrgDetailsDTO.
type orgDetails struct {
	ID      int64      `json:"id"`
	Name    string     `json:"name"`
	Address addressDTO `json:"address"`
}

func newOrgDetails(o *warden.Org) orgDetails {
	a := o.Address
	return orgDetails{ID: o.ID, Name: o.Name, Address: addressDTO{a.Address1, a.Address2, a.City, a.ZipCode, a.State, a.Country}}
}

func writeOrg(w http.ResponseWriter, r *http.Request, logger *slog.Logger, svc *warden.Service, id int64) {
	o, err := svc.FindOrgByID(r.Context(), id)
	if err != nil {
		writeError(w, r, logger, err)
		return
	}
	encode(w, http.StatusOK, newOrgDetails(o))
}

// handleOrgCurrent handles "GET /api/org": the org the request acts in.
func handleOrgCurrent(logger *slog.Logger, svc *warden.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeOrg(w, r, logger, svc, warden.PrincipalFromContext(r.Context()).OrgID)
	})
}

// handleOrgGet handles "GET /api/orgs/{orgId}".
func handleOrgGet(logger *slog.Logger, svc *warden.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "orgId")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		writeOrg(w, r, logger, svc, id)
	})
}

// handleOrgCreate handles "POST /api/orgs".
func handleOrgCreate(logger *slog.Logger, svc *warden.Service) http.Handler {
	type request struct {
		Name string `json:"name"`
	}
	type response struct {
		OrgID   int64  `json:"orgId"`
		Message string `json:"message"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		o, err := svc.CreateOrg(r.Context(), req.Name)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, response{OrgID: o.ID, Message: "Organization created"})
	})
}

// orgUserDTO is Grafana's OrgUserDTO.
type orgUserDTO struct {
	OrgID              int64           `json:"orgId"`
	UserID             int64           `json:"userId"`
	UID                string          `json:"uid"`
	Email              string          `json:"email"`
	Name               string          `json:"name"`
	AvatarURL          string          `json:"avatarUrl"`
	Login              string          `json:"login"`
	Role               warden.OrgRole  `json:"role"`
	LastSeenAt         time.Time       `json:"lastSeenAt"`
	LastSeenAtAge      string          `json:"lastSeenAtAge"`
	AccessControl      map[string]bool `json:"accessControl,omitempty"`
	IsDisabled         bool            `json:"isDisabled"`
	AuthLabels         []string        `json:"authLabels"`
	IsExternallySynced bool            `json:"isExternallySynced"`
	IsProvisioned      bool            `json:"isProvisioned"`
}

// handleOrgUsers handles "GET /api/org/users" and "GET /api/orgs/{orgId}/users".
func handleOrgUsers(logger *slog.Logger, svc *warden.Service, fromPath bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		orgID := p.OrgID
		if fromPath {
			var err error
			if orgID, err = pathID(r, "orgId"); err != nil {
				writeError(w, r, logger, err)
				return
			}
		}
		limit := queryInt(r, "limit", 0)
		if limit < 0 || limit > 1000 {
			limit = 1000
		}
		list, _, err := svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: orgID, Query: r.URL.Query().Get("query"), Limit: limit})
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, orgUserDTOs(svc, p, list, queryBool(r, "accesscontrol")))
	})
}

// orgUserDTOs renders org members; accessControl maps only when asked for.
func orgUserDTOs(svc *warden.Service, p *warden.Principal, list []*warden.OrgUser, withAC bool) []orgUserDTO {
	now := svc.Now()
	out := make([]orgUserDTO, 0, len(list))
	for _, m := range list {
		d := orgUserDTO{OrgID: m.OrgID, UserID: m.UserID, UID: m.UID, Email: m.Email, Name: m.Name,
			AvatarURL: avatarFor(svc, m.Email), Login: m.Login, Role: m.Role, LastSeenAt: m.LastSeenAt,
			LastSeenAtAge: warden.AgeString(m.LastSeenAt, now), IsDisabled: m.IsDisabled, AuthLabels: []string{}}
		if withAC {
			d.AccessControl = accessControlMap(p, warden.ScopeOrgUser(m.UserID))
		}
		out = append(out, d)
	}
	return out
}

type orgUserRequest struct {
	LoginOrEmail string         `json:"loginOrEmail"`
	Role         warden.OrgRole `json:"role"`
}

// handleOrgUserAdd handles "POST /api/orgs/{orgId}/users".
func handleOrgUserAdd(logger *slog.Logger, svc *warden.Service) http.Handler {
	return handleOrgUserAddIn(logger, svc, func(r *http.Request) (int64, error) { return pathID(r, "orgId") })
}

// handleOrgUserAddIn adds a user to the org orgOf names.
func handleOrgUserAddIn(logger *slog.Logger, svc *warden.Service, orgOf func(*http.Request) (int64, error)) http.Handler {
	type response struct {
		Message string `json:"message"`
		UserID  int64  `json:"userId"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, err := orgOf(r)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		req, err := decode[orgUserRequest](w, r, "bad request data")
		if err == nil && (req.LoginOrEmail == "" || req.Role == "") {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		userID, err := svc.AddOrgUser(r.Context(), orgID, req.LoginOrEmail, req.Role)
		var dup *warden.AlreadyMemberError
		if errors.As(err, &dup) {
			encode(w, http.StatusConflict, response{Message: dup.Error(), UserID: dup.UserID})
			return
		}
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, response{Message: "User added to organization", UserID: userID})
	})
}

// handleOrgUserUpdate handles "PATCH /api/org/users/{userId}" and
// "PATCH /api/orgs/{orgId}/users/{userId}".
func handleOrgUserUpdate(logger *slog.Logger, svc *warden.Service, fromPath bool) http.Handler {
	type request struct {
		Role warden.OrgRole `json:"role"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID := warden.PrincipalFromContext(r.Context()).OrgID
		var err error
		if fromPath {
			if orgID, err = pathID(r, "orgId"); err != nil {
				writeError(w, r, logger, err)
				return
			}
		}
		userID, err := pathID(r, "userId")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		req, err := decode[request](w, r, "bad request data")
		if err == nil && req.Role == "" {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if err := svc.UpdateOrgUser(r.Context(), orgID, userID, req.Role); err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, message{"Organization user updated"})
	})
}

// handleOrgUserRemove handles "DELETE /api/orgs/{orgId}/users/{userId}": the user is kept even
// when this was its last org.
func handleOrgUserRemove(logger *slog.Logger, svc *warden.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, err := pathID(r, "orgId")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		userID, err := pathID(r, "userId")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if _, err := svc.RemoveOrgUser(r.Context(), orgID, userID, false); err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, message{"User removed from organization"})
	})
}

// handleUserPermissions handles "GET /api/access-control/user/permissions": every action the
// caller holds in the request's org, with its scopes ("" for unscoped grants).
func handleUserPermissions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		out := make(map[string][]string, len(p.Permissions))
		for a, scopes := range p.Permissions {
			out[a] = append([]string(nil), scopes...)
		}
		encode(w, http.StatusOK, out)
	})
}

// handleUserActions handles "GET /api/access-control/user/actions".
func handleUserActions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		out := make(map[string]bool, len(p.Permissions))
		for a := range p.Permissions {
			out[a] = true
		}
		encode(w, http.StatusOK, out)
	})
}

type orgSummary struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// handleOrgSearch handles "GET /api/orgs": query is a name prefix, name exact; page is
// 0-based here, unlike every other Grafana listing.
func handleOrgSearch(logger *slog.Logger, svc *warden.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		perPage := queryInt(r, "perpage", 1000)
		if perPage <= 0 || perPage > 1000 {
			perPage = 1000
		}
		page := queryInt(r, "page", 0)
		if page < 0 {
			page = 0
		}
		if page > 1<<30/1000 {
			page = 1 << 30 / 1000
		}
		q := r.URL.Query()
		list, err := svc.SearchOrgs(r.Context(), warden.OrgFilter{Query: q.Get("query"), Name: q.Get("name"),
			Offset: page * perPage, Limit: perPage})
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		out := make([]orgSummary, 0, len(list))
		for _, o := range list {
			out = append(out, orgSummary{ID: o.ID, Name: o.Name})
		}
		encode(w, http.StatusOK, out)
	})
}

// handleOrgUpdate handles "PUT /api/org" (fromPath false) and "PUT /api/orgs/{orgId}".
func handleOrgUpdate(logger *slog.Logger, svc *warden.Service, fromPath bool) http.Handler {
	type request struct {
		Name string `json:"name"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID := warden.PrincipalFromContext(r.Context()).OrgID
		var err error
		if fromPath {
			if orgID, err = pathID(r, "orgId"); err != nil {
				writeError(w, r, logger, err)
				return
			}
		}
		req, err := decode[request](w, r, "bad request data")
		if err == nil && strings.TrimSpace(req.Name) == "" {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if err := svc.UpdateOrg(r.Context(), orgID, req.Name, nil); err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, message{"Organization updated"})
	})
}

// handleOrgAddress handles "PUT /api/org/address" and "PUT /api/orgs/{orgId}/address". The
// request spells zipcode in lower case; responses say zipCode.
func handleOrgAddress(logger *slog.Logger, svc *warden.Service, fromPath bool) http.Handler {
	type request struct {
		Address1 string `json:"address1"`
		Address2 string `json:"address2"`
		City     string `json:"city"`
		ZipCode  string `json:"zipcode"`
		State    string `json:"state"`
		Country  string `json:"country"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID := warden.PrincipalFromContext(r.Context()).OrgID
		var err error
		if fromPath {
			if orgID, err = pathID(r, "orgId"); err != nil {
				writeError(w, r, logger, err)
				return
			}
		}
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		addr := warden.Address{Address1: req.Address1, Address2: req.Address2, City: req.City, ZipCode: req.ZipCode,
			State: req.State, Country: req.Country}
		if err := svc.UpdateOrg(r.Context(), orgID, "", &addr); err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, message{"Address updated"})
	})
}

// handleOrgDelete handles "DELETE /api/orgs/{orgId}".
func handleOrgDelete(logger *slog.Logger, svc *warden.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, err := pathID(r, "orgId")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if err := svc.DeleteOrg(r.Context(), orgID); err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, message{"Organization deleted"})
	})
}

// handleOrgUserAddCurrent handles "POST /api/org/users": add a user to the request's org.
func handleOrgUserAddCurrent(logger *slog.Logger, svc *warden.Service) http.Handler {
	return handleOrgUserAddIn(logger, svc, func(r *http.Request) (int64, error) {
		return warden.PrincipalFromContext(r.Context()).OrgID, nil
	})
}

// handleOrgUserRemoveCurrent handles "DELETE /api/org/users/{userId}": a user left without
// any org is deleted, as Grafana does on this route.
func handleOrgUserRemoveCurrent(logger *slog.Logger, svc *warden.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		userID, err := pathID(r, "userId")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		deleted, err := svc.RemoveOrgUser(r.Context(), warden.PrincipalFromContext(r.Context()).OrgID, userID, true)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if deleted {
			encode(w, http.StatusOK, message{"User deleted"})
			return
		}
		encode(w, http.StatusOK, message{"User removed from organization"})
	})
}

// handleOrgUserLookup handles "GET /api/org/users/lookup": a short list for pickers.
func handleOrgUserLookup(logger *slog.Logger, svc *warden.Service) http.Handler {
	type item struct {
		UserID    int64  `json:"userId"`
		UID       string `json:"uid"`
		Login     string `json:"login"`
		AvatarURL string `json:"avatarUrl"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := queryInt(r, "limit", 0)
		if limit <= 0 || limit > 1000 {
			limit = 1000
		}
		list, _, err := svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: warden.PrincipalFromContext(r.Context()).OrgID,
			Query: r.URL.Query().Get("query"), Limit: limit})
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		out := make([]item, 0, len(list))
		for _, m := range list {
			out = append(out, item{UserID: m.UserID, UID: m.UID, Login: m.Login, AvatarURL: avatarFor(svc, m.Email)})
		}
		encode(w, http.StatusOK, out)
	})
}

// handleOrgUserSearch handles "GET /api/org/users/search" and "GET /api/orgs/{orgId}/users/search".
func handleOrgUserSearch(logger *slog.Logger, svc *warden.Service, fromPath bool) http.Handler {
	type response struct {
		TotalCount int          `json:"totalCount"`
		OrgUsers   []orgUserDTO `json:"orgUsers"`
		Page       int          `json:"page"`
		PerPage    int          `json:"perPage"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		orgID := p.OrgID
		var err error
		if fromPath {
			if orgID, err = pathID(r, "orgId"); err != nil {
				writeError(w, r, logger, err)
				return
			}
		}
		page, perPage, offset := paging(r)
		list, total, err := svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: orgID, Query: r.URL.Query().Get("query"),
			Offset: offset, Limit: perPage})
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, response{TotalCount: total, OrgUsers: orgUserDTOs(svc, p, list, queryBool(r, "accesscontrol")),
			Page: page, PerPage: perPage})
	})
}
