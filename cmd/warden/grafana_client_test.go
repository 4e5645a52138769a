package main

// Warden driven by Grafana's official Go API client (github.com/grafana/grafana-openapi-client-go):
// whatever that client sends and expects for service accounts and tokens must work unchanged.

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-openapi/runtime"
	"github.com/go-openapi/strfmt"
	goapi "github.com/grafana/grafana-openapi-client-go/client"
	"github.com/grafana/grafana-openapi-client-go/client/service_accounts"
	"github.com/grafana/grafana-openapi-client-go/models"
	"github.com/wardenhq/warden"
)

// gcClient returns Grafana's client for ts, authenticated as the admin (Basic) or with a token.
func gcClient(t *testing.T, ts *testServer, token string) *goapi.GrafanaHTTPAPI {
	t.Helper()
	u, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &goapi.TransportConfig{Host: u.Host, BasePath: "/api", Schemes: []string{"http"}}
	if token == "" {
		cfg.BasicAuth = url.UserPassword("admin", ts.Password)
	} else {
		cfg.APIKey = token
	}
	return goapi.NewHTTPClientWithConfig(strfmt.Default, cfg)
}

// gcStatus returns the HTTP status an error of the client carries, 0 if none: a status the
// client's model declares gives a typed error, any other a runtime.APIError.
func gcStatus(err error) int {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code()
	}
	var undeclared *runtime.APIError
	if errors.As(err, &undeclared) {
		return undeclared.Code
	}
	return 0
}

func gcWantStatus(t *testing.T, what string, err error, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want HTTP %d", what, status)
	}
	if got := gcStatus(err); got != status {
		t.Fatalf("%s: error %v (HTTP %d), want HTTP %d", what, err, got, status)
	}
}

