package store_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// TestApplyAsyncFallback checks ApplyAsync on a store that applies one
// batch at a time: done runs once, before it returns, with nil; a batch
// that cannot be applied is an error and done never runs.
func TestApplyAsyncFallback(t *testing.T) {
	ctx := context.Background()
	st := mem.New()
	if store.Pipelines(st) {
		t.Fatal("the in-memory store pipelines")
	}
	ip := netip.MustParseAddr("192.0.2.1")
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		batch   intel.Batch
		wantErr bool
		calls   int // of done, each with nil
	}{
		{"applied", intel.Batch{Sightings: []intel.Sighting{{IP: ip, Day: day, Hits: 3}}}, false, 1},
		{"refused", intel.Batch{Sightings: []intel.Sighting{{Day: day, Hits: 3}}}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var done []error
			err := store.ApplyAsync(ctx, st, &tt.batch, func(err error) { done = append(done, err) })
			if (err != nil) != tt.wantErr {
				t.Fatalf("ApplyAsync error = %v, want error %v", err, tt.wantErr)
			}
			if len(done) != tt.calls || (len(done) == 1 && done[0] != nil) {
				t.Errorf("done called with %v, want %d calls with nil", done, tt.calls)
			}
		})
	}
	sum, err := st.Address(ctx, ip)
	if err != nil || sum.Hits != 3 {
		t.Errorf("after ApplyAsync: hits %d, %v; want 3", sum.Hits, err)
	}
}
