package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadOnlyCommandsNeverCreateAStore: lookup, explain, user list, hold
// list (and the commands that change what must already be stored) on a
// path that holds no store fail with one sentence naming the path, exit 1,
// and leave nothing behind.
func TestReadOnlyCommandsNeverCreateAStore(t *testing.T) {
	for _, args := range [][]string{
		{"lookup", "192.0.2.1"},
		{"explain", "192.0.2.1"},
		{"user", "list"},
		{"hold", "list"},
		{"hold", "remove", "H-1"},
		{"token", "issue", "alice"},
		{"token", "revoke", "alice"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "no-such-store")
			var out, errOut bytes.Buffer
			code := run(context.Background(), append(args, "-store", dir), testEnv(nil), strings.NewReader(""), &out, &errOut)
			if code != 1 {
				t.Errorf("exit %d, want 1 (stderr %q)", code, errOut.String())
			}
			want := "tipd: there is no store at " + dir + ": import data into it first, or name another with -store.\n"
			if errOut.String() != want {
				t.Errorf("stderr %q, want %q", errOut.String(), want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("the command created %s (stat: %v)", dir, err)
			}
		})
	}
	// An empty directory is no store either, and stays empty.
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"lookup", "-store", dir, "192.0.2.1"}, testEnv(nil), strings.NewReader(""), &out, &errOut); code != 1 {
		t.Errorf("lookup on an empty directory: exit %d, want 1", code)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("lookup on an empty directory wrote %d entries into it", len(ents))
	}
}
