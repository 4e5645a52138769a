package warden

import "time"

// Team permission values as Grafana stores them on a membership.
const (
	TeamPermissionMember = 0
	TeamPermissionAdmin  = 4
)

// Team is a group of users within one org. Membership grants managed permissions on the team
// itself (Member: read; Admin: read, write, delete and membership management), and teams can
// be granted permissions on service accounts.
type Team struct {
	ID          int64
	UID         string
	OrgID       int64
	Name        string
	Email       string
	Created     time.Time
	Updated     time.Time
	MemberCount int
}

// TeamFilter selects teams in FindTeams.
type TeamFilter struct {
	OrgID int64
	Query string // substring of the name
	Name  string // exact name
	// IDs, when non-nil, restricts to these ids (empty: nothing).
	IDs []int64
	// Sort is one of name-asc|name-desc|email-asc|email-desc|memberCount-asc|memberCount-desc.
	Sort          string
	Offset, Limit int
}

// TeamMember is one membership of a team, joined with the user's fields.
type TeamMember struct {
	OrgID      int64
	TeamID     int64
	TeamUID    string
	UserID     int64
	UserUID    string
	Login      string
	Email      string
	Name       string
	Permission int
}

// teamLevel maps a membership permission to its managed level.
func teamLevel(permission int) ManagedLevel {
	if permission == TeamPermissionAdmin {
		return LevelAdmin
	}
	return "Member"
}
