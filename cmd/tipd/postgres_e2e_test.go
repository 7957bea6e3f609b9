package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/store/postgres/pgtest"
)

// startProcess runs `tipd serve` as a separate OS process (the test binary
// re-executed, see TestMain) and returns its base URL.
func startProcess(t *testing.T, args ...string) string {
	t.Helper()
	url, _ := startProcessCmd(t, args...)
	return url
}

// startProcessCmd is startProcess that also returns the process. At the
// end of the test the process is stopped with SIGTERM and must exit cleanly.
func startProcessCmd(t *testing.T, args ...string) (string, *os.Process) {
	t.Helper()
	url, cmd, stderr := spawnTipd(t, args...)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("tipd %s: %v; stderr: %s", args[0], err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Errorf("tipd %s did not stop on SIGTERM", args[0])
		}
	})
	return url, cmd.Process
}

// spawnTipd runs the command line args as a separate OS process (the test
// binary re-executed, see TestMain) and returns the URL of its `url:` line,
// the process and its standard error. The process is killed at the end of
// the test if it still runs.
func spawnTipd(t *testing.T, args ...string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TIPD_TEST_MAIN=1", "TIPD_NOW="+e2eNow)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "url: ") {
		t.Fatalf("tipd %s printed %q (%v); stderr: %s", args[0], line, err, stderr.String())
	}
	go io.Copy(io.Discard, out)
	return strings.TrimSpace(strings.TrimPrefix(line, "url: ")), cmd, stderr
}

