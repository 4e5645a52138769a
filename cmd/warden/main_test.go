package main

import (
	"net/http"
	"testing"
)

func TestServer_StartsAndSignsIn(t *testing.T) {
	ts := startServer(t, nil)
	r := ts.anon().expect(t, http.StatusOK, "GET", "/api/health", nil)
	if got := r.JSON(t)["database"]; got != "ok" {
		t.Fatalf("database = %v", got)
	}
	c := ts.login(t, "admin", "admin")
	r = c.expect(t, http.StatusOK, "GET", "/api/user", nil)
	if got := r.JSON(t)["login"]; got != "admin" {
		t.Fatalf("login = %v", got)
	}
}
