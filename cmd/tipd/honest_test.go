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

// tipdExit runs the command line in-process and returns stdout, stderr and
// the exit status.
func tipdExit(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, testEnv(nil), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestImportRefusesWhatItCannotRead: a file of another format imports
// nothing, exits 1 and names the format it looks like; a file with more
// bad records than -max-skipped allows exits 1 after importing the good
// ones; a malformed -max-skipped is a usage error.
func TestImportRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	urlhaus := "../../internal/importer/abusech/testdata/urlhaus.csv"

	_, stderr, code := tipdExit("import", "-q", "-store", st, "-format", "malwarebazaar", urlhaus)
	if code != 1 {
		t.Errorf("urlhaus file as malwarebazaar: exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "nothing of "+urlhaus+" was imported") || !strings.Contains(stderr, "it looks like urlhaus: import it with -format urlhaus.") {
		t.Errorf("urlhaus file as malwarebazaar: stderr %q does not say nothing was imported and name urlhaus", stderr)
	}

	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("meeting at ten\nbring the slides\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = tipdExit("import", "-q", "-store", st, "-format", "openphish", notes)
	if code != 1 || !strings.Contains(stderr, "(2 records read, 2 bad); it is in none of the formats tipd reads.") {
		t.Errorf("a text file: exit %d, stderr %q", code, stderr)
	}

	// Eight good lines and two bad ones: 20 % bad.
	list := filepath.Join(dir, "openphish.txt")
	var b strings.Builder
	for i := 1; i <= 8; i++ {
		b.WriteString("http://phish" + string(rune('0'+i)) + ".example/login\n")
	}
	b.WriteString("not a web address\nneither is this\n")
	if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := tipdExit("import", "-q", "-store", st, "-format", "openphish", list)
	if code != 1 || !strings.Contains(stdout, "10 records read, 8 applied, 2 skipped") ||
		!strings.Contains(stderr, "tipd: 2 of the 10 records of "+list+" were bad, more than -max-skipped 1% allows; the other 8 were imported.") {
		t.Errorf("20 %% bad with the default: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	out, _, code := tipdExit("lookup", "-store", st, "-format", "json", "http://phish3.example/login")
	if code != 0 || !strings.Contains(out, `"Zone":"Red"`) && !strings.Contains(out, `"Zone": "Red"`) {
		t.Errorf("the good lines of the refused file are not imported: exit %d, %s", code, out)
	}
	if _, stderr, code = tipdExit("import", "-q", "-store", st, "-format", "openphish", "-max-skipped", "20%", list); code != 0 {
		t.Errorf("20 %% bad with -max-skipped 20%%: exit %d, stderr %q", code, stderr)
	}
	for _, v := range []string{"1", "-1%", "101%", "x%", "NaN%"} {
		if _, stderr, code = tipdExit("import", "-q", "-store", st, "-format", "openphish", "-max-skipped", v, list); code != 2 || !strings.Contains(stderr, "-max-skipped") {
			t.Errorf("-max-skipped %s: exit %d, stderr %q, want a usage error", v, code, stderr)
		}
	}
}
