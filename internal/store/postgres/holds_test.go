package postgres

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

// A store whose holds table predates holds on names and files keeps its
// holds when migrated, and then holds names and files; the table still
// refuses a row with no target or two.
func TestObjectHoldsMigration(t *testing.T) {
	u := pgtest.FreshSchema(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m migration) bool { return m.version == "0007_object_holds" })
	if i < 0 {
		t.Fatal("no migration 0007_object_holds")
	}
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
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
	if _, err := conn.Exec(t.Context(), `
		INSERT INTO holds (ref, cidr, reason) VALUES ('hold-1', '10.0.0.0/8', 'r1');
		INSERT INTO holds (ref, url, reason) VALUES ('hold-2', 'a.example/x', 'r2')`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), u, Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.PutHold(t.Context(), intel.Hold{Ref: "hold-3", Domain: "a.example", Reason: "r3"}); err != nil {
		t.Fatal(err)
	}
	hs, err := s.Holds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []intel.Hold{
		{Ref: "hold-1", Prefix: netip.MustParsePrefix("10.0.0.0/8"), Reason: "r1"},
		{Ref: "hold-2", URL: "a.example/x", Reason: "r2"},
		{Ref: "hold-3", Domain: "a.example", Reason: "r3"},
	}
	if !slices.Equal(hs, want) {
		t.Errorf("got holds %+v, want %+v", hs, want)
	}
	for _, q := range []string{
		`INSERT INTO holds (ref, reason) VALUES ('hold-x', '')`,
		`INSERT INTO holds (ref, domain, hash, reason) VALUES ('hold-x', 'a.example', 'AB', '')`,
		`INSERT INTO holds (ref, cidr, domain, reason) VALUES ('hold-x', '10.0.0.0/8', 'a.example', '')`,
	} {
		if _, err := conn.Exec(t.Context(), q); err == nil {
			t.Errorf("%s: got no error, want the one-target check to refuse it", q)
		}
	}
}
