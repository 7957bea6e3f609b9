package rir

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// Delegated parses RIR statistics exchange files:
//
//	2|ripencc|20261128|61234|19830705|20261127|+0100        version line
//	ripencc|*|ipv4|*|32000|summary                           summary lines
//	ripencc|NL|ipv4|45.95.144.0|1024|20190522|allocated|a1b2c3-…
//	ripencc|NL|ipv6|2a0e:97c0::|29|20200115|allocated|a1b2c3-…
//
// The value of an ipv4 record is a count of addresses (not always a power
// of two: the range is split into CIDRs), of an ipv6 record a prefix
// length. Records with status allocated or assigned feed CountryRange;
// available and reserved space, and asn records, are valid lines counted
// as ignored.
type Delegated struct {
	header  bool // the version line was seen
	ignored importer.IgnoreCounter
	fields  [][]byte
}

// NewDelegated returns a parser of delegated files.
func NewDelegated(importer.ParserConfig) *Delegated { return &Delegated{} }

// Ignored implements importer.Ignorer.
func (p *Delegated) Ignored() []importer.Ignored { return p.ignored.Ignored() }

// Parse implements importer.Parser.
func (p *Delegated) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	p.fields = splitPipe(p.fields[:0], line)
	f := p.fields
	if !p.header {
		p.header = true
		if len(f) >= 2 && isVersion(f[0]) {
			return nil // version line: version|registry|serial|records|startdate|enddate|UTCoffset
		}
	}
	if len(f) == 6 && string(f[1]) == "*" && string(f[5]) == "summary" {
		return nil
	}
	if len(f) < 7 {
		return fmt.Errorf("want at least 7 fields registry|cc|type|start|value|date|status, got %d", len(f))
	}
	typ := string(f[2])
	status := strings.ToLower(string(f[6]))
	switch status {
	case "allocated", "assigned", "available", "reserved":
	default:
		return fmt.Errorf("unknown status %q", clip(string(f[6])))
	}
	var prefixes []netip.Prefix
	switch typ {
	case "ipv4":
		start, err := netip.ParseAddr(string(f[3]))
		if err != nil || !start.Is4() {
			return fmt.Errorf("bad ipv4 start %q", clip(string(f[3])))
		}
		n, err := strconv.ParseUint(string(f[4]), 10, 64)
		if err != nil || n == 0 {
			return fmt.Errorf("bad ipv4 count %q: want a number of addresses", clip(string(f[4])))
		}
		b4 := start.As4()
		s := uint64(b4[0])<<24 | uint64(b4[1])<<16 | uint64(b4[2])<<8 | uint64(b4[3])
		last := s + n - 1
		if last > 1<<32-1 {
			return fmt.Errorf("ipv4 range %s + %d passes 255.255.255.255", start, n)
		}
		end := netip.AddrFrom4([4]byte{byte(last >> 24), byte(last >> 16), byte(last >> 8), byte(last)})
		prefixes = importer.SplitRange(start, end)
	case "ipv6":
		start, err := netip.ParseAddr(string(f[3]))
		if err != nil || !start.Is6() || start.Is4In6() || start.Zone() != "" {
			return fmt.Errorf("bad ipv6 start %q", clip(string(f[3])))
		}
		n, err := strconv.Atoi(string(f[4]))
		if err != nil || n < 0 || n > 128 {
			return fmt.Errorf("bad ipv6 prefix length %q: want 0-128", clip(string(f[4])))
		}
		pf := netip.PrefixFrom(start, n)
		if pf.Masked().Addr() != start {
			return fmt.Errorf("ipv6 start %s is not on a /%d boundary", start, n)
		}
		prefixes = []netip.Prefix{pf}
	case "asn":
		first, err1 := strconv.ParseUint(string(f[3]), 10, 32)
		n, err2 := strconv.ParseUint(string(f[4]), 10, 32)
		if err1 != nil || err2 != nil || n == 0 || first+n-1 > 1<<32-1 {
			return fmt.Errorf("bad asn record %q|%q", clip(string(f[3])), clip(string(f[4])))
		}
		p.ignored.Add("asn records")
		return nil
	default:
		return fmt.Errorf("unknown type %q (want ipv4, ipv6 or asn)", clip(typ))
	}
	if status == "available" || status == "reserved" {
		p.ignored.Add(status + " space")
		return nil
	}
	cc, ok := countryCode(string(f[1]))
	if !ok || cc == "ZZ" {
		return fmt.Errorf("bad country code %q for %s space", clip(string(f[1])), status)
	}
	for _, pf := range prefixes {
		b.Countries = append(b.Countries, intel.CountryRange{Prefix: pf, Country: cc})
	}
	return nil
}

// isVersion reports whether a first field is a format version ("2", "2.3").
func isVersion(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	for _, c := range f {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

func splitPipe(dst [][]byte, line []byte) [][]byte {
	for {
		i := bytes.IndexByte(line, '|')
		if i < 0 {
			return append(dst, bytes.TrimSpace(line))
		}
		dst = append(dst, bytes.TrimSpace(line[:i]))
		line = line[i+1:]
	}
}
