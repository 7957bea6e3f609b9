package importer

import (
	"maps"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// TestFeedVersionsOfAFile: a feed all of whose listings carry one date
// (a snapshot list) has that date as its version; a feed whose entries are
// dated one by one (URLhaus, ThreatFox) has none, even across batches.
func TestFeedVersionsOfAFile(t *testing.T) {
	d1 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	d2 := d1.Add(-48 * time.Hour)
	j := &joiner{}
	j.noteDates(&intel.Batch{
		Listings:    []intel.Listing{{Source: intel.Source{Feed: "DROP"}, LastSeen: d1}, {Source: intel.Source{Feed: "URLhaus"}, LastSeen: d1}},
		NetListings: []intel.NetListing{{Source: intel.Source{Feed: "DROP"}, LastSeen: d1}},
	})
	j.noteDates(&intel.Batch{
		Listings:       []intel.Listing{{Source: intel.Source{Feed: "URLhaus"}, LastSeen: d2}},
		ObjectListings: []intel.ObjectListing{{Source: intel.Source{Feed: "OpenPhish"}, LastSeen: d2}, {Source: intel.Source{Feed: ""}, LastSeen: d2}},
	})
	want := map[string]time.Time{"DROP": d1, "OpenPhish": d2}
	if got := j.versions(); !maps.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("got %v, want %v", got, want)
	}
}
