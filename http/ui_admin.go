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
func (u *ui) handleUIUsers() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		q := strings.TrimSpace(r.URL.Query().Get("query"))
		list, _, err := u.svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: p.OrgID, Query: q, Limit: 1000})
		if err != nil {
			return err
		}
		return u.render(w, r, http.StatusOK, "users.html", page{Title: "Users", Active: "users", Data: usersPageData{
			Users: list, Query: q, MyID: p.UserID,
			CanAdd:    p.Permissions.Evaluate(warden.ActionOrgUsersAdd, warden.ScopeUsersAll),
			CanWrite:  p.Permissions.Evaluate(warden.ActionOrgUsersWrite, warden.ScopeUsersAll),
			CanRemove: p.Permissions.Evaluate(warden.ActionOrgUsersRemove, warden.ScopeUsersAll),
		}})
	}
}

// handleUIUserAdd handles "POST /org/users": add an existing user to the current org.
func (u *ui) handleUIUserAdd() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		role, ok := warden.ParseOrgRole(r.PostFormValue("role"))
		login := strings.TrimSpace(r.PostFormValue("loginOrEmail"))
		if !ok || login == "" {
			return redirectWith(w, r, "/org/users", "Enter a username or email and choose a role.")
		}
		if _, err := u.svc.AddOrgUser(r.Context(), p.OrgID, login, role); err != nil {
			return backTo("/org/users", err)
		}
		return redirectWith(w, r, "/org/users", login+" added as "+string(role)+".")
	}
}

// handleUIUserRole handles "POST /org/users/{userId}/role" and ".../remove".
func (u *ui) handleUIUserChange(remove bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		userID, err := pathID(r, "userId")
		if err != nil {
			return err
		}
		msg := "Role changed."
		if remove && !confirmed(r) {
			login, err := u.orgMemberLogin(r, p.OrgID, userID)
			if err != nil {
				return backTo("/org/users", err)
			}
			return u.askFirst(w, r, confirmation{Title: "Remove user", Question: "Remove " + login + " from this organization?",
				Button: "Remove", Back: "/org/users", Active: "users"})
		}
		if remove {
			_, err = u.svc.RemoveOrgUser(r.Context(), p.OrgID, userID, false)
			msg = "User removed from the organization."
		} else {
			role, ok := warden.ParseOrgRole(r.PostFormValue("role"))
			if !ok {
				return redirectWith(w, r, "/org/users", "Choose one of the listed roles.")
			}
			err = u.svc.UpdateOrgUser(r.Context(), p.OrgID, userID, role)
		}
		if err != nil {
			return backTo("/org/users", err)
		}
		return redirectWith(w, r, "/org/users", msg)
	}
}

type teamsPageData struct {
	Teams     []*warden.Team
	CanCreate bool
}

// handleUITeams handles "GET /org/teams".
func (u *ui) handleUITeams() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		list, _, err := u.svc.SearchTeams(r.Context(), warden.TeamFilter{Query: strings.TrimSpace(r.URL.Query().Get("query")), Limit: 1000})
		if err != nil {
			return err
		}
		return u.render(w, r, http.StatusOK, "teams.html", page{Title: "Teams", Active: "teams", Data: teamsPageData{
			Teams: list, CanCreate: p.Permissions.Evaluate(warden.ActionTeamsCreate, "")}})
	}
}

// handleUITeamCreate handles "POST /org/teams".
func (u *ui) handleUITeamCreate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := strings.TrimSpace(r.PostFormValue("name"))
		if name == "" {
			return redirectWith(w, r, "/org/teams", "Team name is required.")
		}
		t, err := u.svc.CreateTeam(r.Context(), name, r.PostFormValue("email"))
		if err != nil {
			return backTo("/org/teams", err)
		}
		return redirectWith(w, r, "/org/teams/"+strconv.FormatInt(t.ID, 10), "Team "+t.Name+" created.")
	}
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
func (u *ui) handleUITeam() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := warden.PrincipalFromContext(r.Context())
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		t, err := u.svc.FindTeam(r.Context(), id)
		if err != nil {
			return err
		}
		scope := warden.ScopeTeam(id)
		d := teamPageData{Team: t, CanManage: p.Permissions.Evaluate(warden.ActionTeamsPermissionsWrite, scope),
			CanDelete:  p.Permissions.Evaluate(warden.ActionTeamsDelete, scope),
			CanMembers: p.Permissions.Evaluate(warden.ActionTeamsPermissionsRead, scope)}
		if d.CanMembers {
			if d.Members, err = u.svc.TeamMembers(r.Context(), id); err != nil {
				return err
			}
		}
		if d.CanManage {
			if d.Users, _, err = u.svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: p.OrgID, Limit: 1000}); err != nil {
				return err
			}
		}
		return u.render(w, r, http.StatusOK, "team.html", page{Title: t.Name, Active: "teams", Data: d})
	}
}

// handleUITeamChange handles the team forms: add or remove a member, delete the team.
func (u *ui) handleUITeamChange(action string) handlerFunc {
	return byID("id", func(w http.ResponseWriter, r *http.Request, id int64) error {
		here := "/org/teams/" + strconv.FormatInt(id, 10)
		msg := ""
		var err error
		switch action {
		case "add":
			userID, perr := strconv.ParseInt(r.PostFormValue("userId"), 10, 64)
			if perr != nil {
				return redirectWith(w, r, here, "Choose a user.")
			}
			err, msg = u.svc.AddTeamMember(r.Context(), id, userID), "Member added."
		case "remove":
			userID, perr := pathID(r, "userId")
			if perr != nil {
				return perr
			}
			if !confirmed(r) {
				members, err := u.svc.TeamMembers(r.Context(), id)
				if err != nil {
					return backTo(here, err)
				}
				for _, m := range members {
					if m.UserID == userID {
						return u.askFirst(w, r, confirmation{Title: "Remove member", Question: "Remove " + m.Login + " from the team?",
							Button: "Remove", Back: here, Active: "teams"})
					}
				}
				return redirectWith(w, r, here, "That user is not a member of the team.")
			}
			err, msg = u.svc.RemoveTeamMember(r.Context(), id, userID), "Member removed."
		case "delete":
			if !confirmed(r) {
				t, err := u.svc.FindTeam(r.Context(), id)
				if err != nil {
					return backTo(here, err)
				}
				return u.askFirst(w, r, confirmation{Title: "Delete team", Button: "Delete", Back: here, Active: "teams",
					Question: "Are you sure you want to delete the team '" + t.Name + "'? Permissions given to it end."})
			}
			if err = u.svc.DeleteTeam(r.Context(), id); err == nil {
				return redirectWith(w, r, "/org/teams", "Team deleted.")
			}
		}
		if err != nil {
			return backTo(here, err)
		}
		return redirectWith(w, r, here, msg)
	})
}

// orgMemberLogin returns the login of a member of org, for the confirmation before removing
// them; a user who is no member is not found.
func (u *ui) orgMemberLogin(r *http.Request, orgID, userID int64) (string, error) {
	usr, err := u.svc.FindUserByID(r.Context(), userID)
	if err != nil {
		return "", err
	}
	members, _, err := u.svc.OrgUsers(r.Context(), warden.OrgUserFilter{OrgID: orgID, Query: usr.Login, Limit: 1000})
	if err != nil {
		return "", err
	}
	for _, m := range members {
		if m.UserID == userID {
			return m.Login, nil
		}
	}
	return "", warden.Errorf(warden.ENOTFOUND, "User not found")
}
