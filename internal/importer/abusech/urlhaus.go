package abusech

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/csvline"
	"github.com/tipd/tipd/internal/importer/urlfeed"
	"github.com/tipd/tipd/internal/intel"
)

// urlhausHeader is the documented column order of the URLhaus CSV dump.
const urlhausHeader = "id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter"

// URLhaus parses the URLhaus CSV dump (-format urlhaus).
type URLhaus struct {
	feed string
	csvRows
}

// NewURLhaus returns a URLhaus parser; o.Feed replaces the feed name
// "URLhaus".
func NewURLhaus(o importer.ParserConfig) *URLhaus {
	cols, _ := csvline.ParseHeader([]byte(urlhausHeader))
	return &URLhaus{feed: cmp.Or(o.Feed, FeedURLhaus), csvRows: csvRows{cols: cols}}
}

// Parse implements importer.Parser.
func (p *URLhaus) Parse(line []byte, _ int, b *intel.Batch) error {
	f, ok, err := p.row(line, func(h []byte) bool {
		return bytes.Contains(h, []byte("url_status")) && bytes.Contains(h, []byte("url"))
	}, func(cols csvline.Columns) error {
		if !cols.Has("url") {
			return fmt.Errorf("header has no url column")
		}
		return nil
	})
	if !ok {
		return err
	}
	c := p.cols
	raw := c.Get(f, "url")
	if none(raw) {
		return fmt.Errorf("empty url")
	}
	added, err := parseTime("dateadded", c.Get(f, "dateadded"))
	if err != nil {
		return err
	}
	lastOnline, err := parseTime("last_online", c.Get(f, "last_online"))
	if err != nil {
		return err
	}
	first, last := seen(added, lastOnline)
	var zone, maskZone intel.Zone
	switch status := strings.ToLower(c.Get(f, "url_status")); status {
	case "online":
		zone, maskZone = intel.ZoneRed, intel.ZoneRed
	case "offline", "unknown", "":
		zone = intel.ZoneOrange
	default:
		return fmt.Errorf("unknown url_status %q", clip(status))
	}
	switch threat := c.Get(f, "threat"); threat {
	case "malware_download", "", "None":
	default:
		return fmt.Errorf("unknown threat %q", clip(threat))
	}
	cats := []intel.Category{intel.CatMalware}
	for tag := range strings.SplitSeq(c.Get(f, "tags"), ",") {
		if cat, ok := tagCategory(tag); ok {
			cats = urlfeed.AddCategory(cats, cat)
		}
	}
	e := urlfeed.Entry{URL: raw, Categories: cats, Zone: zone, Feed: p.feed, FirstSeen: first, LastSeen: last}
	if maskZone != "" {
		e.MaskFeed, e.MaskZone = MaskFeedURL, maskZone
	}
	_, err = urlfeed.Append(b, &e)
	return err
}
