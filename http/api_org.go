package http

import (
	"errors"
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

func writeOrg(w http.ResponseWriter, r *http.Request, svc *warden.Service, id int64) error {
	o, err := svc.FindOrgByID(r.Context(), id)
	if err != nil {
		return err
	}
	return encode(w, http.StatusOK, newOrgDetails(o))
}

// handleOrgCurrent handles "GET /api/org": the org the request acts in.
func handleOrgCurrent(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return writeOrg(w, r, svc, warden.PrincipalFromContext(r.Context()).OrgID)
	}
}

// handleOrgGet handles "GET /api/orgs/{orgId}".
func handleOrgGet(svc *warden.Service) handlerFunc {
	return byID("orgId", func(w http.ResponseWriter, r *http.Request, id int64) error {
		return writeOrg(w, r, svc, id)
	})
}

// handleOrgCreate handles "POST /api/orgs".
func handleOrgCreate(svc *warden.Service) handlerFunc {
	type request struct {
		Name string `json:"name"`
	}
	type response struct {
		OrgID   int64  `json:"orgId"`
		Message string `json:"message"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		o, err := svc.CreateOrg(r.Context(), req.Name)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{OrgID: o.ID, Message: "Organization created"})
	}
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
func handleOrgUsers(svc *warden.Service, fromPath bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		orgID, err := targetOrg(r, fromPath)
		if err != nil {
			return err
		}
		limit := queryInt(r, "limit", 0)
		if limit < 0 || limit > 1000 {
			limit = 1000
		}
		list, _, err := svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: orgID, Query: r.URL.Query().Get("query"), Limit: limit})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, orgUserDTOs(svc, p, list, queryBool(r, "accesscontrol")))
	}
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
func handleOrgUserAdd(svc *warden.Service) handlerFunc {
	return handleOrgUserAddIn(svc, func(r *http.Request) (int64, error) { return pathID(r, "orgId") })
}

// handleOrgUserAddIn adds a user to the org orgOf names.
func handleOrgUserAddIn(svc *warden.Service, orgOf func(*http.Request) (int64, error)) handlerFunc {
	type response struct {
		Message string `json:"message"`
		UserID  int64  `json:"userId"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		orgID, err := orgOf(r)
		if err != nil {
			return err
		}
		req, err := decode[orgUserRequest](w, r, "bad request data")
		if err == nil && (req.LoginOrEmail == "" || req.Role == "") {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			return err
		}
		userID, err := svc.AddOrgUser(r.Context(), orgID, req.LoginOrEmail, req.Role)
		var dup *warden.AlreadyMemberError
		if errors.As(err, &dup) {
			return encode(w, http.StatusConflict, response{Message: dup.Error(), UserID: dup.UserID})
		}
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{Message: "User added to organization", UserID: userID})
	}
}

// handleOrgUserUpdate handles "PATCH /api/org/users/{userId}" and
// "PATCH /api/orgs/{orgId}/users/{userId}".
func handleOrgUserUpdate(svc *warden.Service, fromPath bool) handlerFunc {
	type request struct {
		Role warden.OrgRole `json:"role"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		orgID, err := targetOrg(r, fromPath)
		if err != nil {
			return err
		}
		userID, err := pathID(r, "userId")
		if err != nil {
			return err
		}
		req, err := decode[request](w, r, "bad request data")
		if err == nil && req.Role == "" {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			return err
		}
		return reply(w, svc.UpdateOrgUser(r.Context(), orgID, userID, req.Role), "Organization user updated")
	}
}

// handleOrgUserRemove handles "DELETE /api/orgs/{orgId}/users/{userId}": the user is kept even
// when this was its last org.
func handleOrgUserRemove(svc *warden.Service) handlerFunc {
	return byID("orgId", func(w http.ResponseWriter, r *http.Request, orgID int64) error {
		userID, err := pathID(r, "userId")
		if err != nil {
			return err
		}
		if _, err := svc.RemoveOrgUser(r.Context(), orgID, userID, false); err != nil {
			return err
		}
		return encode(w, http.StatusOK, message{"User removed from organization"})
	})
}

// handleUserPermissions handles "GET /api/access-control/user/permissions": every action the
// caller holds in the request's org, with its scopes ("" for unscoped grants).
func handleUserPermissions() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		out := make(map[string][]string, len(p.Permissions))
		for a, scopes := range p.Permissions {
			out[a] = append([]string(nil), scopes...)
		}
		return encode(w, http.StatusOK, out)
	}
}

// handleUserActions handles "GET /api/access-control/user/actions".
func handleUserActions() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		out := make(map[string]bool, len(p.Permissions))
		for a := range p.Permissions {
			out[a] = true
		}
		return encode(w, http.StatusOK, out)
	}
}

type orgSummary struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// handleOrgSearch handles "GET /api/orgs": query is a name prefix, name exact; page is
// 0-based here, unlike every other Grafana listing.
func handleOrgSearch(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
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
			return err
		}
		out := make([]orgSummary, 0, len(list))
		for _, o := range list {
			out = append(out, orgSummary{ID: o.ID, Name: o.Name})
		}
		return encode(w, http.StatusOK, out)
	}
}

// handleOrgUpdate handles "PUT /api/org" (fromPath false) and "PUT /api/orgs/{orgId}".
func handleOrgUpdate(svc *warden.Service, fromPath bool) handlerFunc {
	type request struct {
		Name string `json:"name"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		orgID, err := targetOrg(r, fromPath)
		if err != nil {
			return err
		}
		req, err := decode[request](w, r, "bad request data")
		if err == nil && strings.TrimSpace(req.Name) == "" {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			return err
		}
		return reply(w, svc.UpdateOrg(r.Context(), orgID, req.Name, nil), "Organization updated")
	}
}

