package feeds

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var testFormats = []string{"urlhaus", "ipset", "openphish"}

func TestParse(t *testing.T) {
	t.Setenv("TIPD_FEEDS_TEST_KEY", "k3y")
	good := `
[defaults]
interval = "2h"
headers = { User-Agent = "tipd-test" }

[[feed]]
name = "urlhaus"
url = "https://urlhaus.example/downloads/csv_recent/"
format = "urlhaus"
interval = "10m"
max_size = "64MiB"
headers = { Auth-Key = "${TIPD_FEEDS_TEST_KEY}" }

[[feed]]
name = "list.1"
url = "http://lists.example/l.txt"
format = "openphish"
retry_delay = "250ms"
retries = 0
`
	f, err := Parse([]byte(good), testFormats, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, l := f.Feeds[0], f.Feeds[1]
	if u.Interval != 10*time.Minute || u.MaxSize != 64<<20 || u.Timeout != DefaultTimeout || u.Retries != DefaultRetries ||
		u.Headers["Auth-Key"] != "${TIPD_FEEDS_TEST_KEY}" || u.Headers["User-Agent"] != "tipd-test" || expand(u.Headers["Auth-Key"]) != "k3y" {
		t.Errorf("urlhaus: got %+v", u)
	}
	if l.Interval != 2*time.Hour || l.Retries != 0 || l.RetryDelay != 250*time.Millisecond || l.MaxSize != DefaultMaxSize {
		t.Errorf("list.1: got %+v", l)
	}
	for _, tt := range []struct{ in, want string }{
		{``, "it lists no [[feed]]"},
		{`[[feed]]` + "\n" + `name = "a"` + "\n" + `url = "http://x.example/"` + "\n" + `format = "urlhaus"` + "\n" + `intervall = "1h"`, "unknown setting feed.intervall"},
		{`[[feed]]` + "\n" + `name = "A b"` + "\n" + `url = "http://x.example/"` + "\n" + `format = "urlhaus"`, `feed "A b": name "A b" is not`},
		{`[[feed]]` + "\n" + `name = "a"` + "\n" + `url = "ftp://x.example/"` + "\n" + `format = "urlhaus"`, `feed "a": url "ftp://x.example/" is not an http or https address`},
		{`[[feed]]` + "\n" + `name = "a"` + "\n" + `url = "http://x.example/"` + "\n" + `format = "csv"`, `feed "a": format "csv" is not one of urlhaus, ipset, openphish`},
		{`[[feed]]` + "\n" + `name = "a"` + "\n" + `url = "http://x.example/"` + "\n" + `format = "urlhaus"` + "\n" + `interval = "30s"`, `feed "a": interval 30s is under the minimum of 1m0s`},
		{`[[feed]]` + "\n" + `name = "a"` + "\n" + `url = "http://x.example/"` + "\n" + `format = "urlhaus"` + "\n" + `max_size = "lots"`, `feed "a": max_size: "lots" is not a size such as 512MiB`},
		{`[[feed]]` + "\n" + `name = "a"` + "\n" + `url = "http://x.example/"` + "\n" + `format = "urlhaus"` + "\n" + `headers = { K = "${TIPD_FEEDS_TEST_UNSET}" }`, `feed "a": header K names the environment variable TIPD_FEEDS_TEST_UNSET, which is not set`},
		{strings.Repeat(`[[feed]]`+"\n"+`name = "a"`+"\n"+`url = "http://x.example/"`+"\n"+`format = "urlhaus"`+"\n", 2), `feed "a" is listed twice`},
		{`[defaults]` + "\n" + `url = "http://x.example/"` + "\n" + `[[feed]]` + "\n" + `name = "a"` + "\n" + `url = "http://x.example/"` + "\n" + `format = "urlhaus"`, "[defaults] takes interval"},
	} {
		_, err := Parse([]byte(tt.in), testFormats, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q): got %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[[feed]]\nname = \"a\"\nurl = \"http://x.example/\"\nformat = \"urlhaus\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Parse(b, testFormats, nil)
	})
}

// origin is a feed server whose answers a test scripts per path.
type origin struct {
	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	hits     map[string]int
}

func newOrigin(t *testing.T) (*origin, *httptest.Server) {
	o := &origin{handlers: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		h := o.handlers[r.URL.Path]
		o.hits[r.URL.Path]++
		o.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return o, srv
}

func (o *origin) handle(path string, h http.HandlerFunc) {
	o.mu.Lock()
	o.handlers[path] = h
	o.mu.Unlock()
}

func (o *origin) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

// versioned serves body with an ETag, answering 304 to that ETag.
func versioned(body *atomic.Value) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b := body.Load().([]byte)
		etag := fmt.Sprintf(`"%x"`, len(b)*31+int(b[0]))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write(b)
	}
}

