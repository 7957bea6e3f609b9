package lists

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// DROP parses the Spamhaus DROP lists (DROP, EDROP, DROPv6) in their text
// form (`; ` comments, `CIDR ; SBLnnnn` lines) and their JSON form (one
// object per line, `{"cidr","sblid","rir"}`, and a final
// `{"type":"metadata",…}` line). Every network becomes a network listing
// of CATEGORY_BAD_REPUTATION, shown as a Network feed mask.
//
// The text form's `; Last-Modified:` comment dates the networks listed
// after it. The JSON form is dated only by its final metadata line: its
// networks are first listed without a date, and the metadata line lists
// them again with its timestamp as their last-seen date (the parser keeps
// up to maxDated (65,536) networks of a file for this; DROP lists hold a
// few thousand). The metadata line's record count is checked against the
// networks read, to catch a truncated download.
type DROP struct {
	feed    string
	updated time.Time
	records int64 // data lines seen, good or bad
	rec     dropRecord
	seen    []intel.NetListing // JSON form: the networks to date at the end
}

// maxDated bounds the networks of a JSON file dated by its metadata line,
// and so the memory a JSON file can take whatever its size: Spamhaus's
// lists hold a few thousand networks; a file with more keeps them listed
// without a date of the file (the import dates them, docs/import-formats.md).
const maxDated = 1 << 16

type dropRecord struct {
	CIDR      string  `json:"cidr"`
	SBLID     string  `json:"sblid"`
	RIR       string  `json:"rir"`
	Type      string  `json:"type"`
	Timestamp *int64  `json:"timestamp"`
	Records   *int64  `json:"records"`
	Size      *int64  `json:"size"`
	Copyright *string `json:"copyright"`
}

// NewDROP returns a DROP parser; o.Feed replaces the feed name
// "Spamhaus DROP".
func NewDROP(o importer.ParserConfig) *DROP {
	return &DROP{feed: cmp.Or(o.Feed, FeedDROP)}
}

// Parse implements importer.Parser.
func (p *DROP) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil
	}
	switch line[0] {
	case ';', '#':
		p.comment(line)
		return nil
	case '{':
		return p.json(line, b)
	}
	p.records++
	cidr, sbl, _ := strings.Cut(string(line), ";")
	return p.add(b, strings.TrimSpace(cidr), strings.TrimSpace(sbl))
}

// comment picks the list's date from a `; Last-Modified:` line.
func (p *DROP) comment(line []byte) {
	s := strings.TrimSpace(strings.TrimLeft(string(line), ";#"))
	name, val, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(strings.TrimSpace(name), "Last-Modified") {
		return
	}
	if t, err := time.Parse(time.RFC1123, strings.TrimSpace(val)); err == nil {
		p.updated = t.UTC()
	}
}

func (p *DROP) json(line []byte, b *intel.Batch) error {
	r := &p.rec
	*r = dropRecord{}
	if err := json.Unmarshal(line, r); err != nil {
		p.records++
		return fmt.Errorf("not a DROP JSON line: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if r.Type == "metadata" {
		if r.Records != nil && *r.Records != p.records {
			return fmt.Errorf("metadata counts %d networks, the file holds %d (truncated download?)", *r.Records, p.records)
		}
		if r.Timestamp != nil && *r.Timestamp > 0 && len(p.seen) <= maxDated {
			t := time.Unix(*r.Timestamp, 0).UTC()
			for _, l := range p.seen {
				l.FirstSeen, l.LastSeen = t, t
				b.NetListings = append(b.NetListings, l)
			}
		}
		p.seen = nil
		return nil
	}
	p.records++
	if r.Type != "" {
		return fmt.Errorf("unknown line type %q", clip(r.Type))
	}
	if r.CIDR == "" {
		return fmt.Errorf("missing field %q", "cidr")
	}
	if err := p.add(b, r.CIDR, r.SBLID); err != nil {
		return err
	}
	if len(p.seen) <= maxDated {
		p.seen = append(p.seen, b.NetListings[len(b.NetListings)-1])
	}
	return nil
}

func (p *DROP) add(b *intel.Batch, cidr, sbl string) error {
	pf, err := netip.ParsePrefix(cidr)
	if err != nil || pf.Addr().Zone() != "" {
		return fmt.Errorf("bad network %q", clip(cidr))
	}
	if pf.Addr().Is4In6() {
		return fmt.Errorf("bad network %q: IPv4-mapped", clip(cidr))
	}
	if sbl != "" && !strings.HasPrefix(sbl, "SBL") {
		return fmt.Errorf("bad SBL id %q", clip(sbl))
	}
	src := p.feed
	if sbl != "" {
		src += " (" + sbl + ")"
	}
	zone, _ := intel.CategoryZone(intel.CatBadReputation)
	b.NetListings = append(b.NetListings, intel.NetListing{Prefix: pf.Masked(), Category: intel.CatBadReputation,
		Zone: zone, Feed: p.feed, FirstSeen: p.updated, LastSeen: p.updated, Source: intel.Source{Feed: src}})
	return nil
}
