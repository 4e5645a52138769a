// Package pgadmin creates and drops databases on a PostgreSQL server, for the tests
// (postgres/pgtest) and the benchmark command (cmd/wardenbench), which run Warden on a fresh
// database and drop it afterwards. The user needs the CREATEDB privilege.
//
// It is a package of its own: not part of pgtest, which links package testing into whatever
// imports it, nor of package postgres, whose internal tests import pgtest (a cycle).
package pgadmin

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Exec runs one statement (or, without args, several separated by semicolons) on a connection
// of its own to the server at connString, closed afterwards.
func Exec(ctx context.Context, connString, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return fmt.Errorf("connect to the server: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// CreateDatabase creates the empty database name on the server at serverURL (a URL naming any
// database the user can connect to, such as postgres), and returns serverURL naming the new
// database instead (see WithDatabase).
func CreateDatabase(ctx context.Context, serverURL, name string) (string, error) {
	dbURL, err := WithDatabase(serverURL, name)
	if err != nil {
		return "", err
	}
	if err := Exec(ctx, serverURL, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return dbURL, nil
}

// DropDatabase drops the database name on the server at serverURL, if it exists, ending the
// sessions still connected to it (WITH (FORCE), PostgreSQL 13 and later).
func DropDatabase(ctx context.Context, serverURL, name string) error {
	return Exec(ctx, serverURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// WithDatabase returns connString (a postgres:// URL or a key=value DSN) naming the database
// name instead of its own.
func WithDatabase(connString, name string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			// Not url.Error's text, which quotes the URL with its password.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return "", fmt.Errorf("parse the database URL: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// In a key=value DSN a later key overrides an earlier one.
	return connString + " dbname=" + name, nil
}