// imports records what the scheduler handed to the import.
type imports struct {
	mu     sync.Mutex
	bodies []string
	names  []string
}

func (im *imports) fn(ctx context.Context, f Feed, path, name string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return 0, err
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(zr); err != nil {
			return 0, err
		}
		b = buf.Bytes()
	}
	im.bodies = append(im.bodies, string(b))
	im.names = append(im.names, name)
	return int64(bytes.Count(b, []byte("\n"))), nil
}

func testFeed(name, url string) Feed {
	return Feed{Name: name, URL: url, Format: "openphish", Interval: time.Hour, Timeout: 5 * time.Second,
		MaxSize: 1 << 20, Retries: 2, RetryDelay: 10 * time.Millisecond, Headers: map[string]string{}}
}

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// TestSchedulerAgainstARealServer: a feed that changes between fetches, one
// that answers 304, one that fails with 500 and then recovers, one cut off
// in the middle of its gzip stream, one over the size cap, a slow one, a
// zip archive, and the API key of a header.
func TestSchedulerAgainstARealServer(t *testing.T) {
	t.Setenv("TIPD_FEEDS_TEST_KEY", "s3cret")
	o, srv := newOrigin(t)
	var changing atomic.Value
	changing.Store([]byte("http://a.example/1\n"))
	o.handle("/changing.txt", versioned(&changing))

	var fails atomic.Int32
	o.handle("/flaky.txt", func(w http.ResponseWriter, r *http.Request) {
		if fails.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("http://flaky.example/\n"))
	})
	o.handle("/cut.txt.gz", func(w http.ResponseWriter, r *http.Request) {
		b := gz(strings.Repeat("http://cut.example/x\n", 2000))
		w.Write(b[:len(b)/2]) // chunked, ends cleanly: only the gzip check sees the cut
	})
	o.handle("/big.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("http://big.example/\n"), 100000)) // 2 MB
	})
	o.handle("/slow.txt", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	o.handle("/archive.zip", func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		m, _ := zw.Create("feed.txt")
		m.Write([]byte("http://zipped.example/\n"))
		zw.Close()
		w.Write(b.Bytes())
	})
	o.handle("/keyed.txt", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Auth-Key") != "s3cret" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		w.Write(gz("http://keyed.example/\n"))
	})

	feeds := []Feed{
		testFeed("changing", srv.URL+"/changing.txt"),
		testFeed("flaky", srv.URL+"/flaky.txt"),
		testFeed("cut", srv.URL+"/cut.txt.gz"),
		testFeed("big", srv.URL+"/big.txt"),
		testFeed("slow", srv.URL+"/slow.txt"),
		testFeed("archive", srv.URL+"/archive.zip"),
		testFeed("keyed", srv.URL+"/keyed.txt"),
	}
	feeds[4].Timeout = 200 * time.Millisecond
	feeds[4].Retries = 0
	feeds[6].Headers["Auth-Key"] = "${TIPD_FEEDS_TEST_KEY}"
	im := &imports{}
	s := &Scheduler{Feeds: feeds, Fetcher: &Fetcher{TempDir: t.TempDir()}, Import: im.fn}
	ctx := context.Background()
	run := func(name string) error {
		_, err := s.RunFeed(ctx, name)
		return err
	}

	// A changing feed: imported, then 304, then its new version.
	if err := run("changing"); err != nil {
		t.Fatal(err)
	}
	if err := run("changing"); err != nil {
		t.Fatal(err)
	}
	changing.Store([]byte("http://a.example/1\nhttp://a.example/2\n"))
	if err := run("changing"); err != nil {
		t.Fatal(err)
	}
	st := status(t, s, "changing")
	if st.Fetches != 3 || st.NotModified != 1 || st.Applied != 3 || st.LastApplied != 2 || st.LastError != "" || st.LastImport.IsZero() {
		t.Errorf("changing: got %+v", st)
	}
	if got := strings.Join(im.bodies, "|"); got != "http://a.example/1\n|http://a.example/1\nhttp://a.example/2\n" {
		t.Errorf("changing: imported %q", got)
	}

	// 500 twice, then the body: recovered within the retries.
	if err := run("flaky"); err != nil {
		t.Errorf("flaky: %v", err)
	}
	if st := status(t, s, "flaky"); st.Fetches != 3 || st.Applied != 1 || st.LastError != "" {
		t.Errorf("flaky: got %+v", st)
	}

	// Cut mid-gzip: every attempt fails the check, nothing is imported.
	n := len(im.bodies)
	err := run("cut")
	if err == nil || !strings.Contains(err.Error(), "damaged gzip file") {
		t.Errorf("cut: got %v, want a damaged gzip error", err)
	}
	if st := status(t, s, "cut"); st.Fetches != 3 || st.Failures != 3 || st.Applied != 0 || !strings.Contains(st.LastError, "damaged gzip") {
		t.Errorf("cut: got %+v", st)
	}
	if len(im.bodies) != n {
		t.Errorf("cut: %d imports, want none", len(im.bodies)-n)
	}

	// Over the cap: refused at once, not retried.
	if err := run("big"); err == nil || !strings.Contains(err.Error(), "over max_size 1048576 bytes") {
		t.Errorf("big: got %v", err)
	}
	if got := o.count("/big.txt"); got != 1 {
		t.Errorf("big: fetched %d times, want 1 (a file over the cap is not retried)", got)
	}

	// Slow: the timeout ends it.
	start := time.Now()
	if err := run("slow"); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow: got %v, want the deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("slow: took %s, want about the 200ms timeout", d)
	}

	// A zip archive's one member, under its own name.
	if err := run("archive"); err != nil {
		t.Fatal(err)
	}
	if last := im.bodies[len(im.bodies)-1]; last != "http://zipped.example/\n" || im.names[len(im.names)-1] != "feed.txt" {
		t.Errorf("archive: imported %q as %q", last, im.names[len(im.names)-1])
	}

	// The key from the environment reaches the server; the gzip body is
	// handed over whole.
	if err := run("keyed"); err != nil {
		t.Fatal(err)
	}
	if last := im.bodies[len(im.bodies)-1]; last != "http://keyed.example/\n" {
		t.Errorf("keyed: imported %q", last)
	}

	if out, err := s.RunFeed(ctx, "changing"); err != nil || !out.NotModified {
		t.Errorf("changing, unchanged: got %+v, %v, want not modified", out, err)
	}
	if err := run("nope"); !errors.Is(err, ErrUnknownFeed) {
		t.Errorf("unknown feed: got %v", err)
	}

	// Staleness: fresh feeds pass; the ones that failed since the start
	// are stale once their interval has passed.
	if err := s.Stale(1); err != nil {
		t.Errorf("Stale(1) just after the runs: %v", err)
	}
	s.Now = func() time.Time { return time.Now().Add(90 * time.Minute) }
	err = s.Stale(1)
	if err == nil || !strings.Contains(err.Error(), "cut (last fetched") || !strings.Contains(err.Error(), "changing (last fetched") {
		t.Errorf("Stale(1) 90 minutes on: got %v", err)
	}
	if err := s.Stale(2); err != nil {
		t.Errorf("Stale(2) 90 minutes on: %v", err)
	}
}

