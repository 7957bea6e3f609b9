package importer

import (
	"fmt"
	"net/netip"
	"time"
)

// Clip shortens a value read from an input for quoting in an error
// message: at most 64 bytes, longer ones cut to 61 and marked "...".
func Clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:61] + "..."
}

// Date parses a date field of an input: RFC 3339, or "2006-01-02" for
// midnight UTC. An empty value is the zero time, or an error when the
// field is required.
func Date(field, s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, fmt.Errorf("missing field %q", field)
		}
		return time.Time{}, nil
	}
	var t time.Time
	var err error
	if len(s) == 10 {
		t, err = time.Parse(time.DateOnly, s)
	} else {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q in %q: want RFC 3339 or YYYY-MM-DD", Clip(s), field)
	}
	return t.UTC(), nil
}

// Widest networks an indicator (a report's or a STIX bundle's) may name:
// a wider one is refused (a /8 would put millions of addresses in a
// category).
const (
	MinNetBits4 = 16
	MinNetBits6 = 32
)

// Network parses an address or a CIDR network as an indicator names it:
// IPv4-mapped forms unmapped, host bits cleared, a single address as a
// /32 or /128. ok is false when s is neither; minBits is the narrowest
// prefix length allowed for its family and wide reports whether the
// network is wider than that.
func Network(s string) (pfx netip.Prefix, minBits int, wide, ok bool) {
	pfx, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, 0, false, false
		}
		a = a.Unmap()
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
		pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
	}
	pfx = pfx.Masked()
	minBits = MinNetBits6
	if pfx.Addr().Is4() {
		minBits = MinNetBits4
	}
	return pfx, minBits, pfx.Bits() < minBits, true
}
