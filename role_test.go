package warden

import (
	"encoding/json"
	"testing"
)

func TestRole_ParseOrgRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		want   OrgRole
		wantOK bool
	}{
		{"ViewerLower", "viewer", RoleViewer, true},
		{"ViewerCanonical", "Viewer", RoleViewer, true},
		{"EmptyIsViewer", "", RoleViewer, true},
		{"BlankIsViewer", "  ", RoleViewer, true},
		{"None", "none", RoleNone, true},
		{"NoneCanonical", "None", RoleNone, true},
		{"Editor", "EDITOR", RoleEditor, true},
		{"AdminSpaces", " Admin ", RoleAdmin, true},
		{"Unknown", "Boss", "", false},
		{"ServerAdminIsNotARole", "GrafanaAdmin", "", false},
		{"Prefix", "Adm", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseOrgRole(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("ParseOrgRole(%q)=(%q, %v), want (%q, %v)", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRole_UnmarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    OrgRole
		wantErr bool
	}{
		{"Viewer", `{"role":"viewer"}`, RoleViewer, false},
		{"Empty", `{"role":""}`, RoleViewer, false},
		{"None", `{"role":"none"}`, RoleNone, false},
		{"Editor", `{"role":"Editor"}`, RoleEditor, false},
		{"Admin", `{"role":"ADMIN"}`, RoleAdmin, false},
		{"ErrUnknown", `{"role":"Boss"}`, "", true},
		{"ErrNumber", `{"role":3}`, "", true},
		{"ErrObject", `{"role":{}}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct {
				Role OrgRole `json:"role"`
			}
			err := json.Unmarshal([]byte(tt.body), &v)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Unmarshal(%s) succeeded with role %q, want error", tt.body, v.Role)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.body, err)
			}
			if got := v.Role; got != tt.want {
				t.Fatalf("Role=%q, want %q", got, tt.want)
			}
		})
	}

	t.Run("AbsentKeepsZero", func(t *testing.T) {
		var v struct {
			Role OrgRole `json:"role"`
		}
		if err := json.Unmarshal([]byte(`{}`), &v); err != nil {
			t.Fatal(err)
		}
		if got, want := v.Role, OrgRole(""); got != want {
			t.Fatalf("Role=%q, want %q", got, want)
		}
	})
}

func TestRole_Includes(t *testing.T) {
	t.Parallel()
	order := []OrgRole{RoleNone, RoleViewer, RoleEditor, RoleAdmin}
	for i, r := range order {
		for j, other := range order {
			if got, want := r.Includes(other), i >= j; got != want {
				t.Errorf("%s.Includes(%s)=%v, want %v", r, other, got, want)
			}
		}
	}
	for _, r := range order {
		if !r.Valid() {
			t.Errorf("%s.Valid()=false, want true", r)
		}
		if r.Includes("Boss") {
			t.Errorf("%s.Includes(Boss)=true, want false", r)
		}
		if OrgRole("Boss").Includes(r) {
			t.Errorf("Boss.Includes(%s)=true, want false", r)
		}
		if OrgRole("").Includes(r) {
			t.Errorf("\"\".Includes(%s)=true, want false", r)
		}
	}
	for _, r := range []OrgRole{"", "Boss", "admin", "viewer"} {
		if r.Valid() {
			t.Errorf("%q.Valid()=true, want false", r)
		}
	}
}
