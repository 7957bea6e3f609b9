package importer

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

func TestSplitRange(t *testing.T) {
	tests := []struct {
		start, end string
		want       string
	}{
		{"45.95.147.0", "45.95.147.255", "45.95.147.0/24"},
		{"45.95.147.10", "45.95.147.10", "45.95.147.10/32"},
		// 768 addresses: not a power of two.
		{"5.8.0.0", "5.8.2.255", "5.8.0.0/23 5.8.2.0/24"},
		// 1280 addresses from a delegated file.
		{"46.36.0.0", "46.36.4.255", "46.36.0.0/22 46.36.4.0/24"},
		{"5.8.0.1", "5.8.0.6", "5.8.0.1/32 5.8.0.2/31 5.8.0.4/31 5.8.0.6/32"},
		{"77.1.2.3", "77.1.3.0", "77.1.2.3/32 77.1.2.4/30 77.1.2.8/29 77.1.2.16/28 77.1.2.32/27 77.1.2.64/26 77.1.2.128/25 77.1.3.0/32"},
		{"0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"255.255.255.254", "255.255.255.255", "255.255.255.254/31"},
		{"255.255.255.255", "255.255.255.255", "255.255.255.255/32"},
		{"::ffff:45.95.147.0", "::ffff:45.95.147.127", "45.95.147.0/25"},
		{"2a0e:97c0::", "2a0e:97c0::ffff", "2a0e:97c0::/112"},
		{"2a00::1", "2a00::4", "2a00::1/128 2a00::2/127 2a00::4/128"},
		{"2a00::", "2a00:0:0:1::ffff", "2a00::/64 2a00:0:0:1::/112"},
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
		{"2a00:0:0:0:ffff:ffff:ffff:ffff", "2a00:0:0:1::", "2a00::ffff:ffff:ffff:ffff/128 2a00:0:0:1::/128"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"},
		// invalid
		{"45.95.147.10", "45.95.147.9", ""},
		{"45.95.147.10", "2a00::1", ""},
	}
	for _, tt := range tests {
		got := SplitRange(netip.MustParseAddr(tt.start), netip.MustParseAddr(tt.end))
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if g := strings.Join(s, " "); g != tt.want {
			t.Errorf("SplitRange(%s, %s) = %q, want %q", tt.start, tt.end, g, tt.want)
		}
	}
	if got := SplitRange(netip.Addr{}, netip.MustParseAddr("5.8.0.1")); got != nil {
		t.Errorf("SplitRange(invalid, ...) = %v, want nil", got)
	}
}

// TestSplitRangeCovers checks on random ranges that the prefixes are
// aligned, contiguous, exactly cover the range and are not more than needed.
func TestSplitRangeCovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		var a, b netip.Addr
		if i%2 == 0 {
			x, y := rng.Uint32(), rng.Uint32()
			if i%4 == 0 {
				y = x + rng.Uint32N(5000)
			}
			if y < x {
				x, y = y, x
			}
			a, b = fromU128(u128{lo: uint64(x)}, true), fromU128(u128{lo: uint64(y)}, true)
		} else {
			x := u128{hi: rng.Uint64(), lo: rng.Uint64()}
			y := x
			y.lo += rng.Uint64N(1 << 40)
			if y.lo < x.lo {
				y.hi++
			}
			if x.greater(y) {
				x, y = y, x
			}
			a, b = fromU128(x, false), fromU128(y, false)
		}
		ps := SplitRange(a, b)
		if len(ps) == 0 || len(ps) > 2*a.BitLen() {
			t.Fatalf("SplitRange(%s, %s): %d prefixes", a, b, len(ps))
		}
		next := a
		for j, p := range ps {
			if p.Addr() != next || p.Masked() != p {
				t.Fatalf("SplitRange(%s, %s)[%d] = %s, want an aligned prefix at %s", a, b, j, p, next)
			}
			// Minimal: the prefix could not be one bit shorter.
			if p.Bits() > 0 {
				wider := netip.PrefixFrom(p.Addr(), p.Bits()-1)
				if wider.Masked().Addr() == p.Addr() && !b.Less(lastAddr(wider)) {
					t.Fatalf("SplitRange(%s, %s)[%d] = %s, could be %s", a, b, j, p, wider)
				}
			}
			next = lastAddr(p).Next()
		}
		if last := lastAddr(ps[len(ps)-1]); last != b {
			t.Fatalf("SplitRange(%s, %s) ends at %s", a, b, last)
		}
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in, start, end, prefixes, err string
	}{
		{in: "45.95.147.0/24", start: "45.95.147.0", end: "45.95.147.255", prefixes: "45.95.147.0/24"},
		{in: "45.95.147.10/24", start: "45.95.147.0", end: "45.95.147.255", prefixes: "45.95.147.0/24"},
		{in: "45.95.147.0 - 45.95.148.255", start: "45.95.147.0", end: "45.95.148.255", prefixes: "45.95.147.0/24 45.95.148.0/24"},
		{in: "45.95.147.0-45.95.147.127", start: "45.95.147.0", end: "45.95.147.127", prefixes: "45.95.147.0/25"},
		{in: "45.95.147.10", start: "45.95.147.10", end: "45.95.147.10", prefixes: "45.95.147.10/32"},
		{in: "2a0e:97c0::/32", start: "2a0e:97c0::", end: "2a0e:97c0:ffff:ffff:ffff:ffff:ffff:ffff", prefixes: "2a0e:97c0::/32"},
		{in: "::ffff:45.95.147.0/120", start: "45.95.147.0", end: "45.95.147.255", prefixes: "45.95.147.0/24"},
		{in: "2a00::1", start: "2a00::1", end: "2a00::1", prefixes: "2a00::1/128"},
		{in: "", err: "missing"},
		{in: "45.95.147.0/33", err: "invalid CIDR"},
		{in: "45.95.147.9 - 45.95.147.1", err: "end before start"},
		{in: "45.95.147.9 - 2a00::1", err: "different families"},
		{in: "45.95.147 - 45.95.147.1", err: "invalid range"},
		{in: "fe80::1%eth0", err: "invalid range"},
		{in: "::ffff:1.2.3.4/64", err: "shorter than /96"},
	}
	for _, tt := range tests {
		s, e, ps, err := ParseRange(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseRange(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRange(%q): %v", tt.in, err)
			continue
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if s.String() != tt.start || e.String() != tt.end || strings.Join(got, " ") != tt.prefixes {
			t.Errorf("ParseRange(%q) = %s, %s, %v; want %s, %s, %s", tt.in, s, e, got, tt.start, tt.end, tt.prefixes)
		}
	}
}
