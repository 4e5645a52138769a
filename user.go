package warden

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
)

// UserID identifies a user or service account row.
type UserID = int64

// User is a person who signs in with a password, or — with IsServiceAccount — a service
// account, which shares the table (and so the login/email uniqueness) but never signs in.
type User struct {
	ID    int64
	UID   string
	Login string // lower-cased
	Email string // lower-cased; equals Login for service accounts
	Name  string
	Theme string

	// PasswordHash is a PHC-format argon2id hash; empty means the user cannot sign in.
	PasswordHash string

	IsAdmin          bool // server admin ("Grafana Admin")
	IsDisabled       bool
	IsServiceAccount bool

	// OrgID is the user's current org (the one requests use when they name none); 0 when the
	// user belongs to no org.
	OrgID int64

	Created    time.Time
	Updated    time.Time
	LastSeenAt time.Time
}

// UserFilter selects users in FindUsers.
type UserFilter struct {
	// Query matches a case-insensitive substring of login, email or name.
	Query string
	// ServiceAccounts selects service accounts instead of humans.
	ServiceAccounts bool
	// OrgID, when set, restricts to members of that org.
	OrgID int64
	// IDs, when non-nil, restricts to these ids (an empty non-nil slice matches nothing).
	IDs []int64
	// Disabled selects only disabled rows.
	Disabled bool
	// Sort is a comma list of login-asc|login-desc|email-asc|email-desc|name-asc|name-desc|
	// lastSeenAtAge-asc|lastSeenAtAge-desc; default login, email ascending.
	Sort string

	Offset, Limit int
}

// UserOrg is one org membership as listed for a user.
type UserOrg struct {
	OrgID int64
	Name  string
	Role  OrgRole
}

// OrgUser is one membership of an org, joined with the user's fields for listings.
type OrgUser struct {
	OrgID   int64
	UserID  int64
	Role    OrgRole
	Created time.Time
	Updated time.Time

	// Filled by FindOrgUsers/FindOrgUser from the user row.
	Login, Email, Name string
	UID                string
	IsDisabled         bool
	IsServiceAccount   bool
	LastSeenAt         time.Time
}

// OrgUserFilter selects org members in FindOrgUsers. Service accounts are never included.
type OrgUserFilter struct {
	OrgID         int64
	Query         string
	Offset, Limit int
}

// AvatarURL returns Grafana's gravatar-style URL for an email, "" for an empty email.
func AvatarURL(email string) string {
	if email == "" {
		return ""
	}
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "/avatar/" + hex.EncodeToString(sum[:])
}

// NameAvatarURL returns the avatar URL Grafana derives from a name for service accounts and
// teams: the md5 of the name's letters and digits, lower-cased, at "@localhost".
func NameAvatarURL(name string) string {
	var b strings.Builder
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return AvatarURL(b.String() + "@localhost")
}

// AgeString renders a duration the way Grafana's lastSeenAtAge does: "N years", "N months",
// "N days", "N hours", "N minutes", "< 1 minute"; the zero time renders "?".
func AgeString(t, now time.Time) string {
	if t.IsZero() {
		return "?"
	}
	minutes := int64(now.Sub(t) / time.Minute)
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return itoa(n) + " " + name + "s"
	}
	switch {
	case minutes >= 525600:
		return unit(minutes/525600, "year")
	case minutes >= 43800:
		return unit(minutes/43800, "month")
	case minutes >= 1440:
		return unit(minutes/1440, "day")
	case minutes >= 60:
		return unit(minutes/60, "hour")
	case minutes >= 1:
		return unit(minutes, "minute")
	}
	return "< 1 minute"
}
