// Package pdns parses passive DNS in the Common Output Format
// (draft-dulaunoy-dnsop-passive-dns-cof, -format pdns): one JSON object per
// line with the mandatory fields rrname, rrtype, rdata, time_first and
// time_last (seconds since the epoch) and the optional count, bailiwick,
// sensor_id, zone_time_first and zone_time_last.
//
// Only A and AAAA records name addresses: each of their rdata values makes
// one Resolution (IpDnsResolutions). Records of other types are valid lines
// that are counted as ignored, not as bad. COF keeps no per-day counts, so
// the daily peak is derived (see docs/import-formats.md): when time_first
// and time_last fall on one UTC day the peak is count on that day; otherwise
// it is count averaged over the UTC days from time_first to time_last,
// rounded up, dated on the day of time_last.
package pdns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// Record is one line of the format. Writers (the generator) fill it and
// encode it with json.Marshal.
type Record struct {
	RRName        string          `json:"rrname"`
	RRType        string          `json:"rrtype"`
	RData         json.RawMessage `json:"rdata"` // a string or a list of strings
	TimeFirst     *json.Number    `json:"time_first,omitempty"`
	TimeLast      *json.Number    `json:"time_last,omitempty"`
	Count         *json.Number    `json:"count,omitempty"`
	Bailiwick     string          `json:"bailiwick,omitempty"`
	SensorID      string          `json:"sensor_id,omitempty"`
	ZoneTimeFirst *json.Number    `json:"zone_time_first,omitempty"`
	ZoneTimeLast  *json.Number    `json:"zone_time_last,omitempty"`
}

// Parser parses COF lines. It counts the records of types it ignores.
type Parser struct {
	ignored importer.IgnoreCounter
	rdata   []string
	rec     Record
}

// New returns a parser. Options are not used: passive DNS names no feed.
func New(importer.ParserConfig) *Parser { return &Parser{} }

// Ignored implements importer.Ignorer: records of types other than A and
// AAAA, by type.
func (p *Parser) Ignored() []importer.Ignored { return p.ignored.Ignored() }

// Parse implements importer.Parser. Blank lines and lines starting with '#'
// hold no record.
func (p *Parser) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	r := &p.rec
	*r = Record{}
	if err := json.Unmarshal(line, r); err != nil {
		return fmt.Errorf("not a COF JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return p.record(r, b)
}

func (p *Parser) record(r *Record, b *intel.Batch) error {
	if r.RRName == "" {
		return fmt.Errorf("missing field %q", "rrname")
	}
	if r.RRType == "" {
		return fmt.Errorf("missing field %q", "rrtype")
	}
	if len(r.RData) == 0 || string(r.RData) == "null" {
		return fmt.Errorf("missing field %q", "rdata")
	}
	rdata, err := p.values(r.RData)
	if err != nil {
		return err
	}
	first, err := epoch("time_first", r.TimeFirst, r.ZoneTimeFirst)
	if err != nil {
		return err
	}
	last, err := epoch("time_last", r.TimeLast, r.ZoneTimeLast)
	if err != nil {
		return err
	}
	if last.Before(first) {
		return fmt.Errorf("time_last %s before time_first %s", last.Format(time.RFC3339), first.Format(time.RFC3339))
	}
	hits := int64(1)
	if r.Count != nil {
		n, err := r.Count.Int64()
		if err != nil || n < 0 {
			return fmt.Errorf("bad count %q: want a non-negative integer", clip(r.Count.String()))
		}
		hits = n
	}
	typ := strings.ToUpper(strings.TrimSpace(r.RRType))
	if typ != "A" && typ != "AAAA" {
		p.ignored.Add("rrtype " + clip(typ))
		return nil
	}
	domain, err := Domain(r.RRName)
	if err != nil {
		return err
	}
	peak, peakDate := DailyPeak(hits, first, last)
	for _, v := range rdata {
		ip, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil || ip.Zone() != "" {
			return fmt.Errorf("bad %s rdata %q: not an address", typ, clip(v))
		}
		ip = ip.Unmap()
		if ip.Is4() != (typ == "A") {
			return fmt.Errorf("bad %s rdata %q: wrong address family", typ, clip(v))
		}
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: domain, FirstSeen: first,
			LastSeen: last, Hits: hits, DailyPeak: peak, PeakDate: peakDate})
	}
	return nil
}

// values decodes rdata: a string or a list of strings.
func (p *Parser) values(raw json.RawMessage) ([]string, error) {
	p.rdata = p.rdata[:0]
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("bad rdata: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return append(p.rdata, s), nil
	}
	if err := json.Unmarshal(raw, &p.rdata); err != nil {
		return nil, fmt.Errorf("bad rdata: want a string or a list of strings")
	}
	if len(p.rdata) == 0 {
		return nil, fmt.Errorf("empty rdata")
	}
	return p.rdata, nil
}

// epoch reads a time in seconds since the epoch; the zone time stands in
// for a missing sensor time.
func epoch(field string, v, zone *json.Number) (time.Time, error) {
	if v == nil {
		v = zone
	}
	if v == nil {
		return time.Time{}, fmt.Errorf("missing field %q", field)
	}
	f, err := v.Float64()
	if err != nil || f < 0 || f > 253402300799 || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("bad %s %q: want seconds since the epoch", field, clip(v.String()))
	}
	return time.Unix(int64(f), 0).UTC(), nil
}

// Domain normalises an rrname: lower case, trailing dot removed,
// internationalised names in punycode. An address or anything that is not
// a host name is an error.
func Domain(s string) (string, error) {
	name := strings.TrimSuffix(strings.TrimSpace(s), ".")
	key, _, err := intel.NormalizeURL(name)
	if err != nil || key == "" || key != intel.URLHost(key) || strings.HasPrefix(key, "[") {
		return "", fmt.Errorf("bad rrname %q: not a host name", clip(s))
	}
	if _, err := netip.ParseAddr(key); err == nil {
		return "", fmt.Errorf("bad rrname %q: an address", clip(s))
	}
	return key, nil
}

// DailyPeak derives the daily peak of a record seen hits times between
// first and last: all of hits on the one UTC day when both fall on it,
// otherwise hits averaged over the UTC days from first to last (both
// included) and rounded up, dated on the day of last.
func DailyPeak(hits int64, first, last time.Time) (int64, time.Time) {
	if hits == 0 {
		return 0, time.Time{}
	}
	d0, d1 := day(first), day(last)
	days := int64(d1.Sub(d0)/(24*time.Hour)) + 1
	return (hits + days - 1) / days, d1
}

func day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// clip shortens a value for an error message.
var clip = importer.Clip
