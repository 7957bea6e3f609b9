package urlfeed

import (
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

func TestAppend(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		url                    string
		wantKey                string
		wantListings, wantMask int
		wantMaskType           string
		wantIP                 string
	}{
		{url: "http://45.95.147.10/bins/x86", wantKey: "45.95.147.10/bins/x86", wantListings: 1, wantMask: 1, wantMaskType: intel.MaskURL, wantIP: "45.95.147.10"},
		{url: "https://Bad.EXAMPLE/drop/", wantKey: "bad.example/drop/", wantMask: 1, wantMaskType: intel.MaskURLPrefix, wantIP: "invalid IP"},
		{url: "http://user:pw@45.95.147.11/x", wantKey: "45.95.147.11/x", wantListings: 1, wantIP: "45.95.147.11"},
		{url: "http://[::ffff:45.95.147.12]:8080/a", wantKey: "45.95.147.12:8080/a", wantListings: 1, wantMask: 1, wantMaskType: intel.MaskURL, wantIP: "45.95.147.12"},
	}
	for _, tt := range tests {
		var b intel.Batch
		p, err := Append(&b, &Entry{URL: tt.url, Categories: []intel.Category{intel.CatMalware}, Zone: intel.ZoneRed,
			Feed: "F", MaskFeed: "Malicious URL Feed", MaskZone: intel.ZoneRed, LastSeen: day})
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		if p.Key != tt.wantKey || p.IP.String() != tt.wantIP || len(b.HostedURLs) != 1 {
			t.Errorf("%s: got key %q ip %s, want %q %s", tt.url, p.Key, p.IP, tt.wantKey, tt.wantIP)
		}
		if u := b.HostedURLs[0]; u.FirstSeen != day || u.LastSeen != day || u.Hits != 1 || u.Source.Feed != "F" {
			t.Errorf("%s: got hosted URL %+v", tt.url, u)
		}
		if len(b.Listings) != tt.wantListings || len(b.Masks) != tt.wantMask {
			t.Errorf("%s: got %d listings %d masks, want %d %d", tt.url, len(b.Listings), len(b.Masks), tt.wantListings, tt.wantMask)
		}
		if tt.wantMask > 0 && b.Masks[0].MaskType != tt.wantMaskType {
			t.Errorf("%s: got mask type %s, want %s", tt.url, b.Masks[0].MaskType, tt.wantMaskType)
		}
	}
	var b intel.Batch
	if _, err := Append(&b, &Entry{URL: "ftp://bad.example/x"}); err == nil || b.Len() != 0 {
		t.Errorf("got %v and %d records for an ftp URL, want an error and none", err, b.Len())
	}
}
