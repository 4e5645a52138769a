// Package warden is the domain of Warden, a standalone service-account and API-token server
// that speaks Grafana's HTTP API.
//
// The words used throughout the code:
//
//   - An Org is an organisation; every identity acts inside one org at a time.
//   - A User is a person who signs in with a password. Users hold an OrgRole in each org they
//     belong to (None < Viewer < Editor < Admin); a server admin ("Grafana Admin") also manages
//     users and orgs globally.
//   - A service account is a non-human identity of exactly one org with a role; it authenticates
//     with tokens, never with a password.
//   - A Principal is the identity of one request: who is calling, in which org, with which
//     permissions.
//   - A Permission is an (action, scope) pair such as ("serviceaccounts:read",
//     "serviceaccounts:id:7"). Permissions are data: roles grant them, Evaluate decides.
//
// Service holds every rule; Store is the one port to persistence. Adapters (http, sqlite) live
// in subpackages and never import each other; cmd/warden wires them together.
package warden
