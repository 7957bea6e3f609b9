package storetest

import (
	"maps"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// testCountStored: the counts of addresses and of objects by kind, each
// object counted once however many records it has, an object known only
// as the owner of links counted too.
func testCountStored(t *testing.T, f Factory) {
	s := open(t, f)
	c, ok := s.(store.Counter)
	if !ok {
		t.Fatal("the backend does not count what it holds (store.Counter)")
	}
	got, err := c.CountStored(t.Context())
	if err != nil || got.Addresses != 0 || len(got.Objects) != 0 {
		t.Fatalf("an empty store: got %+v, %v", got, err)
	}
	apply(t, s, &intel.Batch{
		Sightings: []intel.Sighting{{IP: ip4a, Day: day(2024, 1, 5), Hits: 3}, {IP: ip6a, Day: day(2024, 1, 5), Hits: 1}},
		ObjectInfos: []intel.ObjectInfo{
			{Kind: intel.ObjectFile, Key: sha256a, Hits: 5, Source: src("MalwareBazaar", 1)},
			{Kind: intel.ObjectHost, Key: "ok.example", Allows: []string{"cdn"}, Source: src("warninglist", 1)},
		},
		ObjectListings: []intel.ObjectListing{
			{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatBotnetCNC, Feed: "ThreatFox", Source: src("ThreatFox", 1)},
			{Kind: intel.ObjectHost, Key: "c2.badcorp.example", Category: intel.CatMalware, Feed: "Abuse", Source: src("Abuse", 1)},
			{Kind: intel.ObjectURL, Key: "c2.badcorp.example/gate.php", Category: intel.CatBotnetCNC, Feed: "ThreatFox", Source: src("ThreatFox", 1)},
		},
	})
	apply(t, s, &intel.Batch{Sightings: []intel.Sighting{{IP: ip4a, Day: day(2024, 1, 6), Hits: 2}}})
	got, err = c.CountStored(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[intel.ObjectKind]int64{intel.ObjectHost: 2, intel.ObjectURL: 1, intel.ObjectFile: 1}
	if got.Addresses != 2 || !maps.Equal(got.Objects, want) {
		t.Errorf("got %d addresses and objects %v, want 2 and %v", got.Addresses, got.Objects, want)
	}
}
