package pebble

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/tipd/tipd/internal/intel"
)

// Batches applied with ApplyPlanned, as an import applies them, are
// durable once Sync returns, and a batch of Apply at once, with everything
// before it: a crash of the machine (the file system keeps what was synced
// and any part of what was not) leaves those batches, each whole, and a
// prefix of the later ones.
func TestSyncMakesPlannedBatchesDurable(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewCrashableMem()
	s, err := Open("/store", Options{fs: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ip := netip.MustParseAddr("192.0.2.10")
	batch := func(i int) *intel.Batch {
		return &intel.Batch{
			Sightings:  []intel.Sighting{{IP: ip, Day: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), Hits: 1}},
			HostedURLs: []intel.HostedURL{{IP: ip, URL: fmt.Sprintf("192.0.2.10/%d", i), Hits: 1, LastSeen: time.Unix(int64(i), 0)}},
		}
	}
	planned := func(from, to int) {
		t.Helper()
		done := make(chan error, to-from)
		for i := from; i < to; i++ {
			b := batch(i)
			p, err := s.PrepareBatch(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.ApplyPlanned(ctx, b, p, func(err error) { done <- err }); err != nil {
				t.Fatal(err)
			}
		}
		for i := from; i < to; i++ {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
	// crash opens what a crash now would leave (unsynced: the share of
	// what was not synced that reached the disk) and returns its batches.
	crash := func(unsynced int) int {
		t.Helper()
		c, err := Open("/store", Options{fs: fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: unsynced, RNG: rand.New(rand.NewPCG(1, uint64(unsynced)))})})
		if err != nil {
			t.Fatalf("open after a crash (%d %% of the unsynced data kept): %v", unsynced, err)
		}
		defer c.Close()
		a, err := c.Address(ctx, ip)
		if err != nil && a.Hits != 0 {
			t.Fatal(err)
		}
		urls, err := c.HostedURLs(ctx, ip, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(urls)) != a.Hits {
			t.Errorf("after a crash (%d %%): %d hosted URLs but %d hits; every batch must be whole", unsynced, len(urls), a.Hits)
		}
		if len(urls) > 0 && urls[0].URL != fmt.Sprintf("192.0.2.10/%d", a.Hits-1) {
			t.Errorf("after a crash (%d %%): newest URL %s, want 192.0.2.10/%d: the batches left must be the first ones", unsynced, urls[0].URL, a.Hits-1)
		}
		return int(a.Hits)
	}

	planned(0, 20)
	if n := crash(0); n != 0 {
		t.Errorf("before Sync, a crash that keeps nothing unsynced left %d batches, want 0: planned batches are committed without a sync", n)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	planned(20, 40)
	for _, unsynced := range []int{0, 50, 100} {
		n := crash(unsynced)
		// A commit without a sync returns before its log record is written
		// out, so even keeping all of the unsynced data may not keep all 40.
		if n < 20 || n > 40 || unsynced == 0 && n != 20 {
			t.Errorf("after Sync and 20 more batches, a crash keeping %d %% of the unsynced data left %d batches", unsynced, n)
		}
	}
	if err := s.Apply(ctx, batch(40)); err != nil {
		t.Fatal(err)
	}
	if n := crash(0); n != 41 {
		t.Errorf("after a batch of Apply, a crash left %d batches, want all 41", n)
	}
}
