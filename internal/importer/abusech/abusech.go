// Package abusech parses the CSV and JSON dumps of the abuse.ch projects:
// URLhaus (-format urlhaus), ThreatFox (-format threatfox, CSV and JSON
// export) and the Feodo Tracker IP block list (-format feodo).
// docs/import-formats.md documents how each maps onto tipd's evidence.
//
// The dumps start with a banner of '#' comment lines; the column header is
// itself a comment. Parsers read the columns from that header when they
// find it (so older and newer column orders both work) and fall back to the
// documented order otherwise.
package abusech

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/csvline"
	"github.com/tipd/tipd/internal/intel"
)

// Default feed names, used when -feed is not given.
const (
	FeedURLhaus   = "URLhaus"
	FeedThreatFox = "ThreatFox"
	FeedFeodo     = "Feodo Tracker"
	// MaskFeedURL is the feed name of the masks URLhaus publishes.
	MaskFeedURL = "Malicious URL Feed"
)

// Reasons for records that are valid but hold nothing tipd can keep; they
// are counted (importer.Ignorer) and shown in the summary, not reported as
// bad lines.
const (
	IgnoredUnsupported = "skipped: unsupported ioc_type"
	// IgnoredSHA3 counts SHA3-384 hashes: files are keyed by MD5, SHA-1
	// and SHA-256 only.
	IgnoredSHA3 = "skipped: sha3_384_hash (files are known by MD5, SHA-1 and SHA-256)"
)

// timeLayouts are the date forms of abuse.ch files, all UTC.
var timeLayouts = [...]string{time.DateTime, time.DateOnly, time.RFC3339, "2006-01-02 15:04:05 MST"}

// parseTime reads a date of an abuse.ch file; "", "None" and "null" are
// the zero time.
func parseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if none(s) {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q in %s", clip(s), field)
}

// none reports whether a field is empty: abuse.ch writes None (CSV) or
// null (JSON).
func none(s string) bool {
	return s == "" || s == "None" || s == "none" || s == "null" || s == "n/a"
}

// seen orders first and last seen: a missing one stands for the other, and
// a last seen before the first seen is raised to it.
func seen(first, last time.Time) (time.Time, time.Time) {
	if first.IsZero() {
		first = last
	}
	if last.Before(first) {
		last = first
	}
	return first, last
}

// clip shortens a value for an error message.
var clip = importer.Clip

// withFamily is the provenance feed name of a record that names its malware
// family: "Feodo Tracker (Dridex)".
func withFamily(feed, family string) string {
	family = strings.TrimSpace(family)
	if none(family) {
		return feed
	}
	return feed + " (" + family + ")"
}

// tagCategory maps a URLhaus or ThreatFox tag to a category where one fits;
// other tags (file types, architectures, family names) are not categories.
func tagCategory(tag string) (intel.Category, bool) {
	t := strings.ToLower(strings.TrimSpace(tag))
	switch {
	case strings.Contains(t, "ransom"):
		return intel.CatRansomware, true
	case t == "miner" || t == "coinminer" || t == "cryptominer" || t == "xmrig" || strings.HasSuffix(t, "-miner"):
		return intel.CatMiner, true
	case strings.Contains(t, "phish"):
		return intel.CatPhishing, true
	case t == "adware":
		return intel.CatAdware, true
	case t == "riskware":
		return intel.CatRiskware, true
	case t == "apt" || strings.HasPrefix(t, "apt-") || strings.HasPrefix(t, "apt_"):
		return intel.CatAPT, true
	}
	return "", false
}

// csvRows is what the abuse.ch CSV parsers share: the columns (from the
// documented header until a header comment replaces them) and the split
// fields of the current line, reused from line to line.
type csvRows struct {
	cols   csvline.Columns
	fields []string
}

// row splits one line into fields. Blank lines and comments give ok
// false; a comment that isHeader recognises (given the comment without its
// '#') replaces the columns, after check (when not nil) accepts them.
func (r *csvRows) row(line []byte, isHeader func(h []byte) bool, check func(csvline.Columns) error) (f []string, ok bool, err error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil, false, nil
	}
	if line[0] == '#' {
		h := bytes.TrimSpace(bytes.TrimLeft(line, "#"))
		if !isHeader(h) {
			return nil, false, nil
		}
		cols, err := csvline.ParseHeader(h)
		if err != nil {
			return nil, false, fmt.Errorf("header: %w", err)
		}
		if check != nil {
			if err := check(cols); err != nil {
				return nil, false, err
			}
		}
		r.cols = cols
		return nil, false, nil
	}
	f, err = csvline.Split(line, r.fields)
	r.fields = f
	if err != nil {
		return nil, false, err
	}
	if len(f) < len(r.cols) {
		return nil, false, fmt.Errorf("%d fields, want %d", len(f), len(r.cols))
	}
	return f, true, nil
}
