package intel

import (
	"bytes"
	"net/netip"
	"slices"
	"time"
)

// The merge rules of the evidence records, as methods of the types they
// govern (each rule is documented on its type in evidence.go), and the
// helpers they are made of. The in-memory and Pebble backends merge with
// these methods; the PostgreSQL backend expresses the same rules in SQL.
// The conformance suite (internal/store/storetest) checks all three.

// Caps of the bounded sets in summaries (see AddressSummary and
// URLSummary). Capped sorted sets keep their smallest members, so the
// result does not depend on the order evidence was applied in.
const (
	capTypes   = 32
	capRegions = 256
	capURLIPs  = 256
)

// NormIP is the form addresses are keyed by: IPv4-mapped addresses
// unmapped, no zone.
func NormIP(ip netip.Addr) netip.Addr { return ip.Unmap().WithZone("") }

// CompareAddr orders addresses as the stores list them: by their 16-byte
// form.
func CompareAddr(a, b netip.Addr) int {
	x, y := a.As16(), b.As16()
	return bytes.Compare(x[:], y[:])
}

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

// mergeZone is the more severe zone; an empty zone yields to any other.
func mergeZone(a, b Zone) Zone {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return MaxZone(a, b)
}

// union is the sorted union of a and b, in a new slice (nil when empty).
func union[T ~string](a, b []T) []T {
	out := make([]T, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// addCapped inserts s into the sorted set set, keeping at most max members
// (the smallest ones). Empty strings are ignored.
func addCapped(set []string, s string, max int) []string {
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

// normalize is the provenance as stored: times in UTC.
func (s *Source) normalize() { s.Imported = UTC(s.Imported) }

// Normalize puts the record in the form the stores keep: the address as
// NormIP, the day as Day.
func (r *Sighting) Normalize() {
	r.IP, r.Day = NormIP(r.IP), Day(r.Day)
}

// Normalize puts the record in the form the stores keep: the address as
// NormIP, times in UTC.
func (r *Listing) Normalize() {
	r.IP = NormIP(r.IP)
	r.FirstSeen, r.LastSeen = UTC(r.FirstSeen), UTC(r.LastSeen)
	r.Source.normalize()
}

// Merge merges n into r by the rule documented on Listing.
func (r *Listing) Merge(n Listing) {
	r.FirstSeen = MinTime(r.FirstSeen, n.FirstSeen)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: the address as
// NormIP, times in UTC, the categories sorted and distinct (a new slice).
func (r *HostedURL) Normalize() {
	r.IP = NormIP(r.IP)
	r.FirstSeen, r.LastSeen = UTC(r.FirstSeen), UTC(r.LastSeen)
	r.Source.normalize()
	r.Categories = union(nil, r.Categories)
}

// Merge merges n into r by the rule documented on HostedURL.
func (r *HostedURL) Merge(n HostedURL) {
	r.Hits = max(r.Hits, n.Hits)
	r.FirstSeen = MinTime(r.FirstSeen, n.FirstSeen)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	r.Zone = mergeZone(r.Zone, n.Zone)
	r.Truncated = r.Truncated || n.Truncated
	r.Categories = union(r.Categories, n.Categories)
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: the address as
// NormIP, times in UTC.
func (r *FileDownload) Normalize() {
	r.IP = NormIP(r.IP)
	r.FirstSeen, r.LastSeen = UTC(r.FirstSeen), UTC(r.LastSeen)
	r.Source.normalize()
}

// Merge merges n into r by the rule documented on FileDownload.
func (r *FileDownload) Merge(n FileDownload) {
	r.Hits = max(r.Hits, n.Hits)
	r.FirstSeen = MinTime(r.FirstSeen, n.FirstSeen)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	r.Zone = mergeZone(r.Zone, n.Zone)
	if n.DetectionName != "" {
		r.DetectionName = n.DetectionName
	}
	r.Source = n.Source
}

// MergeByMD5 merges n, a record of the same file (MD5) downloaded from the
// same web address on another address or over another scheme, into r: by
// the rule of Merge, with IP and URL the smallest ones seen. Lists of the
// files of a web address hold one item per MD5 merged so.
func (r *FileDownload) MergeByMD5(n FileDownload) {
	r.Merge(n)
	if CompareAddr(n.IP, r.IP) < 0 {
		r.IP = n.IP
	}
	if n.URL < r.URL {
		r.URL = n.URL
	}
}

// Normalize puts the record in the form the stores keep: the address as
// NormIP, times in UTC.
func (r *Resolution) Normalize() {
	r.IP = NormIP(r.IP)
	r.FirstSeen, r.LastSeen = UTC(r.FirstSeen), UTC(r.LastSeen)
	r.PeakDate = UTC(r.PeakDate)
	r.Source.normalize()
}

// Merge merges n into r by the rule documented on Resolution. Zone and
// Categories, which come from the domain's DomainInfo, are left alone.
func (r *Resolution) Merge(n Resolution) {
	r.Hits = max(r.Hits, n.Hits)
	r.FirstSeen = MinTime(r.FirstSeen, n.FirstSeen)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	if n.DailyPeak > r.DailyPeak ||
		(n.DailyPeak == r.DailyPeak && !n.PeakDate.IsZero() && (r.PeakDate.IsZero() || n.PeakDate.Before(r.PeakDate))) {
		r.DailyPeak, r.PeakDate = n.DailyPeak, n.PeakDate
	}
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: times in UTC, the
// categories sorted and distinct (a new slice).
func (r *DomainInfo) Normalize() {
	r.Source.normalize()
	r.Categories = union(nil, r.Categories)
}

// Merge merges n into r by the rule documented on DomainInfo.
func (r *DomainInfo) Merge(n DomainInfo) {
	r.Zone = n.Zone
	r.Categories = union(r.Categories, n.Categories)
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: the address as
// NormIP, times in UTC, the feeds sorted and distinct (a new slice).
func (r *FeedMask) Normalize() {
	r.IP = NormIP(r.IP)
	r.LastSeen = UTC(r.LastSeen)
	r.Source.normalize()
	r.Feeds = union(nil, r.Feeds)
}

// Merge merges n into r by the rule documented on FeedMask.
func (r *FeedMask) Merge(n FeedMask) {
	r.Feeds = union(r.Feeds, n.Feeds)
	r.Zone = mergeZone(r.Zone, n.Zone)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: the address as
// NormIP, times in UTC.
func (r *SpamEvent) Normalize() {
	r.IP, r.Time = NormIP(r.IP), UTC(r.Time)
	r.Source.normalize()
}

// Add folds a spam event the summary has not counted yet into it.
func (s *SpamSummary) Add(e SpamEvent) {
	s.Attacks++
	s.Last = MaxTime(s.Last, e.Time)
	s.Types = addCapped(s.Types, e.Type, capTypes)
}

// Normalize puts the record in the form the stores keep: the address as
// NormIP, times in UTC.
func (r *PhishingEvent) Normalize() {
	r.IP, r.Time = NormIP(r.IP), UTC(r.Time)
	r.Source.normalize()
}

// PhishingState is a phishing summary plus what is needed to fold more
// events into it: the time and ID of the event its Kit came from.
type PhishingState struct {
	PhishingSummary
	KitTime time.Time
	KitID   string
}

// Add folds a phishing event the summary has not counted yet into it. The
// kit is the one of the event with the latest Time (ties: the larger ID)
// that names one.
func (s *PhishingState) Add(e PhishingEvent) {
	s.Attacks++
	s.Last = MaxTime(s.Last, e.Time)
	if e.Region != "" {
		if _, ok := s.Regions[e.Region]; ok || len(s.Regions) < capRegions {
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
		s.StolenData = addCapped(s.StolenData, d, capTypes)
	}
	s.Industries = addCapped(s.Industries, e.Industry, capTypes)
	s.Organizations = addCapped(s.Organizations, e.Organization, capTypes)
}

// Normalize puts the record in the form the stores keep: times in UTC.
func (r *Report) Normalize() {
	r.Published, r.Updated = UTC(r.Published), UTC(r.Updated)
	r.Source.normalize()
}

// Normalize puts the record in the form the stores keep: the address as
// NormIP, times in UTC.
func (r *ReportLink) Normalize() {
	r.IP = NormIP(r.IP)
	r.Source.normalize()
}

// Normalize puts the record in the form the stores keep: the prefix
// masked, times in UTC.
func (r *CountryRange) Normalize() {
	r.Prefix = r.Prefix.Masked()
	r.Source.normalize()
}

// Normalize puts the record in the form the stores keep: the prefix
// masked, times in UTC.
func (r *ASRange) Normalize() {
	r.Prefix = r.Prefix.Masked()
	r.Source.normalize()
}

// Normalize puts the record in the form the stores keep: the prefix
// masked, times in UTC.
func (r *WhoisNet) Normalize() {
	r.Prefix = r.Prefix.Masked()
	r.Created, r.Changed = UTC(r.Created), UTC(r.Changed)
	r.Source.normalize()
}

// Normalize puts the record in the form the stores keep: the prefix
// masked, times in UTC.
func (r *NetListing) Normalize() {
	r.Prefix = r.Prefix.Masked()
	r.FirstSeen, r.LastSeen = UTC(r.FirstSeen), UTC(r.LastSeen)
	r.Source.normalize()
}

// Merge merges n into r by the rule documented on NetListing.
func (r *NetListing) Merge(n NetListing) {
	r.FirstSeen = MinTime(r.FirstSeen, n.FirstSeen)
	r.LastSeen = MaxTime(r.LastSeen, n.LastSeen)
	r.Zone = n.Zone
	r.Source = n.Source
}

// Normalize puts the record in the form the stores keep: the prefix
// masked, times in UTC.
func (r *Allow) Normalize() {
	r.Prefix = r.Prefix.Masked()
	r.Source.normalize()
}

// AddHosted folds a HostedURL record of the web address into the summary:
// Zone, Categories, Hits, Truncated, FirstSeen and LastSeen as the
// HostedURL rule merges them (taken as they are when first, for the
// summary's first HostedURL record), and the record's address added to IPs.
// h must be normalised.
func (s *URLSummary) AddHosted(h HostedURL, first bool) {
	if first {
		s.Zone, s.Categories, s.Hits, s.Truncated = h.Zone, h.Categories, h.Hits, h.Truncated
		s.FirstSeen, s.LastSeen = h.FirstSeen, h.LastSeen
	} else {
		s.Zone = mergeZone(s.Zone, h.Zone)
		s.Categories = union(s.Categories, h.Categories)
		s.Hits = max(s.Hits, h.Hits)
		s.Truncated = s.Truncated || h.Truncated
		s.FirstSeen = MinTime(s.FirstSeen, h.FirstSeen)
		s.LastSeen = MaxTime(s.LastSeen, h.LastSeen)
	}
	if i, found := slices.BinarySearchFunc(s.IPs, h.IP, CompareAddr); !found && i < capURLIPs {
		s.IPs = slices.Insert(s.IPs, i, h.IP)
		if len(s.IPs) > capURLIPs {
			s.IPs = s.IPs[:capURLIPs]
		}
	}
}
