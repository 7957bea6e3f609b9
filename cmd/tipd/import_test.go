package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tipd/tipd/internal/store"
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

// storedIntel says what a store holds of imported evidence ("" if
// nothing): addresses and web addresses whose knowledge changed, network
// records, reports.
func storedIntel(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	st, _, err := openStore(ctx, dir, storeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var held []string
	if c, err := st.Changes(ctx, store.ChangedAddresses, store.Change{}, 1); err != nil || len(c) > 0 {
		held = append(held, fmt.Sprintf("addresses (%v %v)", c, err))
	}
	if c, err := st.Changes(ctx, store.ChangedURLs, store.Change{}, 1); err != nil || len(c) > 0 {
		held = append(held, fmt.Sprintf("web addresses (%v %v)", c, err))
	}
	nets := 0
	if err := st.ScanNetworks(ctx, func(store.NetRecord) error { nets++; return nil }); err != nil || nets > 0 {
		held = append(held, fmt.Sprintf("%d networks (%v)", nets, err))
	}
	if r, err := st.Reports(ctx, time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 1); err != nil || len(r) > 0 {
		held = append(held, fmt.Sprintf("reports (%d %v)", len(r), err))
	}
	return strings.Join(held, ", ")
}

// ipsetGzip writes n addresses as an ipset, gzip-compressed, and returns
// the compressed bytes.
func ipsetGzip(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	bw := bufio.NewWriter(zw)
	fmt.Fprintln(bw, "# Example blocklist")
	for i := range n {
		fmt.Fprintf(bw, "45.%d.%d.%d\n", 95+i>>16, i>>8&255, i&255)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipFile(t *testing.T, src string) []byte {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Ways gzip files get damaged.
var (
	flip64 = func(b []byte) []byte {
		b = bytes.Clone(b)
		for i := len(b) / 2; i < len(b)/2+64; i++ {
			b[i] ^= 0x55
		}
		return b
	}
	truncate = func(b []byte) []byte { return bytes.Clone(b[:len(b)*7/10]) }
)

// wantNothingImported checks a failed import: exit status 1, one sentence
// on stderr that starts with start, nothing on stdout, nothing in the
// store.
func wantNothingImported(t *testing.T, storeDir string, code int, stdout, stderr, start string) {
	t.Helper()
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	if !strings.HasPrefix(stderr, "tipd: "+start) || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, " was imported.\n") {
		t.Errorf("stderr %q, want one sentence starting %q and saying nothing was imported", stderr, "tipd: "+start)
	}
	if held := storedIntel(t, storeDir); held != "" {
		t.Errorf("the store holds %s after a failed import, want nothing", held)
	}
}

// TestImportDamagedGzipCommitsNothing imports an ipset of 50,000 addresses
// whose .gz has 64 bytes flipped in the middle, or is truncated: `tipd
// import` exits 1 with one sentence and commits nothing, where it used to
// commit the addresses before the damage and garbage decoded from it. The
// intact file imports, and says "all or nothing".
func TestImportDamagedGzipCommitsNothing(t *testing.T) {
	good := ipsetGzip(t, 50000)
	for _, c := range []struct {
		name, why string
		data      []byte
	}{
		{"flipped", "", flip64(good)},
		{"truncated", ": the gzip data ends early (truncated); ", truncate(good)},
	} {
		for _, via := range []string{"file", "stdin", "server"} {
			t.Run(c.name+"/"+via, func(t *testing.T) {
				st := filepath.Join(t.TempDir(), "store")
				file := filepath.Join(t.TempDir(), "blocklist.netset.gz")
				if err := os.WriteFile(file, c.data, 0o644); err != nil {
					t.Fatal(err)
				}
				args := []string{"import", "-store", st, "-format", "ipset", "-category", "CATEGORY_MALWARE", "-feed", "Example"}
				name := file
				var out, errOut string
				var code int
				switch via {
				case "file":
					out, errOut, code = tipd(t, "", append(args, file)...)
				case "stdin":
					name = "stdin"
					out, errOut, code = tipd(t, string(c.data), append(args, "-")...)
				case "server":
					name = filepath.Base(file) // the server reads the file as its standard input
					srv := startServer(t, st)
					out, errOut, code = tipd(t, "", append(args, file)...)
					srv.stop(t)
				}
				wantNothingImported(t, st, code, out, errOut, name+" is damaged")
				if c.why != "" && !strings.Contains(errOut, c.why) {
					t.Errorf("stderr %q does not say %q", errOut, c.why)
				}
			})
		}
	}
	t.Run("intact", func(t *testing.T) {
		st := filepath.Join(t.TempDir(), "store")
		file := filepath.Join(t.TempDir(), "blocklist.netset.gz")
		if err := os.WriteFile(file, good, 0o644); err != nil {
			t.Fatal(err)
		}
		out := mustTipd(t, "import", "-store", st, "-format", "ipset", "-category", "CATEGORY_MALWARE", "-feed", "Example", file)
		if !strings.Contains(out, ": 50000 records read, 50000 applied, 0 skipped, all or nothing, ") {
			t.Errorf("summary %q", out)
		}
		if storedIntel(t, st) == "" {
			t.Error("the store holds nothing after the import")
		}
	})
}

// TestImportBrokenStdinCommitsNothing reads a plain stream on standard
// input that fails part-way: nothing is committed, the copy of the stream
// in TMPDIR is removed, and the error is one sentence.
func TestImportBrokenStdinCommitsNothing(t *testing.T) {
	st := filepath.Join(t.TempDir(), "store")
	spool := t.TempDir()
	t.Setenv("TMPDIR", spool)
	var lines strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&lines, "45.%d.%d.%d\n", 95+i>>16, i>>8&255, i&255)
	}
	stdin := io.MultiReader(strings.NewReader(lines.String()), iotest.ErrReader(errors.New("connection reset by peer")))
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"import", "-store", st, "-format", "ipset", "-category", "CATEGORY_MALWARE", "-feed", "Example", "-"},
		testEnv(nil), stdin, &out, &errOut)
	wantNothingImported(t, st, code, out.String(), errOut.String(), "cannot read stdin: connection reset by peer; nothing of stdin was imported.")
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}

	// The whole stream imports, all or nothing, and leaves nothing behind.
	got, errS, code := tipd(t, lines.String(), "import", "-store", st, "-format", "ipset", "-category", "CATEGORY_MALWARE", "-feed", "Example", "-")
	if code != 0 || !strings.Contains(got, "imported stdin: 50000 records read, 50000 applied, 0 skipped, all or nothing, ") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, got, errS)
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}

