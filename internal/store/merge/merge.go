// Package merge holds the merge rules of evidence records (documented on
// each type in package intel) and the validation every store backend
// applies to a batch, so that the in-memory and Pebble backends share one
// implementation of them; the PostgreSQL backend expresses the same rules
// in SQL and the conformance suite checks all three.
package merge

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Caps of the bounded sets in summaries (see intel.AddressSummary and
// intel.URLSummary). Capped sorted sets keep their smallest members, so the
// result does not depend on the order evidence was applied in.
const (
	CapTypes   = 32
	CapRegions = 256
	CapURLIPs  = 256
)

// NormIP is the form addresses are keyed by: IPv4-mapped addresses unmapped, no zone.
func NormIP(ip netip.Addr) netip.Addr { return ip.Unmap().WithZone("") }

// UTC is t in UTC without a monotonic reading; the zero time stays zero.
func UTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

// Day is the UTC midnight of t.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// MinTime is the earlier of two times, ignoring unknown (zero) ones.
func MinTime(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}

// MaxTime is the later of a and b, ignoring zero times.
func MaxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Zone is the more severe zone; an empty zone yields to any other.
func Zone(a, b intel.Zone) intel.Zone {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return intel.MaxZone(a, b)
}

// Categories is the sorted union of a and b.
func Categories(a, b []intel.Category) []intel.Category {
	out := make([]intel.Category, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// Strings is the sorted union of a and b.
func Strings(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// AddCapped inserts s into the sorted set set, keeping at most max members
// (the smallest ones). Empty strings are ignored.
func AddCapped(set []string, s string, max int) []string {
	if s == "" {
		return set
	}
	i, found := slices.BinarySearch(set, s)
	if found {
		return set
	}
	if len(set) >= max && i >= max {
		return set
	}
	set = slices.Insert(set, i, s)
	if len(set) > max {
		set = set[:max]
	}
	return set
}

// CompareAddr orders addresses as the backends list them.
func CompareAddr(a, b netip.Addr) int {
	x, y := a.As16(), b.As16()
	return bytes.Compare(x[:], y[:])
}

// HostedURL merges n into old by the rule documented on intel.HostedURL.
func HostedURL(old *intel.HostedURL, n intel.HostedURL) {
	old.Hits = max(old.Hits, n.Hits)
	old.FirstSeen = MinTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = MaxTime(old.LastSeen, n.LastSeen)
	old.Zone = Zone(old.Zone, n.Zone)
	old.Truncated = old.Truncated || n.Truncated
	old.Categories = Categories(old.Categories, n.Categories)
	old.Source = n.Source
}

// File merges n into old by the rule documented on intel.FileDownload.
func File(old *intel.FileDownload, n intel.FileDownload) {
	old.Hits = max(old.Hits, n.Hits)
	old.FirstSeen = MinTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = MaxTime(old.LastSeen, n.LastSeen)
	old.Zone = Zone(old.Zone, n.Zone)
	if n.DetectionName != "" {
		old.DetectionName = n.DetectionName
	}
	old.Source = n.Source
}

// Resolution merges n into old by the rule documented on intel.Resolution.
func Resolution(old *intel.Resolution, n intel.Resolution) {
	old.Hits = max(old.Hits, n.Hits)
	old.FirstSeen = MinTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = MaxTime(old.LastSeen, n.LastSeen)
	if n.DailyPeak > old.DailyPeak ||
		(n.DailyPeak == old.DailyPeak && !n.PeakDate.IsZero() && (old.PeakDate.IsZero() || n.PeakDate.Before(old.PeakDate))) {
		old.DailyPeak, old.PeakDate = n.DailyPeak, n.PeakDate
	}
	old.Source = n.Source
}

// Mask merges n into old by the rule documented on intel.FeedMask.
func Mask(old *intel.FeedMask, n intel.FeedMask) {
	old.Feeds = Strings(old.Feeds, n.Feeds)
	old.Zone = Zone(old.Zone, n.Zone)
	old.LastSeen = MaxTime(old.LastSeen, n.LastSeen)
	old.Source = n.Source
}

// Listing merges n into old by the rule documented on intel.Listing.
func Listing(old *intel.Listing, n intel.Listing) {
	old.FirstSeen = MinTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = MaxTime(old.LastSeen, n.LastSeen)
	old.Source = n.Source
}

// NetListing merges n into old by the rule documented on intel.NetListing.
func NetListing(old *intel.NetListing, n intel.NetListing) {
	old.FirstSeen = MinTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = MaxTime(old.LastSeen, n.LastSeen)
	old.Zone = n.Zone
	old.Source = n.Source
}

// Spam folds a new spam event into a summary.
func Spam(s *intel.SpamSummary, e intel.SpamEvent) {
	s.Attacks++
	s.Last = MaxTime(s.Last, e.Time)
	s.Types = AddCapped(s.Types, e.Type, CapTypes)
}

// PhishState is a phishing summary plus what is needed to merge into it.
type PhishState struct {
	intel.PhishingSummary
	KitTime time.Time
	KitID   string
}

// Phishing folds a new phishing event into a summary. The kit is the one
// of the event with the latest Time (ties: the larger ID) that names one.
func Phishing(s *PhishState, e intel.PhishingEvent) {
	s.Attacks++
	s.Last = MaxTime(s.Last, e.Time)
	if e.Region != "" {
		if _, ok := s.Regions[e.Region]; ok || len(s.Regions) < CapRegions {
			if s.Regions == nil {
				s.Regions = map[string]int64{}
			}
			s.Regions[e.Region]++
		}
	}
	if e.Kit != "" && (s.Kit == "" || e.Time.After(s.KitTime) || (e.Time.Equal(s.KitTime) && e.ID > s.KitID)) {
		s.Kit, s.KitTime, s.KitID = e.Kit, e.Time, e.ID
	}
	for _, d := range e.StolenData {
		s.StolenData = AddCapped(s.StolenData, d, CapTypes)
	}
	s.Industries = AddCapped(s.Industries, e.Industry, CapTypes)
	s.Organizations = AddCapped(s.Organizations, e.Organization, CapTypes)
}

// Validate checks what every backend refuses in a batch: records without a
// valid address or prefix, and keys with NUL bytes.
func Validate(b *intel.Batch) error {
	bad := func(what string, i int, format string, args ...any) error {
		return intel.Invalid("%s %d: %s", what, i, fmt.Sprintf(format, args...))
	}
	ipOK := func(ip netip.Addr) bool { return ip.IsValid() }
	nul := func(ss ...string) bool {
		for _, s := range ss {
			if strings.IndexByte(s, 0) >= 0 {
				return true
			}
		}
		return false
	}
	for i, r := range b.Sightings {
		if !ipOK(r.IP) {
			return bad("sighting", i, "invalid address")
		}
	}
	for i, r := range b.Listings {
		if !ipOK(r.IP) || nul(r.Feed, string(r.Category)) {
			return bad("listing", i, "invalid address or key")
		}
	}
	for i, r := range b.HostedURLs {
		if !ipOK(r.IP) || r.URL == "" || nul(r.URL) {
			return bad("hosted URL", i, "invalid address or URL")
		}
	}
	for i, r := range b.Files {
		if !ipOK(r.IP) || r.MD5 == "" || nul(r.MD5, r.URL) {
			return bad("file", i, "invalid address, MD5 or URL")
		}
	}
	for i, r := range b.Resolutions {
		if !ipOK(r.IP) || r.Domain == "" || nul(r.Domain) {
			return bad("resolution", i, "invalid address or domain")
		}
	}
	for i, r := range b.Domains {
		if r.Domain == "" || nul(r.Domain) {
			return bad("domain", i, "invalid domain")
		}
	}
	for i, r := range b.Masks {
		if !ipOK(r.IP) || nul(r.Mask, r.MaskType) {
			return bad("mask", i, "invalid address or mask")
		}
	}
	for i, r := range b.SpamEvents {
		if !ipOK(r.IP) || nul(r.ID) {
			return bad("spam event", i, "invalid address or ID")
		}
	}
	for i, r := range b.PhishingEvents {
		if !ipOK(r.IP) || nul(r.ID) {
			return bad("phishing event", i, "invalid address or ID")
		}
	}
	for i, r := range b.Reports {
		if r.ID == "" || nul(r.ID) {
			return bad("report", i, "invalid ID")
		}
	}
	for i, r := range b.ReportLinks {
		if !ipOK(r.IP) || r.ReportID == "" || nul(r.ReportID) {
			return bad("report link", i, "invalid address or report ID")
		}
	}
	for i, r := range b.Countries {
		if !r.Prefix.IsValid() {
			return bad("country range", i, "invalid prefix")
		}
	}
	for i, r := range b.ASRanges {
		if !r.Prefix.IsValid() {
			return bad("AS range", i, "invalid prefix")
		}
	}
	for i, r := range b.WhoisNets {
		if !r.Prefix.IsValid() {
			return bad("WHOIS network", i, "invalid prefix")
		}
	}
	for i, r := range b.NetListings {
		if !r.Prefix.IsValid() || nul(r.Feed, string(r.Category)) {
			return bad("network listing", i, "invalid prefix or key")
		}
	}
	for i, r := range b.Allows {
		if !r.Prefix.IsValid() || nul(r.List) {
			return bad("allow entry", i, "invalid prefix or list")
		}
	}
	return nil
}

// Source is the provenance as stored: times in UTC.
func Source(s intel.Source) intel.Source {
	s.Imported = UTC(s.Imported)
	return s
}
