package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden"
)

// auditEntryDTO is one row of GET /api/audit.
type auditEntryDTO struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	ActorKind  string    `json:"actorKind"`
	ActorID    int64     `json:"actorId"`
	ActorLogin string    `json:"actorLogin"`
	TokenID    int64     `json:"tokenId"`
	OrgID      int64     `json:"orgId"`
	ClientIP   string    `json:"clientIp"`
	Action     string    `json:"action"`
	TargetType string    `json:"targetType"`
	TargetID   string    `json:"targetId"`
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail"`
}

// handleAuditSearch handles "GET /api/audit": the audit log, newest first, for server admins.
// Filters: from, to (RFC 3339 or Unix milliseconds; from inclusive, to exclusive), actorKind,
// actorId, actor (login), tokenId, orgId, action (exact, or a prefix ending in "*"),
// targetType, targetId, outcome; paged by page and perpage (default 100, at most 1000).
func handleAuditSearch(svc *warden.Service) handlerFunc {
	type response struct {
		TotalCount int             `json:"totalCount"`
		Entries    []auditEntryDTO `json:"entries"`
		Page       int             `json:"page"`
		PerPage    int             `json:"perPage"`
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := auditFilter(r)
		if err != nil {
			return err
		}
		page := f.Offset/f.Limit + 1
		list, total, err := svc.AuditEntries(r.Context(), f)
		if err != nil {
			return err
		}
		resp := response{TotalCount: total, Entries: make([]auditEntryDTO, 0, len(list)), Page: page, PerPage: f.Limit}
		for _, e := range list {
			resp.Entries = append(resp.Entries, auditEntryDTO{ID: e.ID, Time: e.Created, ActorKind: e.ActorKind,
				ActorID: e.ActorID, ActorLogin: e.ActorLogin, TokenID: e.TokenID, OrgID: e.OrgID, ClientIP: e.ClientIP,
				Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Outcome: e.Outcome, Detail: e.Detail})
		}
		return encode(w, http.StatusOK, resp)
	}
}

// auditFilter reads GET /api/audit's query. Malformed values are refused rather than ignored:
// a filter silently dropped would show a reviewer more (or other) rows than they asked for.
func auditFilter(r *http.Request) (warden.AuditFilter, error) {
	q := r.URL.Query()
	f := warden.AuditFilter{
		ActorKind:  q.Get("actorKind"),
		ActorLogin: q.Get("actor"),
		Action:     q.Get("action"),
		TargetType: q.Get("targetType"),
		TargetID:   q.Get("targetId"),
		Outcome:    q.Get("outcome"),
	}
	var err error
	if f.From, err = auditTime(q.Get("from"), "from"); err != nil {
		return f, err
	}
	if f.To, err = auditTime(q.Get("to"), "to"); err != nil {
		return f, err
	}
	for name, dst := range map[string]*int64{"actorId": &f.ActorID, "tokenId": &f.TokenID, "orgId": &f.OrgID} {
		if *dst, err = auditID(q.Get(name), name); err != nil {
			return f, err
		}
	}
	perPage := warden.AuditDefaultPerPage
	if s := q.Get("perpage"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return f, warden.Errorf(warden.EINVALID, "perpage must be a positive number")
		}
		perPage = min(n, warden.AuditMaxPerPage)
	}
	page := 1
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return f, warden.Errorf(warden.EINVALID, "page must be a positive number")
		}
		// Offsets stay within int32 on any platform.
		page = min(n, 1<<30/warden.AuditMaxPerPage)
	}
	f.Limit, f.Offset = perPage, (page-1)*perPage
	return f, nil
}

// auditTime parses RFC 3339 or Unix milliseconds (what Grafana's from/to take).
func auditTime(s, name string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms >= 0 && ms < 1<<53 {
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, warden.Errorf(warden.EINVALID, "%s must be an RFC 3339 time or Unix milliseconds", name)
}

func auditID(s, name string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, warden.Errorf(warden.EINVALID, "%s must be a positive number", name)
	}
	return n, nil
}
