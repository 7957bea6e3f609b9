// Package filefeed parses the public feeds of malware files by hash: the
// MalwareBazaar CSV export (-format malwarebazaar) and the URLhaus payloads
// CSV (-format urlhaus-payloads). docs/import-formats.md documents how each
// maps onto tipd's evidence.
//
// Both files start with a banner of '#' comment lines; the column header is
// itself a comment. Parsers read the columns from that header when they find
// it (so a reordered or extended export still works) and fall back to the
// documented order otherwise.
package filefeed

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
	FeedMalwareBazaar = "MalwareBazaar"
	FeedURLhaus       = "URLhaus"
)

// MaxNameLength bounds a file name kept from a feed; a longer one is cut.
const MaxNameLength = 1024

// clip shortens a value for an error message.
var clip = importer.Clip

// empty reports whether a field holds nothing: MalwareBazaar writes "n/a",
// URLhaus "None".
func empty(s string) bool {
	switch s {
	case "", "n/a", "N/A", "None", "none", "null":
		return true
	}
	return false
}

// timeLayouts are the date forms of the abuse.ch files, all UTC.
var timeLayouts = [...]string{time.DateTime, time.RFC3339, time.DateOnly}

// parseTime reads a date; an empty field is the zero time.
func parseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if empty(s) {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q in %s", clip(s), field)
}

// hash reads an optional hash column of the given kind ("MD5", "SHA-1",
// "SHA-256"): "" when empty, upper-case hex, or an error.
func hash(field, s, kind string) (string, error) {
	s = strings.TrimSpace(s)
	if empty(s) {
		return "", nil
	}
	h, ok := intel.UpperHash(s)
	if !ok || intel.HashKind(h) != kind {
		return "", fmt.Errorf("bad %s %q: want %s", field, clip(s), kind)
	}
	return h, nil
}

// cleanName is a file name as kept: control characters removed (a list
// item may not hold them), spaces around trimmed, cut at MaxNameLength
// bytes on a character boundary.
func cleanName(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s))
	if len(s) > MaxNameLength {
		s = strings.ToValidUTF8(s[:MaxNameLength], "")
	}
	return s
}

// fileType is the lower-case file type of a feed, "" when unknown.
func fileType(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if empty(s) || s == "unknown" {
		return ""
	}
	return s
}

// detection is the LinkDetections item of a detection name met at t.
func detection(owner, name string, t time.Time, src intel.Source) intel.Link {
	return intel.Link{List: intel.LinkDetections, Owner: owner, Item: name, Zone: intel.DetectionZone(name),
		FirstSeen: t, LastSeen: t, Source: src}
}

// rows is what the CSV parsers share: the columns (from the documented
// header until a header comment replaces them) and the split fields of
// the current line, reused from line to line.
type rows struct {
	cols     csvline.Columns
	fields   []string
	isHeader func(h []byte) bool // recognises the header comment (without '#')
	required []string            // columns a header must name
}

func newRows(header string, isHeader func([]byte) bool, required ...string) rows {
	cols, err := csvline.ParseHeader([]byte(header))
	if err != nil {
		panic(err)
	}
	return rows{cols: cols, isHeader: isHeader, required: required}
}

// row splits one line into fields. Blank lines and comments give ok false;
// a comment that is the header replaces the columns.
func (r *rows) row(line []byte) (f []string, ok bool, err error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil, false, nil
	}
	if line[0] == '#' {
		h := bytes.TrimSpace(bytes.TrimLeft(line, "#"))
		if !r.isHeader(h) {
			return nil, false, nil
		}
		cols, err := csvline.ParseHeader(h)
		if err != nil {
			return nil, false, fmt.Errorf("header: %w", err)
		}
		for _, c := range r.required {
			if !cols.Has(c) {
				return nil, false, fmt.Errorf("header has no %s column", c)
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
