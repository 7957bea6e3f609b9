package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// tipd migrate on a Pebble store runs its in-place upgrades: a store made
// by this version has none pending, and says so.
func TestMigratePebble(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	for _, want := range []string{"store up to date", "store up to date"} {
		if out := mustTipd(t, "migrate", "-store", dir); strings.TrimSpace(out) != want {
			t.Errorf("migrate: got %q, want %q", out, want)
		}
	}
	if _, errOut, code := tipd(t, "", "migrate", "-store", dir, "-citus"); code == 0 || !strings.Contains(errOut, "-citus") {
		t.Errorf("migrate -citus on a Pebble store: exit %d, stderr %q; want a usage error", code, errOut)
	}
	if _, _, code := tipd(t, "", "migrate", "-store", "mem:"); code == 0 {
		t.Error("migrate on a mem store: exit 0, want a usage error")
	}
}
