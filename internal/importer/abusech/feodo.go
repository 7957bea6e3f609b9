package abusech

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/csvline"
	"github.com/tipd/tipd/internal/intel"
)

// Column headers of the Feodo Tracker block list: the current one and the
// one of older files.
const (
	feodoHeader    = "first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware"
	feodoOldHeader = "Firstseen,DstIP,DstPort,LastOnline,Malware"
)

// Feodo parses the Feodo Tracker IP block list CSV (-format feodo), with
// either header.
type Feodo struct {
	feed string
	csvRows
}

// NewFeodo returns a Feodo Tracker parser; o.Feed replaces the feed name
// "Feodo Tracker".
func NewFeodo(o importer.ParserConfig) *Feodo {
	cols, _ := csvline.ParseHeader([]byte(feodoHeader))
	return &Feodo{feed: cmp.Or(o.Feed, FeedFeodo), csvRows: csvRows{cols: cols}}
}

// isFeodoHeader recognises either header in a comment.
func isFeodoHeader(h []byte) bool {
	lh := bytes.ToLower(h)
	return bytes.Contains(lh, []byte("dst_ip")) || bytes.Contains(lh, []byte("dstip"))
}

// Parse implements importer.Parser.
func (p *Feodo) Parse(line []byte, _ int, b *intel.Batch) error {
	f, ok, err := p.row(line, isFeodoHeader, nil)
	if !ok {
		return err
	}
	c := p.cols
	s := c.Get(f, "dst_ip", "dstip")
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return fmt.Errorf("bad address %q in dst_ip", clip(s))
	}
	if port := c.Get(f, "dst_port", "dstport"); !none(port) {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("bad port %q in dst_port", clip(port))
		}
	}
	switch st := strings.ToLower(c.Get(f, "c2_status")); st {
	case "", "online", "offline", "unknown":
	default:
		return fmt.Errorf("unknown c2_status %q", clip(st))
	}
	first, err := parseTime("first_seen_utc", c.Get(f, "first_seen_utc", "firstseen"))
	if err != nil {
		return err
	}
	last, err := parseTime("last_online", c.Get(f, "last_online", "lastonline"))
	if err != nil {
		return err
	}
	first, last = seen(first, last)
	b.Listings = append(b.Listings, intel.Listing{IP: ip.Unmap(), Category: intel.CatBotnetCNC, Feed: p.feed,
		FirstSeen: first, LastSeen: last, Source: intel.Source{Feed: withFamily(p.feed, c.Get(f, "malware"))}})
	return nil
}
