package main

import "strings"

// Grafana's own configuration keys, so that a Grafana configuration file pointed at Warden
// loads without a warning (see config_check.go).
//
// Source: the sections and keys of Grafana's conf/defaults.ini and conf/sample.ini of the 9.x
// to 12.x releases and the "Configure Grafana" documentation, with keys of older releases that
// configuration files still carry (login_remember_days, cookie_username, …). Only the sections
// that Warden reads too need their keys listed: Warden checks no other section's keys. The
// other sections are listed by name (and grafanaSectionPrefixes by the part before the dot), so
// that none of them is taken for a misspelt Warden section. When in doubt, a key is listed:
// a Grafana file must never warn. [feature_toggles] is not listed: it takes any name.

// grafanaKeys maps each section Warden reads too ("DEFAULT": the keys before the first
// section) to Grafana's keys in it.
var grafanaKeys = map[string][]string{
	"DEFAULT": {"app_mode", "instance_name", "force_migration", "target"},
	"paths":   {"data", "temp_data_lifetime", "logs", "plugins", "provisioning", "permitted_provisioning_paths"},
	"server": {"protocol", "min_tls_version", "http_addr", "http_port", "domain", "enforce_domain", "root_url",
		"serve_from_sub_path", "router_logging", "static_root_path", "enable_gzip", "cert_file", "cert_key",
		"cert_pass", "certs_watch_interval", "socket", "socket_gid", "socket_mode", "cdn_url", "read_timeout"},
	"database": {"type", "host", "name", "user", "password", "url", "high_availability", "max_idle_conn",
		"max_open_conn", "conn_max_lifetime", "log_queries", "ssl_mode", "ssl_sni", "isolation_level",
		"ca_cert_path", "client_key_path", "client_cert_path", "server_cert_name", "path", "cache_mode", "wal",
		"migration_locking", "locking_attempt_timeout_sec", "query_retries", "transaction_retries",
		"instrument_queries", "skip_migrations"},
	"security": {"disable_initial_admin_creation", "admin_user", "admin_password", "admin_email", "secret_key",
		"encryption_provider", "available_encryption_providers", "disable_gravatar", "data_source_proxy_whitelist",
		"disable_brute_force_login_protection", "brute_force_login_protection_max_attempts",
		"disable_ip_address_login_protection", "disable_username_login_protection", "cookie_secure",
		"cookie_samesite", "allow_embedding", "strict_transport_security",
		"strict_transport_security_max_age_seconds", "strict_transport_security_preload",
		"strict_transport_security_subdomains", "x_content_type_options", "x_xss_protection",
		"content_security_policy", "content_security_policy_template", "content_security_policy_report_only",
		"content_security_policy_report_only_template", "angular_support_enabled", "csrf_trusted_origins",
		"csrf_additional_headers", "csrf_always_check", "enable_frontend_sandbox_for_plugins",
		"disable_frontend_sandbox_for_plugins", "actions_allow_post_url", "login_remember_days",
		"cookie_username", "cookie_remember_name"},
	"users": {"allow_sign_up", "allow_org_create", "auto_assign_org", "auto_assign_org_id", "auto_assign_org_role",
		"verify_email_enabled", "login_default_org_id", "login_hint", "password_hint", "default_theme",
		"default_language", "default_locale", "home_page", "external_manage_link_url", "external_manage_link_name",
		"external_manage_info", "viewers_can_edit", "editors_can_admin", "user_invite_max_lifetime_duration",
		"verification_email_max_lifetime_duration", "last_seen_update_interval", "hidden_users",
		"case_insensitive_login"},
	"auth": {"login_cookie_name", "disable_login", "login_maximum_inactive_lifetime_duration",
		"login_maximum_lifetime_duration", "login_maximum_inactive_lifetime_days", "login_maximum_lifetime_days",
		"token_rotation_interval_minutes", "disable_login_form", "disable_signout_menu", "signout_redirect_url",
		"oauth_auto_login", "oauth_state_cookie_max_age", "oauth_login_error_message",
		"oauth_refresh_token_server_lock_min_wait_ms", "oauth_skip_org_role_update_sync",
		"oauth_allow_insecure_email_lookup", "api_key_max_seconds_to_live", "sigv4_auth_enabled",
		"sigv4_verbose_logging", "azure_auth_enabled", "id_response_header_enabled", "id_response_header_prefix",
		"id_response_header_namespaces", "managed_service_accounts_enabled", "login_remember_days"},
	"auth.basic":       {"enabled", "password_policy"},
	"service_accounts": {"token_expiration_day_limit"},
	"log":              {"mode", "level", "filters", "user_facing_default_error"},
	"log.console":      {"level", "format"},
}

// grafanaSections are Grafana's sections that Warden does not read.
var grafanaSections = []string{
	"alerting", "analytics", "annotations", "aws", "azure", "cloud_migration", "dashboards", "dashboards.json",
	"dataproxy", "datasources", "date_formats", "emails", "enterprise", "environment", "explore", "expressions",
	"feature_management", "frontend_dev", "geomap", "grafana_com", "grafana_net", "grafana-apiserver",
	"grpc_server", "help", "live", "news", "panels", "plugins", "profile", "public_dashboards", "query",
	"query_history", "quota", "rbac", "recording_rules", "remote_cache", "rendering", "search", "secretscan",
	"secure_socks_datasource_proxy", "session", "short_links", "smtp", "snapshots", "sql_datasources",
	"sso_settings", "storage", "support_bundles", "time_picker", "unified_alerting", "unified_storage",
	"metrics", "external_image_storage", "auditing", "caching", "reporting", "white_labeling", "licensing",
	"usage_insights", "recorded_queries", "query_caching", "banners", "analytics.summaries", "analytics.views",
	"plugin_management", "zanzana", "secrets_manager", "keystore", "expressions.sql",
}

// grafanaSectionPrefixes start Grafana's families of sections ([auth.github], [plugin.<id>],
// [log.file], [tracing.opentelemetry.otlp], …): any section under them is Grafana's.
var grafanaSectionPrefixes = []string{
	"alerting.", "annotations.", "auditing.", "auth.", "dashboard_previews.", "external_image_storage.",
	"feature_toggles.", "log.", "metrics.", "navigation.", "plugin.", "plugins.", "recording_rules.",
	"remote.", "security.", "server.", "smtp.", "tracing.", "unified_alerting.", "unified_storage.",
	"keystore.", "caching.", "reporting.", "usage_insights.", "grafana-apiserver.", "database.",
}

// grafanaKey reports whether key is one of Grafana's in section (one Warden reads too).
func grafanaKey(section, key string) bool {
	for _, k := range grafanaKeys[section] {
		if k == key {
			return true
		}
	}
	return false
}

// isGrafanaSection reports whether section is one of Grafana's.
func isGrafanaSection(section string) bool {
	for _, s := range grafanaSections {
		if s == section {
			return true
		}
	}
	for _, p := range grafanaSectionPrefixes {
		if strings.HasPrefix(section, p) {
			return true
		}
	}
	return false
}
