package warden

import (
	"strconv"
	"time"
)

// MainOrgName is the name of org 1, created at first start.
const MainOrgName = "Main Org."

// Org is an organisation.
type Org struct {
	ID      int64
	Name    string
	Address Address
	Created time.Time
	Updated time.Time
}

// Address is an org's postal address (Grafana keeps one per org).
type Address struct {
	Address1, Address2, City, ZipCode, State, Country string
}

// OrgFilter selects orgs in FindOrgs.
type OrgFilter struct {
	Query         string // prefix of the name
	Name          string // exact name
	Offset, Limit int
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
