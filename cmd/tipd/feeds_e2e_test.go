package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer/formats"
	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

// feedOrigin serves a fixture file per path, with an ETag, answering 304
// to it, and counts requests per path.
type feedOrigin struct {
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
	key   string // the Auth-Key the threatfox path requires
}

func (o *feedOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	b, ok := o.files[r.URL.Path]
	o.hits[r.URL.Path]++
	o.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if strings.Contains(r.URL.Path, "threatfox") && r.Header.Get("Auth-Key") != o.key {
		http.Error(w, "no Auth-Key", http.StatusUnauthorized)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%x"`, sha256.Sum256(b)))
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func (o *feedOrigin) set(path string, b []byte) {
	o.mu.Lock()
	o.files[path] = b
	o.mu.Unlock()
}

// TestFeedsOfTheDocs: the example feeds file of the docs, every URL
// pointed at a fixture server on this machine that serves each format in
// its real layout (gzip where the public file is), is fetched by a real
// `tipd serve -feeds`: every feed imports, the metrics and /readyz show
// it, `tipd feeds status` and `tipd feeds run` reach the server through
// its socket, a changed feed is imported again and an unchanged one is
// answered 304.
func TestFeedsOfTheDocs(t *testing.T) {
	t.Setenv("ABUSECH_AUTH_KEY", "fixture-key")
	origin := &feedOrigin{files: map[string][]byte{}, hits: map[string]int{}, key: "fixture-key"}
	srv := httptest.NewServer(origin)
	defer srv.Close()

	doc, err := os.ReadFile("../../docs/feeds.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	now, _ := time.Parse(time.RFC3339, e2eNow)
	o := gen.Options{Size: 2000, Seed: 1, Now: now}
	urlRE := regexp.MustCompile(`(?m)^url = "https?://([^"]+)"$`)
	formatOf := regexp.MustCompile(`(?m)^format = "([^"]+)"$`)
	// The file's feeds in order: each url line is followed by its format.
	urls := urlRE.FindAllStringSubmatchIndex(string(doc), -1)
	fmts := formatOf.FindAllStringSubmatch(string(doc), -1)
	if len(urls) != len(fmts) || len(urls) < 10 {
		t.Fatalf("%d url lines and %d format lines in the example", len(urls), len(fmts))
	}
	var out strings.Builder
	last := 0
	paths := map[string]string{} // path -> format
	for i, m := range urls {
		hostPath := string(doc[m[2]:m[3]])
		path := "/" + hostPath
		format := fmts[i][1]
		paths[path] = format
		origin.set(path, fixtureFor(t, format, path, o))
		out.WriteString(string(doc[last:m[0]]))
		out.WriteString(`url = "` + srv.URL + path + `"`)
		last = m[1]
	}
	out.WriteString(string(doc[last:]))
	feedsFile := filepath.Join(t.TempDir(), "feeds.toml")
	if err := os.WriteFile(feedsFile, []byte(out.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	st := filepath.Join(t.TempDir(), "store")
	mustTipd(t, "user", "add", "-store", st, "analyst")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "analyst"))
	s := startServer(t, st, "-feeds", feedsFile, "-ready-max-age", "2")

	// Every feed imports (the server fetches them all at start).
	names := regexp.MustCompile(`(?m)^name = "([^"]+)"$`).FindAllStringSubmatch(string(doc), -1)
	deadline := time.Now().Add(90 * time.Second)
	var metrics string
	for {
		metrics = string(get(t, "GET", s.url+"/metrics", "").body)
		done := 0
		for _, n := range names {
			if v := metricValue(metrics, `tipd_feed_last_import_timestamp_seconds{feed="`+n[1]+`"}`); v > 0 {
				done++
			}
		}
		if done == len(names) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90 s %d of %d feeds imported; metrics:\n%s\nstderr:\n%s", done, len(names), grepLines(metrics, "tipd_feed_"), s.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, n := range names {
		if v := metricValue(metrics, `tipd_feed_records_applied_total{feed="`+n[1]+`"}`); v <= 0 {
			t.Errorf("feed %s applied %v records", n[1], v)
		}
		if v := metricValue(metrics, `tipd_feed_failing{feed="`+n[1]+`"}`); v != 0 {
			t.Errorf("feed %s is failing", n[1])
		}
	}
	if a := get(t, "GET", s.url+"/readyz", ""); a.status != 200 {
		t.Errorf("/readyz: %d %s", a.status, a.body)
	}
	// The store's counts, taken when the server started (an empty store).
	if metricValue(metrics, "tipd_store_counted_timestamp_seconds") <= 0 || metricValue(metrics, `tipd_store_objects{kind="file"}`) != 0 {
		t.Errorf("store counts at start:\n%s", grepLines(metrics, "tipd_store_"))
	}

	// Status through the server's socket.
	status := mustTipd(t, "feeds", "status", "-store", st)
	for _, n := range names {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(n[1]) + `\s+2\d{3}-\d\d-\d\dT\S+\s+2\d{3}-`).MatchString(status) {
			t.Errorf("feeds status has no successful import of %s:\n%s", n[1], status)
		}
	}

	// Unchanged: 304, nothing imported.
	if out := mustTipd(t, "feeds", "run", "-store", st, "openphish"); out != "feed openphish: not modified\n" {
		t.Errorf("an unchanged feed: %q", out)
	}
	// Changed: the new version is imported and answered at once.
	var phishPath string
	for p, f := range paths {
		if f == "openphish" {
			phishPath = p
		}
	}
	origin.mu.Lock()
	body := append([]byte(nil), origin.files[phishPath]...)
	origin.mu.Unlock()
	origin.set(phishPath, append(body, "http://fresh-phish.example/login\n"...))
	if out := mustTipd(t, "feeds", "run", "-store", st, "openphish"); !regexp.MustCompile(`^feed openphish: \d+ records applied, \d+ bytes fetched\n$`).MatchString(out) {
		t.Errorf("a changed feed: %q", out)
	}
	a := get(t, "GET", s.url+"/api/url/http://fresh-phish.example/login", tok)
	if a.status != 200 || !strings.Contains(string(a.body), `"Zone":"Red"`) {
		t.Errorf("the new entry of the changed feed: %d %s", a.status, a.body)
	}
	if _, errOut, code := tipd(t, "", "feeds", "run", "-store", st, "no-such-feed"); code != 2 || !strings.Contains(errOut, `no such feed in the feeds file: "no-such-feed"`) {
		t.Errorf("an unknown feed: exit %d, %q", code, errOut)
	}
}

// fixtureFor writes the generated world's file of format, gzipped when
// the public file is (.gz), in the layout its URL names (DROP's JSON).
func fixtureFor(t *testing.T, format, path string, o gen.Options) []byte {
	t.Helper()
	f, ok := formats.Lookup(format)
	if !ok || len(f.Gen) == 0 {
		t.Fatalf("no generator for format %s", format)
	}
	g := f.Gen[0]
	for _, cand := range f.Gen {
		if filepath.Ext(cand.File) == filepath.Ext(strings.TrimSuffix(path, ".gz")) {
			g = cand
		}
	}
	var b bytes.Buffer
	if err := g.Write(&b, o); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return b.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	io.Copy(zw, &b)
	zw.Close()
	return z.Bytes()
}

// metricValue returns the value of the sample named exactly (name with
// labels) in a Prometheus text exposition, or -1.
func metricValue(exposition, sample string) float64 {
	for _, l := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestReadyzOnAnEmptyStore: a server on a store holding no intelligence is
// ready, and /readyz says the store is empty; after an import it says ok.
func TestReadyzOnAnEmptyStore(t *testing.T) {
	st := filepath.Join(t.TempDir(), "store")
	mustTipd(t, "user", "add", "-store", st, "analyst")
	s := startServer(t, st)
	if a := get(t, "GET", s.url+"/readyz", ""); a.status != 200 || !strings.HasPrefix(string(a.body), "ok: the store holds no intelligence yet") {
		t.Errorf("/readyz on an empty store: %d %q", a.status, a.body)
	}
	mustTipd(t, "import", "-store", st, "-format", "openphish", "../../internal/importer/lists/testdata/openphish.txt")
	if a := get(t, "GET", s.url+"/readyz", ""); a.status != 200 || string(a.body) != "ok\n" {
		t.Errorf("/readyz after an import: %d %q", a.status, a.body)
	}
}

// TestFeedsThatFail: a real `tipd serve -feeds` against feeds that answer
// 500 and then recover, that break off mid-gzip, that are over the size
// cap, and that are too slow. The one that recovers is imported; the
// others import nothing, show in the metrics as failing, and leave the
// store as it was; the server stays ready.
func TestFeedsThatFail(t *testing.T) {
	var mu sync.Mutex
	flakyHits := 0
	mux := http.NewServeMux()
	mux.HandleFunc("/flaky.txt", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		flakyHits++
		n := flakyHits
		mu.Unlock()
		if n <= 2 {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "http://recovered-phish.example/login\n")
	})
	mux.HandleFunc("/cut.txt.gz", func(w http.ResponseWriter, r *http.Request) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		for i := range 3000 {
			fmt.Fprintf(zw, "http://cut-phish-%d.example/login\n", i)
		}
		zw.Close()
		w.Write(z.Bytes()[:z.Len()/2])
	})
	mux.HandleFunc("/big.txt", func(w http.ResponseWriter, r *http.Request) {
		for i := range 1000 {
			fmt.Fprintf(w, "http://big-phish-%d.example/login\n", i)
		}
	})
	mux.HandleFunc("/slow.txt", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "feeds.toml")
	body := "[defaults]\nretries = 3\nretry_delay = \"50ms\"\n"
	for _, f := range []struct{ name, path, extra string }{
		{"flaky", "/flaky.txt", ""},
		{"cut", "/cut.txt.gz", ""},
		{"big", "/big.txt", `max_size = "4KiB"`},
		{"slow", "/slow.txt", "timeout = \"1s\"\nretries = 0"},
	} {
		body += fmt.Sprintf("\n[[feed]]\nname = %q\nurl = %q\nformat = \"openphish\"\n%s\n", f.name, srv.URL+f.path, f.extra)
	}
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	st := filepath.Join(t.TempDir(), "store")
	mustTipd(t, "user", "add", "-store", st, "analyst")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "analyst"))
	s := startServer(t, st, "-feeds", file, "-ready-max-age", "3")

	// Wait until every feed has ended its first run: imported, or failed
	// after its retries.
	want := map[string]string{"flaky": "imported", "cut": "failed", "big": "failed", "slow": "failed"}
	deadline := time.Now().Add(60 * time.Second)
	var metrics string
	for {
		metrics = string(get(t, "GET", s.url+"/metrics", "").body)
		settled := 0
		for name := range want {
			imported := metricValue(metrics, `tipd_feed_last_import_timestamp_seconds{feed="`+name+`"}`) > 0
			failing := metricValue(metrics, `tipd_feed_failing{feed="`+name+`"}`) == 1
			if imported || failing {
				settled++
			}
		}
		if settled == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feeds did not settle; metrics:\n%s\nstderr:\n%s", grepLines(metrics, "tipd_feed_"), s.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, outcome := range want {
		failing := metricValue(metrics, `tipd_feed_failing{feed="`+name+`"}`)
		applied := metricValue(metrics, `tipd_feed_records_applied_total{feed="`+name+`"}`)
		if outcome == "imported" && (failing != 0 || applied != 1) || outcome == "failed" && (failing != 1 || applied != 0) {
			t.Errorf("feed %s: failing %v, applied %v, want %s", name, failing, applied, outcome)
		}
	}
	if got := metricValue(metrics, `tipd_feed_fetches_total{feed="cut",result="failed"}`); got != 4 {
		t.Errorf("cut: %v failed fetches, want 4 (the first and 3 retries)", got)
	}
	if got := metricValue(metrics, `tipd_feed_fetches_total{feed="big",result="failed"}`); got != 1 {
		t.Errorf("big: %v failed fetches, want 1 (over the cap is not retried)", got)
	}
	for _, tc := range []struct{ url, zone string }{
		{"http://recovered-phish.example/login", "Red"},
		{"http://cut-phish-1.example/login", "Grey"},
		{"http://big-phish-1.example/login", "Grey"},
	} {
		a := get(t, "GET", s.url+"/api/url/"+tc.url, tok)
		if a.status != 200 || !strings.Contains(string(a.body), `"Zone":"`+tc.zone+`"`) {
			t.Errorf("%s: %d %s, want %s", tc.url, a.status, a.body, tc.zone)
		}
	}
	if a := get(t, "GET", s.url+"/readyz", ""); a.status != 200 {
		t.Errorf("/readyz with failing feeds inside their age: %d %s", a.status, a.body)
	}
	status := mustTipd(t, "feeds", "status", "-store", st)
	for _, want := range []string{"damaged gzip file", "over max_size 4096 bytes", "context deadline exceeded"} {
		if !strings.Contains(status, want) {
			t.Errorf("feeds status lacks %q:\n%s", want, status)
		}
	}
}

