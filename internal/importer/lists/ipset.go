package lists

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// IPSet parses FireHOL-style .netset and .ipset lists and plain lists of one
// address, CIDR or `start - end` range per line (-format ipset). The
// category and feed name come from the command line (-category, -feed;
// see CheckIPSet). A single address (or a /32, /128) becomes a listing, a
// network a network listing.
//
// Private and other special-purpose space is kept as listed: the lookup
// answers such addresses as Reserved and never shows intelligence for them,
// so a list that includes 10.0.0.0/8 imports without turning anything Red.
// The FireHOL header's `This File Date` dates the entries.
type IPSet struct {
	feed     string
	category intel.Category
	zone     intel.Zone
	date     time.Time
	optErr   error
}

// NewIPSet returns an ipset parser for o.Feed and o.Category. Without them
// every data line is bad; check the options first with CheckIPSet.
func NewIPSet(o importer.ParserConfig) *IPSet {
	z, _ := intel.CategoryZone(o.Category)
	return &IPSet{feed: o.Feed, category: o.Category, zone: z, optErr: CheckIPSet(o)}
}

// Parse implements importer.Parser.
func (p *IPSet) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil
	}
	if line[0] == '#' || line[0] == ';' {
		p.comment(line)
		return nil
	}
	if p.optErr != nil {
		return p.optErr
	}
	s := string(line)
	if i := strings.IndexAny(s, "#;"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if strings.Contains(s, "-") {
		start, end, prefixes, err := importer.ParseRange(s)
		if err != nil {
			return err
		}
		if start == end {
			p.listing(b, start)
			return nil
		}
		for _, pf := range prefixes {
			p.netListing(b, pf)
		}
		return nil
	}
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		if err != nil || pf.Addr().Zone() != "" || pf.Addr().Is4In6() {
			return fmt.Errorf("bad network %q", clip(s))
		}
		if pf.IsSingleIP() {
			p.listing(b, pf.Addr())
		} else {
			p.netListing(b, pf.Masked())
		}
		return nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return fmt.Errorf("bad address %q", clip(s))
	}
	p.listing(b, ip.Unmap())
	return nil
}

func (p *IPSet) listing(b *intel.Batch, ip netip.Addr) {
	b.Listings = append(b.Listings, intel.Listing{IP: ip, Category: p.category, Feed: p.feed,
		FirstSeen: p.date, LastSeen: p.date})
}

func (p *IPSet) netListing(b *intel.Batch, pf netip.Prefix) {
	b.NetListings = append(b.NetListings, intel.NetListing{Prefix: pf, Category: p.category, Zone: p.zone,
		Feed: p.feed, FirstSeen: p.date, LastSeen: p.date})
}

// comment picks the list's date from FireHOL's `# This File Date :` line.
func (p *IPSet) comment(line []byte) {
	s := strings.TrimSpace(strings.TrimLeft(string(line), "#;"))
	name, val, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(strings.Join(strings.Fields(name), " "), "This File Date") {
		return
	}
	if t, err := time.Parse(time.UnixDate, strings.Join(strings.Fields(val), " ")); err == nil {
		p.date = t.UTC()
	}
}
