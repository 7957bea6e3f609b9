package importer

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
)

// SplitRange returns the smallest list of CIDR prefixes that exactly cover
// the inclusive range start-end, in address order. Both ends must be of the
// same family (IPv4-mapped IPv6 addresses are unmapped first); it returns
// nil for invalid input or start > end. An IPv4 range yields at most 62
// prefixes, an IPv6 range at most 254.
func SplitRange(start, end netip.Addr) []netip.Prefix {
	start, end = start.Unmap(), end.Unmap()
	if !start.IsValid() || !end.IsValid() || start.Is4() != end.Is4() || end.Less(start) {
		return nil
	}
	start, end = start.WithZone(""), end.WithZone("")
	width := start.BitLen()
	lo, hi := toU128(start), toU128(end)
	var out []netip.Prefix
	for {
		// The largest block aligned at lo that does not pass hi.
		size := lo.trailingZeros()
		if size > width {
			size = width
		}
		for size > 0 && lo.addMask(size).greater(hi) {
			size--
		}
		out = append(out, netip.PrefixFrom(fromU128(lo, start.Is4()), width-size))
		last := lo.addMask(size)
		if !hi.greater(last) {
			return out
		}
		lo = last.inc()
	}
}

// ParseRange parses a network as published: a CIDR ("45.95.147.0/24"; host
// bits are cleared), an inclusive range ("45.95.147.0 - 45.95.147.255",
// spaces optional) or a single address. It returns the range's ends and its
// CIDRs.
func ParseRange(s string) (start, end netip.Addr, prefixes []netip.Prefix, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return start, end, nil, fmt.Errorf("missing range")
	}
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return start, end, nil, fmt.Errorf("invalid CIDR %q", s)
		}
		if p.Addr().Is4In6() {
			bitsLeft := p.Bits() - 96
			if bitsLeft < 0 {
				return start, end, nil, fmt.Errorf("invalid CIDR %q: IPv4-mapped prefix shorter than /96", s)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bitsLeft)
		}
		p = p.Masked()
		return p.Addr(), lastAddr(p), []netip.Prefix{p}, nil
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		a, err1 := parseAddr(strings.TrimSpace(s[:i]))
		b, err2 := parseAddr(strings.TrimSpace(s[i+1:]))
		if err1 != nil || err2 != nil {
			return start, end, nil, fmt.Errorf("invalid range %q", s)
		}
		if a.Is4() != b.Is4() {
			return start, end, nil, fmt.Errorf("invalid range %q: ends of different families", s)
		}
		if b.Less(a) {
			return start, end, nil, fmt.Errorf("invalid range %q: end before start", s)
		}
		return a, b, SplitRange(a, b), nil
	}
	a, err := parseAddr(s)
	if err != nil {
		return start, end, nil, fmt.Errorf("invalid range %q", s)
	}
	return a, a, []netip.Prefix{netip.PrefixFrom(a, a.BitLen())}, nil
}

// parseAddr parses an address without zone, unmapping IPv4-mapped IPv6.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid address %q", s)
	}
	return a.Unmap(), nil
}

// lastAddr is the last address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	v := toU128(p.Addr())
	host := p.Addr().BitLen() - p.Bits()
	return fromU128(v.addMask(host), p.Addr().Is4())
}

// u128 is an address as a 128-bit number (IPv4 in the low 32 bits).
type u128 struct{ hi, lo uint64 }

func toU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{lo: uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var v u128
	for i := 0; i < 8; i++ {
		v.hi = v.hi<<8 | uint64(b[i])
		v.lo = v.lo<<8 | uint64(b[i+8])
	}
	return v
}

func fromU128(v u128, is4 bool) netip.Addr {
	if is4 {
		return netip.AddrFrom4([4]byte{byte(v.lo >> 24), byte(v.lo >> 16), byte(v.lo >> 8), byte(v.lo)})
	}
	var b [16]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(v.hi)
		b[i+8] = byte(v.lo)
		v.hi >>= 8
		v.lo >>= 8
	}
	return netip.AddrFrom16(b)
}

func (v u128) trailingZeros() int {
	if v.lo != 0 {
		return bits.TrailingZeros64(v.lo)
	}
	if v.hi != 0 {
		return 64 + bits.TrailingZeros64(v.hi)
	}
	return 128
}

// addMask returns v with its low n bits set.
func (v u128) addMask(n int) u128 {
	switch {
	case n <= 0:
		return v
	case n < 64:
		v.lo |= 1<<uint(n) - 1
	case n == 64:
		v.lo = ^uint64(0)
	case n < 128:
		v.lo = ^uint64(0)
		v.hi |= 1<<uint(n-64) - 1
	default:
		v.lo, v.hi = ^uint64(0), ^uint64(0)
	}
	return v
}

func (v u128) greater(w u128) bool {
	return v.hi > w.hi || v.hi == w.hi && v.lo > w.lo
}

func (v u128) inc() u128 {
	v.lo++
	if v.lo == 0 {
		v.hi++
	}
	return v
}
