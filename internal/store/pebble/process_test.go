package pebble

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// The child side of the cross-process tests: it opens the store in
// TIPD_PEBBLE_CHILD_DIR and either holds it or applies batches until killed.
func TestChildProcess(t *testing.T) {
	dir := os.Getenv("TIPD_PEBBLE_CHILD_DIR")
	if dir == "" {
		t.Skip("run by the cross-process tests only")
	}
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	switch os.Getenv("TIPD_PEBBLE_CHILD_MODE") {
	case "hold":
		fmt.Println("ready")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	case "count":
		// Counts childCounts requests one by one, then waits to be killed.
		for range childCounts {
			if _, _, err := s.CountRequest(context.Background(), "bob", "2026-11-28", 1000); err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
		}
		fmt.Println("ready")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	case "apply", "pipeline", "planned":
		// Batch i adds sighting day i and hosted URL i; "pipeline" merges
		// each batch while the one before it commits, and "planned" does so
		// as an import does, committing without a sync but the first batch
		// (Sync).
		ip := netip.MustParseAddr("45.95.147.10")
		ready := make(chan struct{})
		for i := 0; ; i++ {
			b := &intel.Batch{
				Sightings:  []intel.Sighting{{IP: ip, Day: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), Hits: 1}},
				HostedURLs: []intel.HostedURL{{IP: ip, URL: fmt.Sprintf("45.95.147.10/%d", i), Hits: 1, LastSeen: time.Unix(int64(i), 0)}},
			}
			var err error
			switch mode := os.Getenv("TIPD_PEBBLE_CHILD_MODE"); {
			case mode == "planned":
				first := i == 0
				p, perr := s.PrepareBatch(b)
				if perr != nil {
					fmt.Println("error:", perr)
					os.Exit(1)
				}
				err = s.ApplyPlanned(context.Background(), b, p, func(err error) {
					if err == nil && first {
						err = s.Sync(context.Background())
					}
					if err != nil {
						fmt.Println("error:", err)
						os.Exit(1)
					}
					if first {
						close(ready)
					}
				})
			case mode == "pipeline":
				first := i == 0
				err = s.ApplyAsync(context.Background(), b, func(err error) {
					if err != nil {
						fmt.Println("error:", err)
						os.Exit(1)
					}
					if first {
						close(ready)
					}
				})
			default:
				if err = s.Apply(context.Background(), b); err == nil && i == 0 {
					close(ready)
				}
			}
			if err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
			if i == 0 {
				<-ready
				fmt.Println("ready") // at least one batch is committed
			}
		}
	}
	_ = s.Close()
	os.Exit(0)
}

// killChild runs the child process in mode on a new store, kills it with
// SIGKILL after d, and returns the store opened again (closed at the end of
// the test).
func killChild(t *testing.T, mode string, d time.Duration) *Store {
	t.Helper()
	dir := t.TempDir()
	cmd := startChild(t, dir, mode)
	time.Sleep(d)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func startChild(t *testing.T, dir, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$")
	cmd.Env = append(os.Environ(), "TIPD_PEBBLE_CHILD_DIR="+dir, "TIPD_PEBBLE_CHILD_MODE="+mode)
	// The child in "hold" mode waits until its stdin closes (at kill).
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child: %q, %v", line, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		r.Close()
	})
	return cmd
}

func TestOpenInUseByAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	startChild(t, dir, "hold")
	_, err := Open(dir, Options{})
	var e *intel.Error
	if !errors.As(err, &e) || e.Kind != intel.KindUnavailable || e.Code != "store_in_use" {
		t.Fatalf("Open of a store held by another process: got %v, want a KindUnavailable store_in_use error", err)
	}
	if want := "the store at " + dir + " is in use by another tipd process"; e.Message != want {
		t.Errorf("message: got %q, want %q", e.Message, want)
	}
}

// A process killed while it applies batches, one at a time, pipelined or
// planned and committed without a sync as an import does, leaves the store
// with a prefix of them, each whole.
func TestKillDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	for _, mode := range []string{"apply", "pipeline", "planned"} {
		t.Run(mode, func(t *testing.T) { testKillDuringApply(t, mode) })
	}
}

func testKillDuringApply(t *testing.T, mode string) {
	s := killChild(t, mode, 200*time.Millisecond)
	ip := netip.MustParseAddr("45.95.147.10")
	a, err := s.Address(t.Context(), ip)
	if err != nil {
		t.Fatal(err)
	}
	urls, err := s.HostedURLs(t.Context(), ip, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hits == 0 {
		t.Fatalf("no batch survived the kill")
	}
	if int64(len(urls)) != a.Hits {
		t.Errorf("after kill: %d hosted URLs but %d hits; every batch must be whole", len(urls), a.Hits)
	}
	if len(urls) > 0 && urls[0].URL != fmt.Sprintf("45.95.147.10/%d", a.Hits-1) {
		t.Errorf("newest URL after kill: got %s, want 45.95.147.10/%d", urls[0].URL, a.Hits-1)
	}
	t.Logf("%d batches survived the kill", a.Hits)
}

const childCounts = 20

// A count is synced before it is handed out: a process killed at once
// after counting keeps every count, and leaves counted at most the unused
// rest of its block (a 64th of the quota of 1000 here).
func TestKillAfterCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	s := killChild(t, "count", 0)
	n, err := s.RequestCount(t.Context(), "bob", "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	if n < childCounts || n > childCounts+1000/64 {
		t.Errorf("after kill: %d requests counted, want %d to %d", n, childCounts, childCounts+1000/64)
	}
}
