package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportFileSet imports an RPSL dump split over several files, where the
// networks name contacts defined in other files, directly and through a
// running server, and checks the contacts a lookup shows.
func TestImportFileSet(t *testing.T) {
	dir := filepath.Join("..", "..", "internal", "importer", "rpsl", "testdata")
	files := []string{"ripe.db.inetnum", "ripe.db.organisation", "ripe.db.role", "ripe.db.person.gz"}
	args := func(st string) []string {
		a := []string{"import", "-store", st, "-format", "rpsl"}
		for _, f := range files {
			a = append(a, filepath.Join(dir, f))
		}
		return a
	}
	check := func(t *testing.T, st string) {
		t.Helper()
		out := mustTipd(t, "lookup", "-store", st, "-sections", "IpWhoIs", "45.95.146.1")
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("lookup: %v: %s", err, out)
		}
		wantField(t, m, "EXAMPLE-ALLOC", "IpWhoIs", "Net", "Name")
		wantField(t, m, "Example Hosting B.V.", "IpWhoIs", "Contacts", 0, "Name")
		wantField(t, m, "organisation", "IpWhoIs", "Contacts", 0, "ContactType")
		wantField(t, m, "ORG-EH1-TEST", "IpWhoIs", "Contacts", 0, "OrganizationId")
		wantField(t, m, "role", "IpWhoIs", "Contacts", 1, "ContactType")
	}

	t.Run("direct", func(t *testing.T) {
		st := filepath.Join(t.TempDir(), "store")
		out := mustTipd(t, args(st)...)
		if !strings.Contains(out, "ripe.db.inetnum: 3 records read, 3 applied, 0 skipped") {
			t.Errorf("summary: got %q", out)
		}
		check(t, st)
	})
	t.Run("through a running server", func(t *testing.T) {
		st := filepath.Join(t.TempDir(), "store")
		startServer(t, st)
		out := mustTipd(t, args(st)...)
		if !strings.Contains(out, "3 records read, 3 applied, 0 skipped") {
			t.Errorf("summary: got %q", out)
		}
		check(t, st)
	})
}