// handleOrgAddress handles "PUT /api/org/address" and "PUT /api/orgs/{orgId}/address". The
// request spells zipcode in lower case; responses say zipCode.
func handleOrgAddress(svc *warden.Service, fromPath bool) handlerFunc {
	type request struct {
		Address1 string `json:"address1"`
		Address2 string `json:"address2"`
		City     string `json:"city"`
		ZipCode  string `json:"zipcode"`
		State    string `json:"state"`
		Country  string `json:"country"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		orgID, err := targetOrg(r, fromPath)
		if err != nil {
			return err
		}
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		addr := warden.Address{Address1: req.Address1, Address2: req.Address2, City: req.City, ZipCode: req.ZipCode,
			State: req.State, Country: req.Country}
		return reply(w, svc.UpdateOrg(r.Context(), orgID, "", &addr), "Address updated")
	}
}

// handleOrgDelete handles "DELETE /api/orgs/{orgId}".
func handleOrgDelete(svc *warden.Service) handlerFunc {
	return byID("orgId", func(w http.ResponseWriter, r *http.Request, orgID int64) error {
		return reply(w, svc.DeleteOrg(r.Context(), orgID), "Organization deleted")
	})
}

// handleOrgUserAddCurrent handles "POST /api/org/users": add a user to the request's org.
func handleOrgUserAddCurrent(svc *warden.Service) handlerFunc {
	return handleOrgUserAddIn(svc, func(r *http.Request) (int64, error) {
		return warden.PrincipalFromContext(r.Context()).OrgID, nil
	})
}

// handleOrgUserRemoveCurrent handles "DELETE /api/org/users/{userId}": a user left without
// any org is deleted, as Grafana does on this route.
func handleOrgUserRemoveCurrent(svc *warden.Service) handlerFunc {
	return byID("userId", func(w http.ResponseWriter, r *http.Request, userID int64) error {
		deleted, err := svc.RemoveOrgUser(r.Context(), warden.PrincipalFromContext(r.Context()).OrgID, userID, true)
		if err != nil {
			return err
		}
		if deleted {
			return encode(w, http.StatusOK, message{"User deleted"})
		}
		return encode(w, http.StatusOK, message{"User removed from organization"})
	})
}

// handleOrgUserLookup handles "GET /api/org/users/lookup": a short list for pickers.
func handleOrgUserLookup(svc *warden.Service) handlerFunc {
	type item struct {
		UserID    int64  `json:"userId"`
		UID       string `json:"uid"`
		Login     string `json:"login"`
		AvatarURL string `json:"avatarUrl"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		limit := queryInt(r, "limit", 0)
		if limit <= 0 || limit > 1000 {
			limit = 1000
		}
		list, _, err := svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: warden.PrincipalFromContext(r.Context()).OrgID,
			Query: r.URL.Query().Get("query"), Limit: limit})
		if err != nil {
			return err
		}
		out := make([]item, 0, len(list))
		for _, m := range list {
			out = append(out, item{UserID: m.UserID, UID: m.UID, Login: m.Login, AvatarURL: avatarFor(svc, m.Email)})
		}
		return encode(w, http.StatusOK, out)
	}
}

// handleOrgUserSearch handles "GET /api/org/users/search" and "GET /api/orgs/{orgId}/users/search".
func handleOrgUserSearch(svc *warden.Service, fromPath bool) handlerFunc {
	type response struct {
		TotalCount int          `json:"totalCount"`
		OrgUsers   []orgUserDTO `json:"orgUsers"`
		Page       int          `json:"page"`
		PerPage    int          `json:"perPage"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		orgID, err := targetOrg(r, fromPath)
		if err != nil {
			return err
		}
		page, perPage, offset := paging(r)
		list, total, err := svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: orgID, Query: r.URL.Query().Get("query"),
			Offset: offset, Limit: perPage})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{TotalCount: total, OrgUsers: orgUserDTOs(svc, p, list, queryBool(r, "accesscontrol")),
			Page: page, PerPage: perPage})
	}
}

// targetOrg returns the org a route acts on: {orgId} of the /api/orgs/{orgId}/… routes
// (fromPath), else the org the request acts in.
func targetOrg(r *http.Request, fromPath bool) (int64, error) {
	if fromPath {
		return pathID(r, "orgId")
	}
	return warden.PrincipalFromContext(r.Context()).OrgID, nil
}

// handleOrgByName handles "GET /api/orgs/name/{name}".
func handleOrgByName(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := svc.FindOrgByName(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, newOrgDetails(o))
	}
}
