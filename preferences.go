package warden

import (
	"encoding/json"
	"fmt"
	"time"
)

// Preferences are Grafana's display preferences of an org, a team, or a user in an org. Warden
// shows no dashboards and renders nothing with them; it keeps them so that Grafana's clients
// (the Terraform provider reads a team's preferences after every apply) find what they wrote.
// The JSON names are those of the stored document.
type Preferences struct {
	OrgID  int64 `json:"-"`
	UserID int64 `json:"-"` // set for a user's preferences
	TeamID int64 `json:"-"` // set for a team's preferences

	Theme            string   `json:"theme,omitempty"`
	HomeDashboardID  int64    `json:"homeDashboardId,omitempty"`
	HomeDashboardUID string   `json:"homeDashboardUID,omitempty"`
	Timezone         string   `json:"timezone,omitempty"`
	WeekStart        string   `json:"weekStart,omitempty"`
	Language         string   `json:"language,omitempty"`
	RegionalFormat   string   `json:"regionalFormat,omitempty"`
	QueryHistoryTab  string   `json:"queryHistoryHomeTab,omitempty"`
	BookmarkURLs     []string `json:"bookmarkUrls,omitempty"`
	Cookies          []string `json:"cookies,omitempty"`

	Created time.Time `json:"-"`
	Updated time.Time `json:"-"`
}

// PreferencesPatch changes the preferences its non-nil fields name (Grafana's PatchPrefsCmd).
type PreferencesPatch struct {
	Theme            *string
	HomeDashboardID  *int64
	HomeDashboardUID *string
	Timezone         *string
	WeekStart        *string
	Language         *string
	RegionalFormat   *string
	QueryHistoryTab  *string
	BookmarkURLs     *[]string
	Cookies          *[]string
}

// Apply writes the patch's fields over p.
func (pp PreferencesPatch) Apply(p *Preferences) {
	set(&p.Theme, pp.Theme)
	set(&p.HomeDashboardID, pp.HomeDashboardID)
	set(&p.HomeDashboardUID, pp.HomeDashboardUID)
	set(&p.Timezone, pp.Timezone)
	set(&p.WeekStart, pp.WeekStart)
	set(&p.Language, pp.Language)
	set(&p.RegionalFormat, pp.RegionalFormat)
	set(&p.QueryHistoryTab, pp.QueryHistoryTab)
	set(&p.BookmarkURLs, pp.BookmarkURLs)
	set(&p.Cookies, pp.Cookies)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// validThemes are the themes Grafana accepts; "" means the default.
var validThemes = map[string]bool{"": true, "light": true, "dark": true, "system": true}

// validCookies are the cookie categories Grafana's preferences know.
var validCookies = map[string]bool{"analytics": true, "functional": true, "performance": true}

// validate checks what Grafana checks when preferences are saved.
func (p *Preferences) validate() error {
	if !validThemes[p.Theme] {
		return Errorf(EINVALID, "Invalid theme")
	}
	if p.HomeDashboardID < 0 {
		return Errorf(EINVALID, "Invalid home dashboard id")
	}
	for _, c := range p.Cookies {
		if !validCookies[c] {
			return Errorf(EINVALID, "Invalid cookie type %q", c)
		}
	}
	for _, s := range []string{p.HomeDashboardUID, p.Timezone, p.WeekStart, p.Language, p.RegionalFormat, p.QueryHistoryTab} {
		if len(s) > 190 {
			return Errorf(EINVALID, "preference values are at most 190 characters")
		}
	}
	if len(p.BookmarkURLs) > 50 {
		return Errorf(EINVALID, "at most 50 bookmarks")
	}
	for _, u := range p.BookmarkURLs {
		if len(u) > 2048 {
			return Errorf(EINVALID, "bookmark URLs are at most 2048 characters")
		}
	}
	return nil
}

// Document returns the form in which stores keep p: the JSON of its preferences (not of its
// owner or times, which are columns of their own).
func (p *Preferences) Document() (string, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode preferences: %w", err)
	}
	return string(doc), nil
}

// ParsePreferences reads a document written by Document.
func ParsePreferences(doc string) (*Preferences, error) {
	p := &Preferences{}
	if err := json.Unmarshal([]byte(doc), p); err != nil {
		return nil, fmt.Errorf("decode preferences: %w", err)
	}
	return p, nil
}