// TestImportPlainFileSaysPrefix imports a plain file: it is committed as it
// is read, and the summary says "prefix".
func TestImportPlainFileSaysPrefix(t *testing.T) {
	st := filepath.Join(t.TempDir(), "store")
	file := filepath.Join(t.TempDir(), "blocklist.netset")
	if err := os.WriteFile(file, []byte("45.95.147.10\n45.95.147.11\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustTipd(t, "import", "-store", st, "-format", "ipset", "-category", "CATEGORY_MALWARE", "-feed", "Example", file)
	if !strings.Contains(out, ": 2 records read, 2 applied, 0 skipped, prefix, ") {
		t.Errorf("summary %q", out)
	}
}

// TestImportDamagedGzipOtherFormats imports damaged .gz files of the
// formats that read their input more than once or keep temporary files
// (rpsl, stix, reports), in small batches: nothing is committed. The
// intact .gz imports.
func TestImportDamagedGzipOtherFormats(t *testing.T) {
	dir := t.TempDir()
	mustTipd(t, "gen", "-size", "2000", "-seed", "3", "-formats", "rpsl,stix,reports", "-out", dir)
	for _, c := range []struct{ format, file string }{
		{"rpsl", "example.db"}, {"stix", "bundle.json"}, {"reports", "reports.jsonl"},
	} {
		good := gzipFile(t, filepath.Join(dir, c.file))
		for _, d := range []struct {
			name   string
			damage func([]byte) []byte
		}{{"flipped", flip64}, {"truncated", truncate}} {
			t.Run(c.format+"/"+d.name, func(t *testing.T) {
				st := filepath.Join(t.TempDir(), "store")
				file := filepath.Join(t.TempDir(), c.file+".gz")
				if err := os.WriteFile(file, d.damage(good), 0o644); err != nil {
					t.Fatal(err)
				}
				out, errOut, code := tipd(t, "", "import", "-store", st, "-format", c.format, "-batch", "16", file)
				wantNothingImported(t, st, code, out, errOut, file+" is damaged: ")
			})
			// Through a running server: the client streams the file.
			t.Run(c.format+"/"+d.name+"/server", func(t *testing.T) {
				st := filepath.Join(t.TempDir(), "store")
				file := filepath.Join(t.TempDir(), c.file+".gz")
				if err := os.WriteFile(file, d.damage(good), 0o644); err != nil {
					t.Fatal(err)
				}
				srv := startServer(t, st)
				out, errOut, code := tipd(t, "", "import", "-store", st, "-format", c.format, "-batch", "16", file)
				srv.stop(t)
				name := filepath.Base(file) // sent as standard input named so
				if c.format == "rpsl" {
					name = file // checked by the client before it sends the set
				}
				wantNothingImported(t, st, code, out, errOut, name+" is damaged: ")
			})
		}
		t.Run(c.format+"/intact", func(t *testing.T) {
			st := filepath.Join(t.TempDir(), "store")
			file := filepath.Join(t.TempDir(), c.file+".gz")
			if err := os.WriteFile(file, good, 0o644); err != nil {
				t.Fatal(err)
			}
			// The reports' PDFs stay next to the generated file.
			out := mustTipd(t, "import", "-store", st, "-format", c.format, "-batch", "16", "-dir", dir, file)
			if !strings.Contains(out, " 0 skipped") || !strings.Contains(out, ", all or nothing, ") {
				t.Errorf("summary %q", out)
			}
			if storedIntel(t, st) == "" {
				t.Error("the store holds nothing after the import")
			}
		})
	}
}
