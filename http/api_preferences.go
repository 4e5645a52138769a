package http

import (
	"net/http"

	"github.com/wardenhq/warden"
)

// preferencesDTO is what Grafana's GET …/preferences answers (its PreferencesSpec): only the
// fields that are set, so a team, org or user without preferences reads as {}.
type preferencesDTO struct {
	Theme             string              `json:"theme,omitempty"`
	HomeDashboardID   int64               `json:"homeDashboardId,omitempty"`
	HomeDashboardUID  string              `json:"homeDashboardUID,omitempty"`
	Timezone          string              `json:"timezone,omitempty"`
	WeekStart         string              `json:"weekStart,omitempty"`
	Language          string              `json:"language,omitempty"`
	RegionalFormat    string              `json:"regionalFormat,omitempty"`
	Navbar            *navbarPreference   `json:"navbar,omitempty"`
	QueryHistory      *queryHistoryPref   `json:"queryHistory,omitempty"`
	CookiePreferences map[string]struct{} `json:"cookiePreferences,omitempty"`
}

type navbarPreference struct {
	BookmarkURLs []string `json:"bookmarkUrls"`
}

type queryHistoryPref struct {
	HomeTab string `json:"homeTab"`
}

func newPreferencesDTO(p *warden.Preferences) preferencesDTO {
	d := preferencesDTO{Theme: p.Theme, HomeDashboardID: p.HomeDashboardID, HomeDashboardUID: p.HomeDashboardUID,
		Timezone: p.Timezone, WeekStart: p.WeekStart, Language: p.Language, RegionalFormat: p.RegionalFormat}
	if len(p.BookmarkURLs) > 0 {
		d.Navbar = &navbarPreference{BookmarkURLs: p.BookmarkURLs}
	}
	if p.QueryHistoryTab != "" {
		d.QueryHistory = &queryHistoryPref{HomeTab: p.QueryHistoryTab}
	}
	if len(p.Cookies) > 0 {
		d.CookiePreferences = map[string]struct{}{}
		for _, c := range p.Cookies {
			d.CookiePreferences[c] = struct{}{}
		}
	}
	return d
}

// preferencesRequest is the body of Grafana's PUT and PATCH …/preferences (UpdatePrefsCmd,
// PatchPrefsCmd). Pointers tell an omitted field from an empty one, for PATCH; PUT clears what
// is omitted. "locale" is the name older Grafana versions gave "language".
type preferencesRequest struct {
	Theme            *string           `json:"theme"`
	HomeDashboardID  *int64            `json:"homeDashboardId"`
	HomeDashboardUID *string           `json:"homeDashboardUID"`
	Timezone         *string           `json:"timezone"`
	WeekStart        *string           `json:"weekStart"`
	Language         *string           `json:"language"`
	Locale           *string           `json:"locale"`
	RegionalFormat   *string           `json:"regionalFormat"`
	Navbar           *navbarPreference `json:"navbar"`
	QueryHistory     *queryHistoryPref `json:"queryHistory"`
	Cookies          *[]string         `json:"cookies"`
}

func (req preferencesRequest) patch() warden.PreferencesPatch {
	pp := warden.PreferencesPatch{Theme: req.Theme, HomeDashboardID: req.HomeDashboardID,
		HomeDashboardUID: req.HomeDashboardUID, Timezone: req.Timezone, WeekStart: req.WeekStart,
		Language: req.Language, RegionalFormat: req.RegionalFormat, Cookies: req.Cookies}
	if pp.Language == nil {
		pp.Language = req.Locale
	}
	if req.Navbar != nil {
		pp.BookmarkURLs = &req.Navbar.BookmarkURLs
	}
	if req.QueryHistory != nil {
		pp.QueryHistoryTab = &req.QueryHistory.HomeTab
	}
	return pp
}

// preferencesOwner says whose preferences a route serves: the request's org, the team of its
// {id}, or the caller.
type preferencesOwner func(r *http.Request) (warden.PreferencesOwner, error)

func orgPreferences(*http.Request) (warden.PreferencesOwner, error) {
	return warden.PreferencesOwner{}, nil
}

func callerPreferences(*http.Request) (warden.PreferencesOwner, error) {
	return warden.PreferencesOwner{Caller: true}, nil
}

func teamPreferences(r *http.Request) (warden.PreferencesOwner, error) {
	id, err := teamPathID(r)
	return warden.PreferencesOwner{TeamID: id}, err
}

// handlePreferencesGet handles "GET /api/org/preferences", "/api/user/preferences" and
// "/api/teams/{id}/preferences".
func handlePreferencesGet(svc *warden.Service, owner preferencesOwner) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := owner(r)
		if err != nil {
			return err
		}
		p, err := svc.Preferences(r.Context(), o)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, newPreferencesDTO(p))
	}
}

// handlePreferencesSave handles PUT (replace = true) and PATCH of the preferences routes.
func handlePreferencesSave(svc *warden.Service, owner preferencesOwner, replace bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := owner(r)
		if err != nil {
			return err
		}
		req, err := decode[preferencesRequest](w, r, "bad request data")
		if err != nil {
			return err
		}
		if replace {
			var p warden.Preferences
			req.patch().Apply(&p)
			err = svc.SetPreferences(r.Context(), o, p)
		} else if req.Theme != nil && *req.Theme == "" {
			// PUT resets the theme with ""; Grafana's PATCH names a theme or leaves it out.
			err = warden.Errorf(warden.EINVALID, "Invalid theme")
		} else {
			err = svc.PatchPreferences(r.Context(), o, req.patch())
		}
		return reply(w, err, "Preferences updated")
	}
}
