package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
)

type usersPageData struct {
	Users     []*warden.OrgUser
	Query     string
	CanAdd    bool
	CanWrite  bool
	CanRemove bool
	MyID      int64
}

// handleUIUsers handles "GET /org/users": the members of the current org.
func (u *ui) handleUIUsers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		q := strings.TrimSpace(r.URL.Query().Get("query"))
		list, _, err := u.svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: p.OrgID, Query: q, Limit: 1000})
		if err != nil {
			u.renderError(w, r, err)
			return
		}
		u.render(w, r, http.StatusOK, "users.html", page{Title: "Users", Active: "users", Data: usersPageData{
			Users: list, Query: q, MyID: p.UserID,
			CanAdd:    p.Permissions.Evaluate(warden.ActionOrgUsersAdd, warden.ScopeUsersAll),
			CanWrite:  p.Permissions.Evaluate(warden.ActionOrgUsersWrite, warden.ScopeUsersAll),
			CanRemove: p.Permissions.Evaluate(warden.ActionOrgUsersRemove, warden.ScopeUsersAll),
		}})
	})
}

// handleUIUserAdd handles "POST /org/users": add an existing user to the current org.
func (u *ui) handleUIUserAdd() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		role, ok := warden.ParseOrgRole(r.PostFormValue("role"))
		login := strings.TrimSpace(r.PostFormValue("loginOrEmail"))
		if !ok || login == "" {
			setFlash(w, "Enter a username or email and choose a role.")
			redirect(w, r, "/org/users")
			return
		}
		if _, err := u.svc.AddOrgUser(r.Context(), p.OrgID, login, role); err != nil {
			if errorStatus(err) < 500 {
				setFlash(w, plainError(err))
				redirect(w, r, "/org/users")
				return
			}
			u.renderError(w, r, err)
			return
		}
		setFlash(w, login+" added as "+string(role)+".")
		redirect(w, r, "/org/users")
	})
}

// handleUIUserRole handles "POST /org/users/{userId}/role" and ".../remove".
func (u *ui) handleUIUserChange(remove bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		userID, err := pathID(r, "userId")
		if err != nil {
			u.renderError(w, r, err)
			return
		}
		msg := "Role changed."
		if remove {
			deleted, e := u.svc.RemoveOrgUser(r.Context(), p.OrgID, userID, false)
			err, msg = e, "User removed from the organization."
			_ = deleted
		} else {
			role, ok := warden.ParseOrgRole(r.PostFormValue("role"))
			if !ok {
				setFlash(w, "Choose one of the listed roles.")
				redirect(w, r, "/org/users")
				return
			}
			err = u.svc.UpdateOrgUser(r.Context(), p.OrgID, userID, role)
		}
		if err != nil {
			if errorStatus(err) < 500 || warden.ErrorMessage(err) != "Internal error." {
				setFlash(w, plainError(err))
				redirect(w, r, "/org/users")
				return
			}
			u.renderError(w, r, err)
			return
		}
		setFlash(w, msg)
		redirect(w, r, "/org/users")
	})
}

type teamsPageData struct {
	Teams     []*warden.Team
	CanCreate bool
}

// handleUITeams handles "GET /org/teams".
func (u *ui) handleUITeams() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		list, _, err := u.svc.SearchTeams(r.Context(), warden.TeamFilter{Query: strings.TrimSpace(r.URL.Query().Get("query")), Limit: 1000})
		if err != nil {
			u.renderError(w, r, err)
			return
		}
		u.render(w, r, http.StatusOK, "teams.html", page{Title: "Teams", Active: "teams", Data: teamsPageData{
			Teams: list, CanCreate: p.Permissions.Evaluate(warden.ActionTeamsCreate, "")}})
	})
}

// handleUITeamCreate handles "POST /org/teams".
func (u *ui) handleUITeamCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSpace(r.PostFormValue("name"))
		if name == "" {
			setFlash(w, "Team name is required.")
			redirect(w, r, "/org/teams")
			return
		}
		t, err := u.svc.CreateTeam(r.Context(), name, r.PostFormValue("email"))
		if err != nil {
			if errorStatus(err) < 500 {
				setFlash(w, plainError(err))
				redirect(w, r, "/org/teams")
				return
			}
			u.renderError(w, r, err)
			return
		}
		setFlash(w, "Team "+t.Name+" created.")
		redirect(w, r, "/org/teams/"+strconv.FormatInt(t.ID, 10))
	})
}

type teamPageData struct {
	Team       *warden.Team
	Members    []*warden.TeamMember
	Users      []*warden.OrgUser
	CanManage  bool
	CanDelete  bool
	CanMembers bool
}

// handleUITeam handles "GET /org/teams/{id}".
func (u *ui) handleUITeam() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := warden.PrincipalFromContext(r.Context())
		id, err := pathID(r, "id")
		if err != nil {
			u.renderError(w, r, err)
			return
		}
		t, err := u.svc.FindTeam(r.Context(), id)
		if err != nil {
			u.renderError(w, r, err)
			return
		}
		scope := warden.ScopeTeam(id)
		d := teamPageData{Team: t, CanManage: p.Permissions.Evaluate(warden.ActionTeamsPermissionsWrite, scope),
			CanDelete:  p.Permissions.Evaluate(warden.ActionTeamsDelete, scope),
			CanMembers: p.Permissions.Evaluate(warden.ActionTeamsPermissionsRead, scope)}
		if d.CanMembers {
			if d.Members, err = u.svc.TeamMembers(r.Context(), id); err != nil {
				u.renderError(w, r, err)
				return
			}
		}
		if d.CanManage {
			if d.Users, _, err = u.svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: p.OrgID, Limit: 1000}); err != nil {
				u.renderError(w, r, err)
				return
			}
		}
		u.render(w, r, http.StatusOK, "team.html", page{Title: t.Name, Active: "teams", Data: d})
	})
}

// handleUITeamChange handles the team forms: add or remove a member, delete the team.
func (u *ui) handleUITeamChange(action string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			u.renderError(w, r, err)
			return
		}
		here := "/org/teams/" + strconv.FormatInt(id, 10)
		msg := ""
		switch action {
		case "add":
			userID, perr := strconv.ParseInt(r.PostFormValue("userId"), 10, 64)
			if perr != nil {
				setFlash(w, "Choose a user.")
				redirect(w, r, here)
				return
			}
			err, msg = u.svc.AddTeamMember(r.Context(), id, userID), "Member added."
		case "remove":
			userID, perr := pathID(r, "userId")
			if perr != nil {
				u.renderError(w, r, perr)
				return
			}
			err, msg = u.svc.RemoveTeamMember(r.Context(), id, userID), "Member removed."
		case "delete":
			if err = u.svc.DeleteTeam(r.Context(), id); err == nil {
				setFlash(w, "Team deleted.")
				redirect(w, r, "/org/teams")
				return
			}
		}
		if err != nil {
			if errorStatus(err) < 500 || warden.ErrorMessage(err) != "Internal error." {
				setFlash(w, plainError(err))
				redirect(w, r, here)
				return
			}
			u.renderError(w, r, err)
			return
		}
		setFlash(w, msg)
		redirect(w, r, here)
	})
}
