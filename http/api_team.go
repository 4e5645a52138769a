package http

import (
	"net/http"
	"strings"

	"github.com/wardenhq/warden"
)

// teamDTO is Grafana's TeamDTO. accessControl has no omitempty: Grafana sends null.
type teamDTO struct {
	ID            int64           `json:"id"`
	UID           string          `json:"uid"`
	OrgID         int64           `json:"orgId"`
	Name          string          `json:"name"`
	Email         string          `json:"email"`
	ExternalUID   string          `json:"externalUID"`
	IsProvisioned bool            `json:"isProvisioned"`
	AvatarURL     string          `json:"avatarUrl"`
	MemberCount   int             `json:"memberCount"`
	Permission    int             `json:"permission"`
	AccessControl map[string]bool `json:"accessControl"`
}

func teamAvatar(svc *warden.Service, t *warden.Team) string {
	if svc.Config().DisableGravatar {
		return "/public/img/user_profile.png"
	}
	if t.Email != "" {
		return warden.AvatarURL(t.Email)
	}
	return warden.NameAvatarURL(t.Name)
}

func newTeamDTO(svc *warden.Service, p *warden.Principal, t *warden.Team, withAC bool) teamDTO {
	d := teamDTO{ID: t.ID, UID: t.UID, OrgID: t.OrgID, Name: t.Name, Email: t.Email,
		AvatarURL: teamAvatar(svc, t), MemberCount: t.MemberCount}
	if withAC {
		d.AccessControl = accessControlMap(p, warden.ScopeTeam(t.ID))
	}
	return d
}

// teamPathID reads the team id of a /api/teams/{id} route; Grafana calls a bad one "teamId".
func teamPathID(r *http.Request) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, warden.Errorf(warden.EINVALID, "teamId is invalid")
	}
	return id, nil
}

// handleTeamCreate handles "POST /api/teams".
func handleTeamCreate(svc *warden.Service) handlerFunc {
	type request struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	type response struct {
		Message string `json:"message"`
		TeamID  int64  `json:"teamId"`
		UID     string `json:"uid"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		req, err := decode[request](w, r, "bad request data")
		if err == nil && strings.TrimSpace(req.Name) == "" {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			return err
		}
		t, err := svc.CreateTeam(r.Context(), req.Name, req.Email)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, response{Message: "Team created", TeamID: t.ID, UID: t.UID})
	}
}

// handleTeamSearch handles "GET /api/teams/search".
func handleTeamSearch(svc *warden.Service) handlerFunc {
	type response struct {
		TotalCount int       `json:"totalCount"`
		Teams      []teamDTO `json:"teams"`
		Page       int       `json:"page"`
		PerPage    int       `json:"perPage"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		page, perPage, offset := paging(r)
		q := r.URL.Query()
		list, total, err := svc.SearchTeams(r.Context(), warden.TeamFilter{Query: q.Get("query"), Name: q.Get("name"),
			Sort: q.Get("sort"), Offset: offset, Limit: perPage})
		if err != nil {
			return err
		}
		p := warden.PrincipalFromContext(r.Context())
		withAC := queryBool(r, "accesscontrol")
		resp := response{TotalCount: total, Teams: make([]teamDTO, 0, len(list)), Page: page, PerPage: perPage}
		for _, t := range list {
			resp.Teams = append(resp.Teams, newTeamDTO(svc, p, t, withAC))
		}
		return encode(w, http.StatusOK, resp)
	}
}

// handleTeamGet handles "GET /api/teams/{id}".
func handleTeamGet(svc *warden.Service) handlerFunc {
	return byTeamID(func(w http.ResponseWriter, r *http.Request, id int64) error {
		t, err := svc.FindTeam(r.Context(), id)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, newTeamDTO(svc, warden.PrincipalFromContext(r.Context()), t, queryBool(r, "accesscontrol")))
	})
}

// handleTeamUpdate handles "PUT /api/teams/{id}".
func handleTeamUpdate(svc *warden.Service) handlerFunc {
	type request struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	return byTeamID(func(w http.ResponseWriter, r *http.Request, id int64) error {
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		return reply(w, svc.UpdateTeam(r.Context(), id, req.Name, req.Email), "Team updated")
	})
}

// handleTeamDelete handles "DELETE /api/teams/{id}".
func handleTeamDelete(svc *warden.Service) handlerFunc {
	return byTeamID(func(w http.ResponseWriter, r *http.Request, id int64) error {
		return reply(w, svc.DeleteTeam(r.Context(), id), "Team deleted")
	})
}

