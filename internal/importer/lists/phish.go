package lists

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/csvline"
	"github.com/tipd/tipd/internal/importer/urlfeed"
	"github.com/tipd/tipd/internal/intel"
)

// OpenPhish parses the OpenPhish feed (-format openphish): one web address
// per line, no dates. Each is a Red phishing web address on its host, the
// host (when an IP address) is listed in CATEGORY_PHISHING, and the web
// address is a Red mask of the "Phishing URL Feed".
type OpenPhish struct {
	feed string
}

// NewOpenPhish returns an OpenPhish parser; o.Feed replaces the feed name
// "OpenPhish".
func NewOpenPhish(o importer.ParserConfig) *OpenPhish {
	return &OpenPhish{feed: cmp.Or(o.Feed, FeedOpenPhish)}
}

// Parse implements importer.Parser. Lines starting with '#' are comments.
func (p *OpenPhish) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	_, err := urlfeed.Append(b, &urlfeed.Entry{URL: string(line), Categories: []intel.Category{intel.CatPhishing},
		Zone: intel.ZoneRed, Feed: p.feed, MaskFeed: MaskFeedPhishing, MaskZone: intel.ZoneRed})
	return err
}

// phishtankHeader is the documented column order of the PhishTank CSV.
const phishtankHeader = "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target"

// PhishTank parses the PhishTank CSV (-format phishtank). Every verified
// entry is a phishing web address as for OpenPhish, plus one phishing event
// (IPPhishingInfo) with the entry's id, submission time and target
// organisation, on the host's address — or, for a domain, on every address
// it resolved to. Entries not verified are counted and passed over; entries
// no longer online are kept as Orange web addresses without a mask.
type PhishTank struct {
	importer.IgnoreCounter
	feed   string
	cols   csvline.Columns
	fields []string
}

// NewPhishTank returns a PhishTank parser; o.Feed replaces the feed name
// "PhishTank".
func NewPhishTank(o importer.ParserConfig) *PhishTank {
	cols, _ := csvline.ParseHeader([]byte(phishtankHeader))
	return &PhishTank{feed: cmp.Or(o.Feed, FeedPhishTank), cols: cols}
}

// Parse implements importer.Parser.
func (p *PhishTank) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	if bytes.HasPrefix(line, []byte("phish_id,")) {
		cols, err := csvline.ParseHeader(line)
		if err != nil {
			return fmt.Errorf("header: %w", err)
		}
		if !cols.Has("url") || !cols.Has("phish_id") {
			return fmt.Errorf("header has no url or phish_id column")
		}
		p.cols = cols
		return nil
	}
	f, err := csvline.Split(line, p.fields)
	p.fields = f
	if err != nil {
		return err
	}
	if len(f) < len(p.cols) {
		return fmt.Errorf("%d fields, want %d", len(f), len(p.cols))
	}
	c := p.cols
	id := strings.TrimSpace(c.Get(f, "phish_id"))
	if id == "" {
		return fmt.Errorf("empty phish_id")
	}
	submitted, err := phishTime("submission_time", c.Get(f, "submission_time"))
	if err != nil {
		return err
	}
	verifiedAt, err := phishTime("verification_time", c.Get(f, "verification_time"))
	if err != nil {
		return err
	}
	switch v := strings.ToLower(c.Get(f, "verified")); v {
	case "yes", "true", "":
	case "no", "false":
		p.Add(IgnoredUnverified)
		return nil
	default:
		return fmt.Errorf("bad verified %q", clip(v))
	}
	e := urlfeed.Entry{URL: c.Get(f, "url"), Categories: []intel.Category{intel.CatPhishing}, Feed: p.feed,
		FirstSeen: submitted, LastSeen: verifiedAt}
	switch o := strings.ToLower(c.Get(f, "online")); o {
	case "yes", "true", "":
		e.Zone, e.MaskFeed, e.MaskZone = intel.ZoneRed, MaskFeedPhishing, intel.ZoneRed
	case "no", "false":
		e.Zone = intel.ZoneOrange
	default:
		return fmt.Errorf("bad online %q", clip(o))
	}
	placed, err := urlfeed.Append(b, &e)
	if err != nil {
		return err
	}
	ev := intel.PhishingEvent{IP: placed.IP, ID: id, Time: submitted, Source: intel.Source{Feed: p.feed}}
	if !placed.IP.IsValid() {
		ev.Domain = placed.Host
	}
	if t := strings.TrimSpace(c.Get(f, "target")); t != "" && !strings.EqualFold(t, "Other") {
		ev.Organization = t
	}
	if ev.Time.IsZero() {
		return fmt.Errorf("empty submission_time")
	}
	b.PhishingEvents = append(b.PhishingEvents, ev)
	return nil
}

// phishTime reads PhishTank's RFC 3339 times ("2026-11-25T10:00:00+00:00").
func phishTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q in %s", clip(s), field)
	}
	return t.UTC(), nil
}