func TestGrafanaClient_ServiceAccountsAndTokens(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	admin := gcClient(t, ts, "")
	sa := admin.ServiceAccounts

	// Create.
	created, err := sa.CreateServiceAccount(service_accounts.NewCreateServiceAccountParams().
		WithBody(&models.CreateServiceAccountForm{Name: "Grafana Client", Role: "Editor"}))
	if err != nil {
		t.Fatalf("CreateServiceAccount: %v", err)
	}
	acc := created.Payload
	if acc.ID <= 0 || acc.Name != "Grafana Client" || acc.Login != "sa-1-grafana-client" || acc.Role != "Editor" ||
		acc.OrgID != 1 || acc.IsDisabled {
		t.Fatalf("CreateServiceAccount payload = %+v", acc)
	}
	id := acc.ID

	// Tokens: without expiry (the client omits secondsToLive 0), and with one.
	forever, err := sa.CreateToken(service_accounts.NewCreateTokenParams().WithServiceAccountID(id).
		WithBody(&models.AddServiceAccountTokenCommand{Name: "forever"}))
	if err != nil {
		t.Fatalf("CreateToken without expiry: %v", err)
	}
	hourly, err := sa.CreateToken(service_accounts.NewCreateTokenParams().WithServiceAccountID(id).
		WithBody(&models.AddServiceAccountTokenCommand{Name: "hourly", SecondsToLive: 3600}))
	if err != nil {
		t.Fatalf("CreateToken with expiry: %v", err)
	}
	for _, k := range []*models.NewAPIKeyResult{forever.Payload, hourly.Payload} {
		if _, ok := warden.ParseSecret(k.Key); !ok || k.ID <= 0 || !strings.HasPrefix(k.Key, "glsa_") {
			t.Fatalf("CreateToken payload = {ID:%d Name:%q Key:%d chars}, want an id and a glsa_ token", k.ID, k.Name, len(k.Key))
		}
	}
	if forever.Payload.Name != "forever" || hourly.Payload.Name != "hourly" {
		t.Fatalf("token names = %q, %q", forever.Payload.Name, hourly.Payload.Name)
	}
	_, err = sa.CreateToken(service_accounts.NewCreateTokenParams().WithServiceAccountID(id).
		WithBody(&models.AddServiceAccountTokenCommand{Name: "forever"}))
	gcWantStatus(t, "CreateToken with a duplicate name", err, 400)

	// Search.
	query := "grafana client"
	found, err := sa.SearchOrgServiceAccountsWithPaging(service_accounts.NewSearchOrgServiceAccountsWithPagingParams().WithQuery(&query))
	if err != nil {
		t.Fatalf("SearchOrgServiceAccountsWithPaging: %v", err)
	}
	if found.Payload.TotalCount != 1 || len(found.Payload.ServiceAccounts) != 1 || found.Payload.ServiceAccounts[0].ID != id ||
		found.Payload.ServiceAccounts[0].Tokens != 2 || found.Payload.Page != 1 {
		t.Fatalf("search payload = %+v (first: %+v)", found.Payload, found.Payload.ServiceAccounts)
	}
	got, err := sa.RetrieveServiceAccount(id)
	if err != nil {
		t.Fatalf("RetrieveServiceAccount: %v", err)
	}
	if got.Payload.ID != id || got.Payload.Tokens != 2 || got.Payload.Login != "sa-1-grafana-client" || got.Payload.Role != "Editor" {
		t.Fatalf("RetrieveServiceAccount payload = %+v", got.Payload)
	}

	// List tokens.
	list, err := sa.ListTokens(id)
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	if len(list.Payload) != 2 || list.Payload[0].Name != "forever" || list.Payload[1].Name != "hourly" {
		t.Fatalf("ListTokens payload = %+v, want forever and hourly", list.Payload)
	}
	f, h := list.Payload[0], list.Payload[1]
	if !time.Time(f.Expiration).IsZero() || f.HasExpired || f.IsRevoked || time.Time(f.Created).IsZero() || !time.Time(f.LastUsedAt).IsZero() {
		t.Fatalf("token without expiry = %+v", f)
	}
	if exp := time.Time(h.Expiration); exp.Before(time.Now().Add(59*time.Minute)) || exp.After(time.Now().Add(61*time.Minute)) ||
		h.HasExpired || h.SecondsUntilExpiration <= 3500 || h.SecondsUntilExpiration > 3600 {
		t.Fatalf("token with a one-hour expiry = %+v", h)
	}

	// Use a token: the client's APIKey sends it as Bearer.
	robot := gcClient(t, ts, forever.Payload.Key)
	org, err := robot.Org.GetCurrentOrg()
	if err != nil {
		t.Fatalf("GetCurrentOrg with the token: %v", err)
	}
	if org.Payload.ID != 1 {
		t.Fatalf("GetCurrentOrg with the token = %+v, want org 1", org.Payload)
	}
	_, err = robot.ServiceAccounts.SearchOrgServiceAccountsWithPaging(service_accounts.NewSearchOrgServiceAccountsWithPagingParams())
	gcWantStatus(t, "an Editor token searching service accounts", err, 403)

	// Update: rename and promote; the token acts with the new role at once.
	updated, err := sa.UpdateServiceAccount(service_accounts.NewUpdateServiceAccountParams().WithServiceAccountID(id).
		WithBody(&models.UpdateServiceAccountForm{Name: "Grafana Client Renamed", Role: "Admin"}))
	if err != nil {
		t.Fatalf("UpdateServiceAccount: %v", err)
	}
	if p := updated.Payload; p.Message != "Service account updated" || p.ID != id || p.Name != "Grafana Client Renamed" ||
		p.Serviceaccount == nil || p.Serviceaccount.Role != "Admin" || p.Serviceaccount.Login != "sa-1-grafana-client" {
		t.Fatalf("UpdateServiceAccount payload = %+v (serviceaccount %+v)", p, p.Serviceaccount)
	}
	viaToken, err := robot.ServiceAccounts.SearchOrgServiceAccountsWithPaging(service_accounts.NewSearchOrgServiceAccountsWithPagingParams())
	if err != nil {
		t.Fatalf("an Admin token searching service accounts: %v", err)
	}
	if viaToken.Payload.TotalCount != 1 || viaToken.Payload.ServiceAccounts[0].Name != "Grafana Client Renamed" {
		t.Fatalf("search through the token = %+v", viaToken.Payload)
	}
	disabled := true
	if _, err := sa.UpdateServiceAccount(service_accounts.NewUpdateServiceAccountParams().WithServiceAccountID(id).
		WithBody(&models.UpdateServiceAccountForm{IsDisabled: &disabled})); err != nil {
		t.Fatalf("UpdateServiceAccount isDisabled: %v", err)
	}
	_, err = robot.Org.GetCurrentOrg()
	gcWantStatus(t, "a token of a disabled account", err, 401)
	disabled = false
	if _, err := sa.UpdateServiceAccount(service_accounts.NewUpdateServiceAccountParams().WithServiceAccountID(id).
		WithBody(&models.UpdateServiceAccountForm{IsDisabled: &disabled})); err != nil {
		t.Fatalf("UpdateServiceAccount re-enable: %v", err)
	}

	// The use shows in the list as lastUsedAt (polled: 5× the 2 s bound).
	start := time.Now()
	for {
		list, err := sa.ListTokens(id)
		if err != nil {
			t.Fatalf("ListTokens: %v", err)
		}
		if lu := time.Time(list.Payload[0].LastUsedAt); !lu.IsZero() {
			t.Logf("lastUsedAt %v read by the client after %v", lu.UTC(), time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the token's use never showed in lastUsedAt")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Delete a token, then the account.
	if _, err := sa.DeleteToken(forever.Payload.ID, id); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
	_, err = robot.Org.GetCurrentOrg()
	gcWantStatus(t, "a deleted token", err, 401)
	_, err = sa.DeleteToken(forever.Payload.ID, id)
	gcWantStatus(t, "deleting a deleted token", err, 404)
	hourlyClient := gcClient(t, ts, hourly.Payload.Key)
	if _, err := hourlyClient.Org.GetCurrentOrg(); err != nil {
		t.Fatalf("the remaining token: %v", err)
	}
	deleted, err := sa.DeleteServiceAccount(id)
	if err != nil {
		t.Fatalf("DeleteServiceAccount: %v", err)
	}
	if deleted.Payload.Message != "Service account deleted" {
		t.Fatalf("DeleteServiceAccount payload = %+v", deleted.Payload)
	}
	_, err = sa.RetrieveServiceAccount(id)
	gcWantStatus(t, "retrieving a deleted service account", err, 404)
	_, err = hourlyClient.Org.GetCurrentOrg()
	gcWantStatus(t, "a token of a deleted service account", err, 401)
}
