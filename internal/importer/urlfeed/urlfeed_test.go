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
		wantHostListing        bool
	}{
		{url: "http://45.95.147.10/bins/x86", wantKey: "45.95.147.10/bins/x86", wantListings: 1, wantMask: 1, wantMaskType: intel.MaskURL, wantIP: "45.95.147.10"},
		{url: "https://Bad.EXAMPLE/drop/", wantKey: "bad.example/drop/", wantMask: 1, wantMaskType: intel.MaskURLPrefix, wantIP: "invalid IP"},
		{url: "http://user:pw@45.95.147.11/x", wantKey: "45.95.147.11/x", wantListings: 1, wantIP: "45.95.147.11"},
		{url: "http://[::ffff:45.95.147.12]:8080/a", wantKey: "45.95.147.12:8080/a", wantListings: 1, wantMask: 1, wantMaskType: intel.MaskURL, wantIP: "45.95.147.12"},
		{url: "http://45.95.147.13/", wantKey: "45.95.147.13", wantListings: 1, wantMask: 1, wantMaskType: intel.MaskURL, wantIP: "45.95.147.13"},
		{url: "https://login.phish.example:8443/", wantKey: "login.phish.example:8443", wantMask: 1, wantMaskType: intel.MaskURL, wantIP: "invalid IP", wantHostListing: true},
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
		if o := b.ObjectListings; len(o) == 0 || o[0] != (intel.ObjectListing{Kind: intel.ObjectURL, Key: tt.wantKey,
			Category: intel.CatMalware, Feed: "F", FirstSeen: day, LastSeen: day, Source: intel.Source{Feed: "F"}}) {
			t.Errorf("%s: got object listings %+v, want the web address in CATEGORY_MALWARE", tt.url, o)
		}
		if host := len(b.ObjectListings) == 2 && b.ObjectListings[1].Kind == intel.ObjectHost &&
			b.ObjectListings[1].Key == intel.URLHost(tt.wantKey); host != tt.wantHostListing || len(b.ObjectListings) > 2 {
			t.Errorf("%s: got object listings %+v, want a host listing: %v", tt.url, b.ObjectListings, tt.wantHostListing)
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

func TestIsRoot(t *testing.T) {
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"bad.example", true},
		{"bad.example/", true},
		{"bad.example:8080", true},
		{"bad.example:8080/", true},
		{"[2a0e:97c0::1]:80", true},
		{"bad.example/a", false},
		{"bad.example?q=1", false},
		{"bad.example:8080/x", false},
		{"[2a0e:97c0::1]/x", false},
	} {
		if got := IsRoot(tt.key); got != tt.want {
			t.Errorf("IsRoot(%q): got %v, want %v", tt.key, got, tt.want)
		}
	}
}
