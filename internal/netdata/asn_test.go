package netdata

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

func TestASRanges(t *testing.T) {
	as := func(p string, asn uint32, desc string) store.NetRecord {
		return store.NetRecord{AS: &intel.ASRange{Prefix: netip.MustParsePrefix(p), ASN: asn, Description: []string{desc}}}
	}
	snap := FromRecords(1, []store.NetRecord{
		as("198.51.100.0/24", 64500, "Example Net"),
		as("192.0.2.0/24", 64500, "Example Net"),
		as("2001:db8::/32", 64500, "Example Net"),
		as("192.0.2.0/24", 64501, "Other"), // one prefix, two ASes
		as("203.0.113.0/24", 64501, "Other"),
	})
	tests := []struct {
		asn   uint32
		limit int
		want  string
		more  bool
	}{
		{64500, 10, "[192.0.2.0/24 198.51.100.0/24 2001:db8::/32]", false},
		{64500, 2, "[192.0.2.0/24 198.51.100.0/24]", true},
		{64501, 10, "[192.0.2.0/24 203.0.113.0/24]", false},
		{64502, 10, "[]", false},
	}
	for _, tc := range tests {
		got, more := snap.ASRanges(tc.asn, tc.limit)
		var ps []netip.Prefix
		for _, r := range got {
			ps = append(ps, r.Prefix)
			if r.ASN != tc.asn {
				t.Errorf("AS%d: got a range of AS%d", tc.asn, r.ASN)
			}
		}
		if s := fmt.Sprint(ps); s != tc.want || more != tc.more {
			t.Errorf("ASRanges(%d, %d): got %s, %v, want %s, %v", tc.asn, tc.limit, s, more, tc.want, tc.more)
		}
	}
	if r, _ := snap.ASRanges(64500, 1); len(r) != 1 || r[0].Description[0] != "Example Net" {
		t.Errorf("description: got %v", r)
	}
	var empty Snapshot
	if r, more := empty.ASRanges(1, 10); len(r) != 0 || more {
		t.Errorf("empty snapshot: got %v, %v", r, more)
	}
}
