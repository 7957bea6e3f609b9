package store_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// TestNetworkBuckets: each network maps to the buckets of the documented
// table; networks inside another are left out; wide ones are refused.
func TestNetworkBuckets(t *testing.T) {
	tests := []struct {
		nets      string
		n         int    // buckets
		first     string // the first bucket, as Net>Filter
		truncated bool
		invalid   bool
	}{
		{"192.0.2.0/24", 1, "192.0.2.0/24>192.0.2.0/24", false, false},
		{"192.0.2.128/25", 1, "192.0.2.0/24>192.0.2.128/25", false, false},
		{"192.0.2.7/32", 1, "192.0.2.0/24>192.0.2.7/32", false, false},
		{"192.0.2.0/23", 2, "192.0.2.0/24>192.0.2.0/24", false, false},
		{"198.51.0.0/17", 128, "198.51.0.0/24>198.51.0.0/24", false, false},
		{"198.51.0.0/16", 1, "198.51.0.0/16>198.51.0.0/16", false, false},
		{"198.0.0.0/8", 256, "198.0.0.0/16>198.0.0.0/16", false, false},
		{"::ffff:192.0.2.0/120", 1, "192.0.2.0/24>192.0.2.0/24", false, false},
		{"2001:db8::/64", 1, "2001:db8::/48>2001:db8::/64", false, false},
		{"2001:db8::/48", 1, "2001:db8::/48>2001:db8::/48", false, false},
		{"2001:db8::/40", 256, "2001:db8::/48>2001:db8::/48", false, false},
		{"2001:db8::/36", 1, "2001:db8::/32>2001:db8::/36", false, false},
		{"2001:db8::/32", 1, "2001:db8::/32>2001:db8::/32", false, false},
		{"2001:d00::/24", 256, "2001:d00::/32>2001:d00::/32", false, false},
		{"192.0.2.0/24 192.0.2.0/25 192.0.0.0/16", 1, "192.0.0.0/16>192.0.0.0/16", false, false},
		{"1.0.0.0/8 2.0.0.0/8 3.0.0.0/8 4.0.0.0/8 5.0.0.0/8 6.0.0.0/8 7.0.0.0/8 8.0.0.0/8 9.0.0.0/8 10.0.0.0/8 11.0.0.0/8 12.0.0.0/8 13.0.0.0/8 14.0.0.0/8 15.0.0.0/8 16.0.0.0/8 17.0.0.0/8", 4096, "1.0.0.0/16>1.0.0.0/16", true, false},
		{"10.0.0.0/7", 0, "", false, true},
		{"2001::/23", 0, "", false, true},
	}
	for _, tt := range tests {
		var nets []netip.Prefix
		for _, s := range strings.Fields(tt.nets) {
			nets = append(nets, netip.MustParsePrefix(s))
		}
		bs, truncated, err := store.NetworkBuckets(nets)
		if tt.invalid {
			if intel.KindOf(err) != intel.KindInvalid {
				t.Errorf("%s: got %v, want an invalid-request error", tt.nets, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.nets, err)
		}
		first := ""
		if len(bs) > 0 {
			first = fmt.Sprintf("%s>%s", bs[0].Net, bs[0].Filter)
		}
		if len(bs) != tt.n || first != tt.first || truncated != tt.truncated {
			t.Errorf("%s: got %d buckets, first %s, truncated %v; want %d, %s, %v", tt.nets, len(bs), first, truncated, tt.n, tt.first, tt.truncated)
		}
		seen := map[netip.Prefix]bool{}
		for _, b := range bs {
			if !b.Net.Contains(b.Filter.Addr()) || b.Filter.Bits() < b.Net.Bits() || seen[b.Filter] {
				t.Errorf("%s: bucket %s with filter %s", tt.nets, b.Net, b.Filter)
			}
			seen[b.Filter] = true
		}
	}
	// The /8 case walks its /16s in order, without a gap.
	bs, _, _ := store.NetworkBuckets([]netip.Prefix{netip.MustParsePrefix("198.0.0.0/8")})
	if got := fmt.Sprint(bs[1].Net, bs[255].Net); got != "198.1.0.0/16 198.255.0.0/16" {
		t.Errorf("the /16s of 198.0.0.0/8: got %s", got)
	}
}
