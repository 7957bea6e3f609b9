// Package pgtest gives tests a PostgreSQL database of their own on the
// throwaway server that `make test` starts (scripts/pg-start.sh), named by
// the environment variable TIPD_TEST_POSTGRES.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// How tells a person how to get the PostgreSQL tests to run.
const How = `TIPD_TEST_POSTGRES is not set; run make test (it starts a throwaway PostgreSQL), or start one with eval "$(scripts/pg-start.sh)" and stop it with scripts/pg-stop.sh`

// URL is the test server's URL from TIPD_TEST_POSTGRES. Without it the test
// is skipped, unless CI is set: there a missing server is a failure.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TIPD_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(How + " (CI is set, so PostgreSQL tests must run)")
		}
		t.Skip(How)
	}
	return u
}

// FreshSchema creates an empty schema with a random name and returns a URL
// whose search_path is that schema; the schema is dropped when the test ends.
func FreshSchema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(`CREATE SCHEMA ` + name); err != nil {
		t.Fatalf("create schema on TIPD_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(`DROP SCHEMA ` + name + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TIPD_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
