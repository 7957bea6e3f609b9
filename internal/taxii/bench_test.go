package taxii

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store/pebble"
)

// benchServer is a server on a Pebble store of n addresses, a third of
// them Red, a third Orange, a third Grey.
func benchServer(b *testing.B, n int) *Server {
	b.Helper()
	st, err := pebble.Open(b.TempDir(), pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	seen := now.Add(-48 * time.Hour)
	batch := &intel.Batch{}
	for i := range n {
		ip := netip.AddrFrom4([4]byte{45, byte(i >> 16), byte(i >> 8), byte(i)})
		switch i % 3 {
		case 0:
			batch.Listings = append(batch.Listings,
				intel.Listing{IP: ip, Category: intel.CatBotnetCNC, Feed: "C2", FirstSeen: seen, LastSeen: seen},
				intel.Listing{IP: ip, Category: intel.CatMalware, Feed: "Malware", FirstSeen: seen, LastSeen: seen})
		case 1:
			batch.Listings = append(batch.Listings, intel.Listing{IP: ip, Category: intel.CatScanner, Feed: "Scan", FirstSeen: seen, LastSeen: seen})
		default:
			batch.Sightings = append(batch.Sightings, intel.Sighting{IP: ip, Day: seen.Truncate(24 * time.Hour), Hits: 2})
		}
		if batch.Len() >= 5000 {
			if err := st.Apply(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = &intel.Batch{}
		}
	}
	if err := st.Apply(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	return &Server{Reports: &report.Builder{Store: st, Net: netdata.NewHolder(), Now: func() time.Time { return now }}, Changes: st}
}

// BenchmarkPage measures one page of 100 objects from the middle of a
// collection of a 30,000-address Pebble store: the Red collection (a
// third of the entries qualify) and the all-indicators collection (two
// thirds qualify).
func BenchmarkPage(b *testing.B) {
	srv := benchServer(b, 30000)
	for _, col := range []string{"ip-red", "indicators"} {
		b.Run(col, func(b *testing.B) {
			// Start a third of the way in, as a client in the middle of paging.
			r := httptest.NewRequest("GET", "/", nil)
			pg, err := srv.collect(context.Background(), mustCollection(b, col), position{}, &filter{}, 3000, MaxScan)
			if err != nil || !pg.more {
				b.Fatalf("%v %v", err, pg.more)
			}
			query := "limit=100&next=" + pg.next.encode()
			b.ReportAllocs()
			b.ResetTimer()
			var size int
			for b.Loop() {
				resp, err := srv.Serve(r, "api/collections/"+col+"/objects/", query)
				if err != nil {
					b.Fatal(err)
				}
				size = len(resp.Body)
			}
			b.ReportMetric(float64(size), "page-bytes")
			b.ReportMetric(100*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

func mustCollection(b *testing.B, alias string) *Collection {
	c, ok := collection(alias)
	if !ok {
		b.Fatalf("no collection %s", alias)
	}
	return c
}
