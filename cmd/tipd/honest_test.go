package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/store/pebble"
	"github.com/tipd/tipd/internal/store/postgres"
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

// TestVersion: `tipd version` names the store formats this build writes.
func TestVersion(t *testing.T) {
	out, stderr, code := tipdExit("version")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "tipd ") || !strings.HasPrefix(lines[1], "commit: ") || lines[2] != "go: "+runtime.Version() {
		t.Errorf("got %q, want the version, commit and go lines", out)
	}
	want := fmt.Sprintf("store: pebble format %d, postgres schema %s", pebble.FormatVersion(), postgres.SchemaVersion())
	if len(lines) < 4 || lines[3] != want || !strings.Contains(want, "schema 00") {
		t.Errorf("got %q, want last line %q", out, want)
	}
	if _, _, code := tipdExit("version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

// TestConfigChecksTheEnvironment: `tipd config` names an unknown TIPD_
// variable and each malformed value in one sentence and exits 1; a clean
// environment prints every setting and exits 0.
func TestConfigChecksTheEnvironment(t *testing.T) {
	t.Setenv("TIPD_STOER", "/var/lib/tipd")
	bad := map[string]string{"TIPD_ADDR": "localhost", "TIPD_LOG": "xml", "TIPD_STORE": "mysql://db/tipd", "TIPD_TLS_CERT": "server.pem"}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"config"}, testEnv(bad), strings.NewReader(""), &out, &errOut)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"tipd: TIPD_STOER is not a setting tipd reads (known: TIPD_STORE, TIPD_STORE_FILE, TIPD_ADDR, TIPD_LOG, TIPD_TLS_CERT, TIPD_TLS_KEY, TIPD_TOKEN, TIPD_NOW, TIPD_FEEDS).\n",
		"tipd: TIPD_STORE: unknown store URL \"mysql://db/tipd\"; use ./tipd-data, pebble:///path or mem:.\n",
		"tipd: TIPD_ADDR \"localhost\" is not host:port (such as 127.0.0.1:8080).\n",
		"tipd: TIPD_LOG \"xml\" is not one of json, text, none.\n",
		"tipd: TIPD_TLS_CERT and TIPD_TLS_KEY must be set together.\n",
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	os.Unsetenv("TIPD_STOER")
	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"config"}, testEnv(map[string]string{"TIPD_ADDR": "127.0.0.1:9090"}), strings.NewReader(""), &out, &errOut)
	if code != 0 || errOut.Len() != 0 {
		t.Errorf("clean environment: exit %d, stderr %q", code, errOut.String())
	}
	for _, want := range []string{"addr         TIPD_ADDR        127.0.0.1:9090\n", "store        default          ./tipd-data\n", "  -rate             50\n", "  -verdicts         131072\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDemoCardAndLog: `tipd demo -log json` logs JSON, writes the lines it
// announces to demo.txt in its store (readable by its owner only), and
// prints them again when it stops.
func TestDemoCardAndLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-store")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-size", "3000", "-store", dir, "-log", "json"}, testEnv(nil), strings.NewReader(""), pw, stderr)
		pw.Close()
	}()
	var first strings.Builder
	sc := bufio.NewScanner(pr)
	var url, token string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "card: ") {
			if got, want := strings.TrimPrefix(line, "card: "), filepath.Join(dir, "demo.txt"); got != want {
				t.Errorf("card line names %q, want %q", got, want)
			}
			break
		}
		first.WriteString(line + "\n")
		if v, ok := strings.CutPrefix(line, "url: "); ok {
			url = v
		}
		if v, ok := strings.CutPrefix(line, "token: "); ok {
			token = v
		}
	}
	card, err := os.ReadFile(filepath.Join(dir, "demo.txt"))
	if err != nil || string(card) != first.String() {
		t.Errorf("demo.txt holds %q (%v), want the announced lines %q", card, err, first.String())
	}
	if fi, err := os.Stat(filepath.Join(dir, "demo.txt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("demo.txt mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	// One request, so that the request log has a line.
	req, _ := http.NewRequest("GET", url+"/api/ip/192.0.2.1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	cancel()
	rest, _ := io.ReadAll(pr)
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d: %s", code, stderr.String())
	}
	if want := "demo stopped; it served:\n" + first.String(); string(rest) != want {
		t.Errorf("at the end the demo printed %q, want %q", rest, want)
	}
	logged := false
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, `{"time":`) && strings.Contains(l, `"route":"ip_lookup"`) {
			logged = true
		}
		if strings.HasPrefix(l, "time=") {
			t.Errorf("a text log line with -log json: %s", l)
			break
		}
	}
	if !logged {
		t.Errorf("no JSON log line of the request with -log json:\n%s", stderr.String())
	}
}

// TestDemoTemporaryStore: without -store, the demo says its store is
// temporary, writes no card into it, and removes it when it stops.
func TestDemoTemporaryStore(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-size", "2000", "-log", "none"}, testEnv(nil), strings.NewReader(""), pw, stderr)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var dir string
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "store: "); ok {
			var note bool
			dir, _, note = strings.Cut(v, " (temporary: removed when the demo stops; -store DIR keeps one)")
			if !note {
				t.Errorf("store line %q does not say the store is temporary", line)
			}
		}
		if strings.HasPrefix(line, "card: ") {
			t.Errorf("a card line for a temporary store: %q", line)
		}
		if strings.HasPrefix(line, "try: ") {
			break
		}
	}
	if dir == "" {
		t.Fatal("no store line")
	}
	if _, err := os.Stat(filepath.Join(dir, "demo.txt")); !os.IsNotExist(err) {
		t.Errorf("demo.txt in the temporary store: %v", err)
	}
	cancel()
	rest, _ := io.ReadAll(pr)
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d: %s", code, stderr.String())
	}
	if !strings.Contains(string(rest), "store: "+dir+" (temporary") {
		t.Errorf("the lines printed at the end do not say the store was temporary: %q", rest)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the temporary store %s is still there after the demo stopped (%v)", dir, err)
	}
}
