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

// IPtoASN parses iptoasn.com's ip2asn-v4.tsv, ip2asn-v6.tsv and
// ip2asn-combined.tsv: tab-separated range_start, range_end (inclusive),
// AS_number, country_code, AS_description. A range becomes the fewest CIDRs
// that cover it, each with an ASRange (the AS description as its one line)
// and, when the country code is one, a CountryRange. AS 0 ("Not routed")
// marks gaps between routed ranges: valid lines counted as ignored.
type IPtoASN struct {
	ignored importer.IgnoreCounter
}

// NewIPtoASN returns a parser of ip2asn files.
func NewIPtoASN(importer.ParserConfig) *IPtoASN { return &IPtoASN{} }

// Ignored implements importer.Ignorer.
func (p *IPtoASN) Ignored() []importer.Ignored { return p.ignored.Ignored() }

// Parse implements importer.Parser.
func (p *IPtoASN) Parse(line []byte, _ int, b *intel.Batch) error {
	if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
		return nil
	}
	var f [5]string
	rest := line
	for i := 0; i < 4; i++ {
		j := bytes.IndexByte(rest, '\t')
		if j < 0 {
			return fmt.Errorf("want 5 tab-separated fields range_start range_end AS_number country_code AS_description, got %d", i+1)
		}
		f[i] = string(bytes.TrimSpace(rest[:j]))
		rest = rest[j+1:]
	}
	f[4] = strings.TrimSpace(string(rest))
	start, err := netip.ParseAddr(f[0])
	if err != nil || start.Zone() != "" {
		return fmt.Errorf("bad range_start %q", clip(f[0]))
	}
	end, err := netip.ParseAddr(f[1])
	if err != nil || end.Zone() != "" {
		return fmt.Errorf("bad range_end %q", clip(f[1]))
	}
	start, end = start.Unmap(), end.Unmap()
	if start.Is4() != end.Is4() {
		return fmt.Errorf("range %s - %s: ends of different families", start, end)
	}
	if end.Less(start) {
		return fmt.Errorf("range %s - %s: end before start", start, end)
	}
	asn, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(f[2], "AS"), "as"), 10, 32)
	if err != nil {
		return fmt.Errorf("bad AS_number %q", clip(f[2]))
	}
	if asn == 0 {
		p.ignored.Add("not routed ranges (AS 0)")
		return nil
	}
	cc, hasCC := countryCode(f[3])
	switch {
	case hasCC && cc == "ZZ", f[3] == "None", f[3] == "Unknown", f[3] == "":
		hasCC = false
	case !hasCC:
		return fmt.Errorf("bad country_code %q", clip(f[3]))
	}
	var desc []string
	if f[4] != "" {
		desc = []string{f[4]}
	}
	for _, pf := range importer.SplitRange(start, end) {
		b.ASRanges = append(b.ASRanges, intel.ASRange{Prefix: pf, ASN: uint32(asn), Description: desc})
		if hasCC {
			b.Countries = append(b.Countries, intel.CountryRange{Prefix: pf, Country: cc})
		}
	}
	return nil
}