// teamMemberDTO is Grafana's TeamMemberDTO (note the snake-case auth_module).
type teamMemberDTO struct {
	OrgID      int64    `json:"orgId"`
	TeamID     int64    `json:"teamId"`
	TeamUID    string   `json:"teamUID"`
	UserID     int64    `json:"userId"`
	UserUID    string   `json:"userUID"`
	AuthModule string   `json:"auth_module"`
	Email      string   `json:"email"`
	Name       string   `json:"name"`
	Login      string   `json:"login"`
	AvatarURL  string   `json:"avatarUrl"`
	Labels     []string `json:"labels"`
	Permission int      `json:"permission"`
}

// handleTeamMembers handles "GET /api/teams/{id}/members".
func handleTeamMembers(svc *warden.Service) handlerFunc {
	return byTeamID(func(w http.ResponseWriter, r *http.Request, id int64) error {
		list, err := svc.TeamMembers(r.Context(), id)
		if err != nil {
			return err
		}
		out := make([]teamMemberDTO, 0, len(list))
		for _, m := range list {
			out = append(out, teamMemberDTO{OrgID: m.OrgID, TeamID: m.TeamID, TeamUID: m.TeamUID, UserID: m.UserID,
				UserUID: m.UserUID, Email: m.Email, Name: m.Name, Login: m.Login, AvatarURL: avatarFor(svc, m.Email),
				Labels: []string{}, Permission: m.Permission})
		}
		return encode(w, http.StatusOK, out)
	})
}

// handleTeamMemberAdd handles "POST /api/teams/{id}/members".
func handleTeamMemberAdd(svc *warden.Service) handlerFunc {
	type request struct {
		UserID int64 `json:"userId"`
	}
	return byTeamID(func(w http.ResponseWriter, r *http.Request, id int64) error {
		req, err := decode[request](w, r, "bad request data")
		if err == nil && req.UserID == 0 {
			err = warden.Errorf(warden.EINVALID, "bad request data")
		}
		if err != nil {
			return err
		}
		return reply(w, svc.AddTeamMember(r.Context(), id, req.UserID), "Member added to Team")
	})
}

// handleTeamMemberUpdate handles "PUT /api/teams/{id}/members/{userId}".
func handleTeamMemberUpdate(svc *warden.Service) handlerFunc {
	type request struct {
		Permission int `json:"permission"`
	}
	return byTeamID(func(w http.ResponseWriter, r *http.Request, id int64) error {
		userID, err := pathID(r, "userId")
		if err != nil {
			return err
		}
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		return reply(w, svc.UpdateTeamMember(r.Context(), id, userID, req.Permission), "Team member updated")
	})
}

// handleTeamMemberRemove handles "DELETE /api/teams/{id}/members/{userId}".
func handleTeamMemberRemove(svc *warden.Service) handlerFunc {
	return byTeamID(func(w http.ResponseWriter, r *http.Request, id int64) error {
		userID, err := pathID(r, "userId")
		if err != nil {
			return err
		}
		return reply(w, svc.RemoveTeamMember(r.Context(), id, userID), "Team Member removed")
	})
}

// handleUserTeams handles "GET /api/user/teams": the caller's teams in the request's org.
func handleUserTeams(svc *warden.Service) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return writeUserTeams(w, r, svc, warden.PrincipalFromContext(r.Context()).UserID)
	}
}

// handleTeamMembersSet handles "PUT /api/teams/{id}/members": the team's members replaced by
// the users (emails or logins) named in members and admins.
func handleTeamMembersSet(svc *warden.Service) handlerFunc {
	type request struct {
		Members []string `json:"members"`
		Admins  []string `json:"admins"`
	}
	return byTeamID(func(w http.ResponseWriter, r *http.Request, id int64) error {
		req, err := decode[request](w, r, "bad request data")
		if err != nil {
			return err
		}
		return reply(w, svc.SetTeamMemberships(r.Context(), id, req.Members, req.Admins), "Team memberships have been updated")
	})
}

// handleUserByIDTeams handles "GET /api/users/{id}/teams": a user's teams in the request's org.
func handleUserByIDTeams(svc *warden.Service) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		return writeUserTeams(w, r, svc, id)
	})
}

// writeUserTeams answers the teams of the request's org that user id belongs to.
func writeUserTeams(w http.ResponseWriter, r *http.Request, svc *warden.Service, id int64) error {
	list, err := svc.UserTeams(r.Context(), id)
	if err != nil {
		return err
	}
	p := warden.PrincipalFromContext(r.Context())
	out := make([]teamDTO, 0, len(list))
	for _, t := range list {
		out = append(out, newTeamDTO(svc, p, t, false))
	}
	return encode(w, http.StatusOK, out)
}