// TestFeedsOnPostgresFetchedOnce: two `tipd serve -feeds` processes on one
// PostgreSQL database share the feeds: each feed is fetched by one of them
// (its advisory lock), not by both, and both serve what it imported.
func TestFeedsOnPostgresFetchedOnce(t *testing.T) {
	db := pgtest.FreshSchema(t)
	mustTipd(t, "migrate", "-store", db)
	mustTipd(t, "user", "add", "-store", db, "analyst")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", db, "analyst"))
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		fmt.Fprintf(w, "http://shared-phish.example%s/login\n", strings.TrimSuffix(r.URL.Path, ".txt"))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "feeds.toml")
	var body strings.Builder
	names := []string{"one", "two", "three", "four"}
	for _, n := range names {
		fmt.Fprintf(&body, "[[feed]]\nname = %q\nurl = %q\nformat = \"openphish\"\ninterval = \"1h\"\n\n", n, srv.URL+"/"+n+".txt")
	}
	if err := os.WriteFile(file, []byte(body.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startProcess(t, "serve", "-store", db, "-addr", "127.0.0.1:0", "-log", "text", "-feeds", file)
	b := startProcess(t, "serve", "-store", db, "-addr", "127.0.0.1:0", "-log", "text", "-feeds", file)
	// Each feed is imported once, by one of the two.
	deadline := time.Now().Add(60 * time.Second)
	for {
		imported := 0
		for _, n := range names {
			for _, s := range []string{a, b} {
				m := string(get(t, "GET", s+"/metrics", "").body)
				if metricValue(m, `tipd_feed_last_import_timestamp_seconds{feed="`+n+`"}`) > 0 {
					imported++
				}
			}
		}
		if imported == len(names) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s %d imports of %d feeds", imported, len(names))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a second fetch, if there were one, would show now
	mu.Lock()
	for _, n := range names {
		if hits["/"+n+".txt"] != 1 {
			t.Errorf("feed %s fetched %d times by the two servers, want once", n, hits["/"+n+".txt"])
		}
	}
	mu.Unlock()
	for _, s := range []string{a, b} {
		for _, n := range names {
			r := get(t, "GET", s+"/api/url/http://shared-phish.example/"+n+"/login", tok)
			if r.status != 200 || !strings.Contains(string(r.body), `"Zone":"Red"`) {
				t.Errorf("%s: the entry of feed %s: %d %s", s, n, r.status, r.body)
			}
		}
	}
}
