package pebble

import (
	"bytes"
	"net/netip"
	"slices"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Caps of the bounded sets in summaries (see intel.AddressSummary and
// intel.URLSummary). Capped sorted sets keep their smallest members, so the
// result does not depend on the order evidence was applied in.
const (
	capTypes   = 32
	capRegions = 256
	capURLIPs  = 256
)

func normIP(ip netip.Addr) netip.Addr { return ip.Unmap().WithZone("") }

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// minTime is the earlier of two times, ignoring unknown (zero) ones.
func minTime(a, b time.Time) time.Time {
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

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// mergeZone is the more severe zone; an empty zone yields to any other.
func mergeZone(a, b intel.Zone) intel.Zone {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return intel.MaxZone(a, b)
}

func unionCats(a, b []intel.Category) []intel.Category {
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

func unionStrings(a, b []string) []string {
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

func addrLess(a, b netip.Addr) int {
	x, y := a.As16(), b.As16()
	return bytes.Compare(x[:], y[:])
}

func mergeHosted(old *intel.HostedURL, n intel.HostedURL) {
	old.Hits = max(old.Hits, n.Hits)
	old.FirstSeen = minTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = maxTime(old.LastSeen, n.LastSeen)
	old.Zone = mergeZone(old.Zone, n.Zone)
	old.Truncated = old.Truncated || n.Truncated
	old.Categories = unionCats(old.Categories, n.Categories)
	old.Source = n.Source
}

func mergeFile(old *intel.FileDownload, n intel.FileDownload) {
	old.Hits = max(old.Hits, n.Hits)
	old.FirstSeen = minTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = maxTime(old.LastSeen, n.LastSeen)
	old.Zone = mergeZone(old.Zone, n.Zone)
	if n.DetectionName != "" {
		old.DetectionName = n.DetectionName
	}
	old.Source = n.Source
}

func mergeResolution(old *intel.Resolution, n intel.Resolution) {
	old.Hits = max(old.Hits, n.Hits)
	old.FirstSeen = minTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = maxTime(old.LastSeen, n.LastSeen)
	if n.DailyPeak > old.DailyPeak ||
		(n.DailyPeak == old.DailyPeak && !n.PeakDate.IsZero() && (old.PeakDate.IsZero() || n.PeakDate.Before(old.PeakDate))) {
		old.DailyPeak, old.PeakDate = n.DailyPeak, n.PeakDate
	}
	old.Source = n.Source
}

func mergeMask(old *intel.FeedMask, n intel.FeedMask) {
	old.Feeds = unionStrings(old.Feeds, n.Feeds)
	old.Zone = mergeZone(old.Zone, n.Zone)
	old.LastSeen = maxTime(old.LastSeen, n.LastSeen)
	old.Source = n.Source
}

func mergeListing(old *intel.Listing, n intel.Listing) {
	old.FirstSeen = minTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = maxTime(old.LastSeen, n.LastSeen)
	old.Source = n.Source
}

func mergeNetListing(old *intel.NetListing, n intel.NetListing) {
	old.FirstSeen = minTime(old.FirstSeen, n.FirstSeen)
	old.LastSeen = maxTime(old.LastSeen, n.LastSeen)
	old.Zone = n.Zone
	old.Source = n.Source
}

// addSpam folds a new spam event into a summary.
func addSpam(s *intel.SpamSummary, e intel.SpamEvent) {
	s.Attacks++
	s.Last = maxTime(s.Last, e.Time)
	s.Types = addCapped(s.Types, e.Type, capTypes)
}

// phishState is a phishing summary plus what is needed to merge into it.
type phishState struct {
	intel.PhishingSummary
	kitTime time.Time
	kitID   string
}

// addPhishing folds a new phishing event into a summary. The kit is the one
// of the event with the latest Time (ties: the larger ID) that names one.
func addPhishing(s *phishState, e intel.PhishingEvent) {
	s.Attacks++
	s.Last = maxTime(s.Last, e.Time)
	if e.Region != "" {
		if _, ok := s.Regions[e.Region]; ok || len(s.Regions) < capRegions {
			if s.Regions == nil {
				s.Regions = map[string]int64{}
			}
			s.Regions[e.Region]++
		}
	}
	if e.Kit != "" && (s.Kit == "" || e.Time.After(s.kitTime) || (e.Time.Equal(s.kitTime) && e.ID > s.kitID)) {
		s.Kit, s.kitTime, s.kitID = e.Kit, e.Time, e.ID
	}
	for _, d := range e.StolenData {
		s.StolenData = addCapped(s.StolenData, d, capTypes)
	}
	s.Industries = addCapped(s.Industries, e.Industry, capTypes)
	s.Organizations = addCapped(s.Organizations, e.Organization, capTypes)
}
