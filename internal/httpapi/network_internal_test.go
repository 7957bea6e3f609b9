package httpapi

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// FuzzParseNetworkRequest: any query string is a request or an
// invalid-request error (a 400), never a panic; a request names a network
// the store takes or an AS, a count in range, and a cursor that formats
// back to itself.
func FuzzParseNetworkRequest(f *testing.F) {
	for _, s := range []string{
		"request=192.0.2.0/24", "request=192.0.2.7/24&count=7", "request=2001:db8::/32&count=500",
		"request=AS64500", "request=64500&after=MTcwMDAwMDAwMDAwMDAwMDAwMCAzIDE5Mi4wLjIuMQ",
		"request=198.51.100.1", "request=::ffff:192.0.2.0/120", "request=10.0.0.0/7", "count=1",
		"request=as4294967295", "request=AS4294967296", "request=%zz", "request=a&request=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req, err := parseNetworkRequest(query)
		if err != nil {
			if intel.KindOf(err) != intel.KindInvalid {
				t.Fatalf("%q: error %v is not an invalid request", query, err)
			}
			return
		}
		if req.count < 1 || req.count > maxNetworkCount {
			t.Fatalf("%q: count %d", query, req.count)
		}
		if !req.isAS {
			if _, _, err := store.NetworkBuckets([]netip.Prefix{req.prefix}); err != nil {
				t.Fatalf("%q: network %s refused by the store: %v", query, req.prefix, err)
			}
		}
		if !req.after.IsZero() {
			c := formatNetworkCursor(req.after)
			back, err := parseNetworkCursor(c)
			if err != nil || back != req.after {
				t.Fatalf("%q: cursor %v formats to %q, parsed back %v, %v", query, req.after, c, back, err)
			}
		}
	})
}

// TestNetworkCursor: a cursor formats and parses back to itself.
func TestNetworkCursor(t *testing.T) {
	for _, c := range []store.NetworkItem{
		{IP: netip.MustParseAddr("192.0.2.1"), LastSeen: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), Hits: 7},
		{IP: netip.MustParseAddr("2001:db8::1"), LastSeen: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), Hits: -1},
	} {
		s := formatNetworkCursor(c)
		got, err := parseNetworkCursor(s)
		if err != nil || got != c {
			t.Errorf("%v: got %v, %v back from %q", c, got, err, s)
		}
	}
	if s := formatNetworkCursor(store.NetworkItem{}); s != "" {
		t.Errorf("zero cursor: got %q, want empty", s)
	}
}

// FuzzParseFeedRequest: any query string is a feed name of at most
// maxFeedName bytes of text or an invalid-request error, never a panic.
func FuzzParseFeedRequest(f *testing.F) {
	for _, s := range []string{"name=Example+DROP", "name=%00", "name=", "name=a&name=b", "x=1", "name=%zz", "name=" + string(rune(0x2028))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		name, err := parseFeedRequest(query)
		if err != nil {
			if intel.KindOf(err) != intel.KindInvalid {
				t.Fatalf("%q: error %v is not an invalid request", query, err)
			}
			return
		}
		if name == "" || len(name) > maxFeedName {
			t.Fatalf("%q: name %q", query, name)
		}
	})
}
