package postgres

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

// schemaBefore makes a fresh schema holding every migration before version,
// recorded in schema_migrations as Migrate records them, and returns its
// URL and a connection to it (closed when the test ends): the store as an
// earlier build left it, for the tests of version's migration.
func schemaBefore(t *testing.T, version string) (string, *pgx.Conn) {
	t.Helper()
	u := pgtest.FreshSchema(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m migration) bool { return m.version == version })
	if i < 0 {
		t.Fatalf("no migration %s", version)
	}
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(t.Context(), `CREATE TABLE schema_migrations (version text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:i] {
		if _, err := conn.Exec(t.Context(), m.sql); err != nil {
			t.Fatalf("%s: %v", m.version, err)
		}
		if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version); err != nil {
			t.Fatal(err)
		}
	}
	return u, conn
}
