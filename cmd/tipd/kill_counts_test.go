package main

import (
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/store/postgres/pgtest"
	"github.com/tipd/tipd/internal/store/quota"
)

// startKillable runs `tipd serve` on storeDir as a separate OS process (the
// test binary re-executed, see TestMain), waits for its url: line and
// returns the URL and the process, for the test to kill.
func startKillable(t *testing.T, storeDir string) (string, *exec.Cmd) {
	t.Helper()
	url, cmd, stderr := spawnTipd(t, "serve", "-store", storeDir, "-addr", "127.0.0.1:0", "-rate", "0", "-log", "text")
	for i := 0; ; i++ {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, cmd
			}
		}
		if i == 100 {
			t.Fatalf("tipd serve never became ready: %v; stderr: %s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill9 kills the server with SIGKILL and waits until it is gone.
func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// countedToday reads the user's requests counted today from `tipd user
// list` on the store (the killed server has released it).
func countedToday(t *testing.T, st, user string) int64 {
	t.Helper()
	for _, l := range strings.Split(mustTipd(t, "user", "list", "-store", st), "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == user {
			n, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				t.Fatalf("user list: %q: %v", l, err)
			}
			return n
		}
	}
	t.Fatalf("user list has no line for %s", user)
	return 0
}

// lookup sends one lookup and reports whether it was answered with 200 and
// a whole body.
func lookup(c *http.Client, url, tok string) (bool, error) {
	req, err := http.NewRequest("GET", url+"/api/ip/45.95.147.10?count=10", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return false, err
	}
	return resp.StatusCode == http.StatusOK, nil
}

// killUnderLoad starts `tipd serve` on st, has 16 clients send lookups of
// user (pausing between two requests of a client), kills the server with
// SIGKILL mid-load and checks the user's count: at least every request
// answered before the kill (a count is durable before its answer goes
// out), and at most the answered ones, one more per client (counted, not
// answered before the kill) and the unused rest of the server's block of
// counts (quota.MaxLease at most).
func killUnderLoad(t *testing.T, st, user string, pause time.Duration) {
	t.Helper()
	const clients = 16
	mustTipd(t, "user", "add", "-store", st, "-day-quota", "1000000000", user)
	tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, user))
	url, cmd := startKillable(t, st)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 10 * time.Second}
	var (
		mu       sync.Mutex
		answered []time.Time // when each 200 came back
		failed   atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				ok, err := lookup(c, url, tok)
				if err != nil {
					return // the server is gone
				}
				if !ok {
					failed.Add(1)
					continue
				}
				mu.Lock()
				answered = append(answered, time.Now())
				mu.Unlock()
				time.Sleep(pause)
			}
		}()
	}
	// Kill mid-load.
	time.Sleep(time.Second)
	killed := time.Now()
	kill9(t, cmd)
	stop.Store(true)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("before the kill: %d requests refused", failed.Load())
	}
	settled := 0 // answered before the kill
	for _, a := range answered {
		if a.Before(killed) {
			settled++
		}
	}
	if settled == 0 {
		t.Fatalf("no request answered before the kill")
	}
	got := countedToday(t, st, user)
	t.Logf("%d answered, %d counted after SIGKILL", settled, got)
	if most := int64(len(answered) + clients + quota.MaxLease); got < int64(settled) || got > most {
		t.Errorf("after SIGKILL: %d requests counted, want at least the %d answered and at most %d", got, settled, most)
	}
}

// A server killed with SIGKILL keeps the count of every request it
// answered, and leaves counted at most one unanswered request per client
// and the unused rest of its block of counts.
func TestKilledServerKeepsCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	st := t.TempDir() + "/store"
	mustTipd(t, "import", "-store", st, "-format", "jsonl", "testdata/e2e/world.jsonl")
	// Fast enough to fill Pebble's 32 KiB WAL block many times.
	t.Run("full load", func(t *testing.T) { killUnderLoad(t, st, "full", 0) })
	// Steady traffic that fills no WAL block before the kill: the counts
	// are in the unsynced block the process holds.
	t.Run("steady traffic", func(t *testing.T) { killUnderLoad(t, st, "steady", 100*time.Millisecond) })

	// At low traffic, killed at once after the last answer: every count
	// is kept, and at most the rest of the first block of counts (8) more.
	t.Run("low traffic", func(t *testing.T) {
		mustTipd(t, "user", "add", "-store", st, "-day-quota", "1000000000", "quiet")
		tok := strings.TrimSpace(mustTipd(t, "token", "issue", "-store", st, "quiet"))
		url, cmd := startKillable(t, st)
		c := &http.Client{Timeout: 10 * time.Second}
		for i := range 20 {
			if ok, err := lookup(c, url, tok); !ok || err != nil {
				t.Fatalf("lookup %d: answered %v, %v", i, ok, err)
			}
		}
		kill9(t, cmd)
		if got := countedToday(t, st, "quiet"); got < 20 || got > 20+quota.MaxLease {
			t.Errorf("after SIGKILL: %d requests counted, want the 20 answered and at most %d more", got, quota.MaxLease)
		}
	})
}

// On PostgreSQL a count is committed before the answer: a killed tipd
// loses none, and leaves counted at most the unused rest of its block.
func TestKilledServerKeepsCountsPostgres(t *testing.T) {
	db := pgtest.FreshSchema(t)
	mustTipd(t, "migrate", "-store", db)
	mustTipd(t, "import", "-store", db, "-format", "jsonl", "testdata/e2e/world.jsonl")
	killUnderLoad(t, db, "full", 0)
}