func status(t *testing.T, s *Scheduler, name string) Status {
	t.Helper()
	for _, st := range s.Statuses() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no status of %s", name)
	return Status{}
}

// TestLockElsewhere: a feed another process holds is not fetched here and
// does not count as stale.
func TestLockElsewhere(t *testing.T) {
	o, srv := newOrigin(t)
	o.handle("/l.txt", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("http://l.example/\n")) })
	im := &imports{}
	s := &Scheduler{Feeds: []Feed{testFeed("l", srv.URL+"/l.txt")}, Fetcher: &Fetcher{}, Import: im.fn,
		Lock: func(context.Context, string) (bool, error) { return false, nil }}
	if out, err := s.RunFeed(context.Background(), "l"); err != nil || !out.Elsewhere {
		t.Fatalf("got %+v, %v, want elsewhere", out, err)
	}
	if o.count("/l.txt") != 0 || len(im.bodies) != 0 || !status(t, s, "l").Elsewhere {
		t.Errorf("fetched %d times, imported %d, status %+v", o.count("/l.txt"), len(im.bodies), status(t, s, "l"))
	}
	s.Now = func() time.Time { return time.Now().Add(10 * time.Hour) }
	if err := s.Stale(1); err != nil {
		t.Errorf("a feed fetched elsewhere is stale here: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@feeds.example/x?key=1": "https://feeds.example/x",
		"http://feeds.example/a#frag":           "http://feeds.example/a",
		"http://feeds.example/p@th":             "http://feeds.example/p@th",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