// TestTwoServersOnPostgres runs two `tipd serve` processes on one
// PostgreSQL database: tokens, quotas and imports are shared at once.
func TestTwoServersOnPostgres(t *testing.T) {
	db := pgtest.FreshSchema(t)
	if out := mustTipd(t, "migrate", "-store", db); !strings.Contains(out, "applied") {
		t.Fatalf("migrate: got %q", out)
	}
	mustTipd(t, "import", "-store", db, "-format", "jsonl", "testdata/e2e/world.jsonl")
	mustTipd(t, "user", "add", "-store", db, "-day-quota", "1000", "alice")
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", db, "alice"))
	mustTipd(t, "user", "add", "-store", db, "-day-quota", "25", "shared")
	tokS := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", db, "shared"))

	a := startProcess(t, "serve", "-store", db, "-addr", "127.0.0.1:0", "-refresh", "100ms", "-log", "text")
	b := startProcess(t, "serve", "-store", db, "-addr", "127.0.0.1:0", "-refresh", "100ms", "-log", "text")
	servers := []string{a, b}

	t.Run("same answers from both", func(t *testing.T) {
		ra := get(t, "GET", a+"/api/ip/45.95.147.10", tok)
		rb := get(t, "GET", b+"/api/ip/45.95.147.10", tok)
		if ra.status != 200 || rb.status != 200 {
			t.Fatalf("statuses %d %d: %s %s", ra.status, rb.status, ra.body, rb.body)
		}
		if withoutLicence(t, ra.body) != withoutLicence(t, rb.body) {
			t.Errorf("the two servers answer differently")
		}
		wantField(t, ra.json(t), 1, "LicenseInfo", "DayRequests")
		wantField(t, rb.json(t), 2, "LicenseInfo", "DayRequests")
		wantField(t, rb.json(t), "Red", "Zone")
	})

	t.Run("explanations: the same from both and from tipd explain -json", func(t *testing.T) {
		js := mustTipd(t, "explain", "-store", db, "-json", "45.95.147.10")
		for _, s := range servers {
			r := get(t, "GET", s+"/api/explain?request=45.95.147.10", tok)
			if r.status != 200 || string(r.body) != js {
				t.Errorf("%s: got %d\n%s\nwant the output of tipd explain -json\n%s", s, r.status, r.body, js)
			}
		}
		wantField(t, get(t, "GET", a+"/api/explain?request=45.95.147.10", tok).json(t), "world.jsonl", "Evidence", 0, "File")
	})

	t.Run("a new token is accepted by both at once, the old one by neither", func(t *testing.T) {
		newTok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", db, "alice"))
		for _, s := range servers {
			if r := get(t, "GET", s+"/api/ip/45.95.147.10?sections=Zone", newTok); r.status != 200 {
				t.Errorf("%s new token: got %d", s, r.status)
			}
			if r := get(t, "GET", s+"/api/ip/45.95.147.10?sections=Zone", tok); r.status != 401 {
				t.Errorf("%s old token: got %d, want 401", s, r.status)
			}
		}
		tok = newTok
	})

	t.Run("quota exact across both processes", func(t *testing.T) {
		const quota, n = 25, 40
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := map[int]int{}
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := get(t, "GET", servers[i%2]+"/api/ip/45.95.147.10?sections=Zone", tokS)
				mu.Lock()
				got[r.status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if got[200] != quota || got[403] != n-quota {
			t.Errorf("statuses %v, want %d×200 and %d×403", got, quota, n-quota)
		}
	})

	var lastAdded string
	t.Run("the same TAXII collection from both", func(t *testing.T) {
		// Every page, followed to the end: a server may cut a page short
		// when its scan takes over a second (a loaded machine), so pages
		// of the two may end at different places.
		oa, lastA := pageAllLast(t, a+"/taxii2/api/collections/indicators/objects/", tok, 1000)
		ob, lastB := pageAllLast(t, b+"/taxii2/api/collections/indicators/objects/", tok, 1000)
		if !slices.Equal(oa, ob) || lastA != lastB {
			t.Fatalf("TAXII objects differ: %d objects, last added %s\n%v\n%d objects, last added %s\n%v", len(oa), lastA, oa, len(ob), lastB, ob)
		}
		if !slices.ContainsFunc(oa, func(o taxiiObject) bool { return o.Pattern == "[ipv4-addr:value = '45.95.147.10']" }) {
			t.Errorf("the Red address is not among the indicators: %v", oa)
		}
		lastAdded = lastA
	})

	t.Run("an import is visible through both", func(t *testing.T) {
		mustTipd(t, "import", "-store", db, "-format", "jsonl", "testdata/e2e/later.jsonl")
		for _, s := range servers {
			r := taxiiGet(t, s+"/taxii2/api/collections/ip-red/objects/?match[type]=indicator&added_after="+lastAdded, tok)
			env := decode[taxiiEnvelope](t, r)
			if got := patterns(env.Objects); !slices.Equal(got, []string{"[ipv4-addr:value = '45.95.147.20']"}) {
				t.Errorf("%s: Red indicators added after %s: %v", s, lastAdded, got)
			}
		}
		for _, s := range servers {
			// Address-keyed evidence is read from the database on every request.
			wantField(t, get(t, "GET", s+"/api/ip/45.95.147.20?sections=Zone", tok).json(t), "Red", "Zone")
			// Network data is reloaded when the store's network version
			// changes (checked every -refresh).
			deadline := time.Now().Add(5 * time.Second)
			for {
				m := get(t, "GET", s+"/api/ip/45.95.150.1?sections=IpGeneralInfo", tok).json(t)
				if path(m, "IpGeneralInfo", "CountryCode") == "BE" {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%s: country of 45.95.150.1 still %v after 5s", s, path(m, "IpGeneralInfo", "CountryCode"))
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	})

	t.Run("verdicts kept by both follow another process's import", func(t *testing.T) {
		write := tempWriter(t)
		itemZone := func(s string) any {
			t.Helper()
			r := get(t, "GET", s+"/api/domain/kept.example?sections=DomainDnsResolutions", tok)
			if r.status != 200 {
				t.Fatalf("%s: status %d: %s", s, r.status, r.body)
			}
			return path(r.json(t), "DomainDnsResolutions", 0, "Zone")
		}
		mustTipd(t, "import", "-store", db, "-format", "jsonl", write("res.jsonl",
			`{"kind":"resolution","ip":"45.95.147.77","domain":"kept.example","hits":3,"first_seen":"2026-11-25T00:00:00Z","last_seen":"2026-11-27T00:00:00Z"}`+"\n"))
		for _, s := range servers {
			if z := itemZone(s); z != "Grey" {
				t.Fatalf("%s: resolution item before the listings: %v, want Grey", s, z)
			}
		}
		mustTipd(t, "import", "-store", db, "-format", "jsonl", write("listings.jsonl",
			`{"kind":"listing","ip":"45.95.147.77","category":"CATEGORY_BOTNET_CNC","feed":"Example C2 Feed","first_seen":"2026-11-25T00:00:00Z","last_seen":"2026-11-27T00:00:00Z"}`+"\n"+
				`{"kind":"listing","ip":"45.95.147.77","category":"CATEGORY_MALWARE","feed":"Example Malware Feed","first_seen":"2026-11-25T00:00:00Z","last_seen":"2026-11-27T00:00:00Z"}`+"\n"))
		for _, s := range servers {
			deadline := time.Now().Add(5 * time.Second)
			for {
				z := itemZone(s)
				if z == "Red" {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("%s: resolution item 5 s after the listings were imported: %v, want Red", s, z)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			wantField(t, get(t, "GET", s+"/api/ip/45.95.147.77?sections=Zone", tok).json(t), "Red", "Zone")
		}
	})

	t.Run("kept answers follow another process's import, holds and revocations", func(t *testing.T) {
		write := tempWriter(t)
		mustTipd(t, "user", "add", "-store", db, "-day-quota", "1000", "carol")
		tokC := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", db, "carol"))
		const target = "/api/ip/45.95.147.88?sections=LicenseInfo,Zone,IpDnsResolutions"
		mustTipd(t, "import", "-store", db, "-format", "jsonl", write("res.jsonl",
			`{"kind":"resolution","ip":"45.95.147.88","domain":"kept-answer.example","hits":3,"first_seen":"2026-11-25T00:00:00Z","last_seen":"2026-11-27T00:00:00Z"}`+"\n"))
		// Each server builds the answer and keeps it; wait until both
		// listen for changes, so that the answer is kept.
		for _, s := range servers {
			deadline := time.Now().Add(5 * time.Second)
			for {
				if r := get(t, "GET", s+target, tokC); r.status != 200 {
					t.Fatalf("%s: status %d: %s", s, r.status, r.body)
				} else if path(r.json(t), "Zone") != "Grey" {
					t.Fatalf("%s: Zone %v before the listing, want Grey", s, path(r.json(t), "Zone"))
				}
				if metricOf(t, s, "tipd_answer_cache_hits_total") > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: no answer kept after 5 s", s)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		// The first lookup after the import, through either server, is
		// the new answer, once the server learnt of the import: the
		// notification arrives a few milliseconds after the commit.
		before := map[string]float64{}
		for _, s := range servers {
			before[s] = metricOf(t, s, "tipd_intel_version")
		}
		mustTipd(t, "import", "-store", db, "-format", "jsonl", write("listing.jsonl",
			`{"kind":"listing","ip":"45.95.147.88","category":"CATEGORY_BOTNET_CNC","feed":"Example C2 Feed","first_seen":"2026-11-25T00:00:00Z","last_seen":"2026-11-27T00:00:00Z"}`+"\n"))
		for _, s := range servers {
			deadline := time.Now().Add(5 * time.Second)
			for metricOf(t, s, "tipd_intel_version") == before[s] {
				if time.Now().After(deadline) {
					t.Fatalf("%s: tipd_intel_version still %v 5 s after the import", s, before[s])
				}
				time.Sleep(time.Millisecond)
			}
			if z := path(get(t, "GET", s+target, tokC).json(t), "Zone"); z == "Grey" {
				t.Errorf("%s: the first lookup after the import answered Zone %v, the answer of before it", s, z)
			}
			if r := get(t, "GET", s+target, tokC); !strings.Contains(string(r.body), `"kept-answer.example"`) {
				t.Fatalf("%s: no resolution in %s", s, r.body)
			}
		}
		// A hold on an item of the lists, then on the address.
		mustTipd(t, "hold", "add", "-store", db, "-reason", "court order", "kept-answer.example")
		for _, s := range servers {
			if r := get(t, "GET", s+target, tokC); r.status != 200 || strings.Contains(string(r.body), "kept-answer.example") {
				t.Errorf("%s: after a hold on the domain: %d %s", s, r.status, r.body)
			}
		}
		mustTipd(t, "hold", "add", "-store", db, "-reason", "court order", "45.95.147.88")
		for _, s := range servers {
			if r := get(t, "GET", s+target, tokC); r.status != 451 {
				t.Errorf("%s: after a hold on the address: %d, want 451", s, r.status)
			}
		}
		// A revoked token, on a kept answer of another address.
		const other = "/api/ip/45.95.147.10?sections=Zone"
		for _, s := range servers {
			for range 2 {
				if r := get(t, "GET", s+other, tokC); r.status != 200 {
					t.Fatalf("%s: status %d: %s", s, r.status, r.body)
				}
			}
		}
		mustTipd(t, "token", "revoke", "-store", db, "carol")
		for _, s := range servers {
			if r := get(t, "GET", s+other, tokC); r.status != 401 {
				t.Errorf("%s: after the token was revoked: %d, want 401", s, r.status)
			}
		}
	})

}

// metricOf reads one unlabelled metric of a running server.
func metricOf(t *testing.T, base, name string) float64 {
	t.Helper()
	r := get(t, "GET", base+"/metrics", "")
	for _, line := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("%s: no %s in /metrics", base, name)
	return 0
}

// tempWriter returns a function that writes a file of the given name and
// body into a directory of the test's and returns its path.
func tempWriter(t *testing.T) func(name, body string) string {
	dir := t.TempDir()
	return func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
}
