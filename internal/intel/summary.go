package intel

import (
	"net/netip"
	"time"
)

// AddressSummary is everything the store holds about one address apart from
// its list sections: aggregated sightings, category listings, report links,
// spam and phishing activity. It is bounded in size whatever the evidence
// volume: counters and sets are capped as documented on each field.
type AddressSummary struct {
	IP        netip.Addr
	Hits      int64     // sum of Sighting.Hits over all days
	FirstSeen time.Time // earliest sighting day or evidence time; zero if never seen
	LastSeen  time.Time // latest sighting day or evidence time
	Listings  []Listing // every (feed, category) listing of the address, sorted by Feed, Category
	ReportIDs []string  // reports naming the address, sorted
	Spam      SpamSummary
	Phishing  PhishingSummary
	// Counts of list items, for scoring (related red objects).
	RedURLs, RedFiles int64
}

// Known reports whether the store holds any evidence for the address.
func (s *AddressSummary) Known() bool {
	return s.Hits > 0 || !s.FirstSeen.IsZero() || len(s.Listings) > 0 || len(s.ReportIDs) > 0 ||
		s.Spam.Attacks > 0 || s.Phishing.Attacks > 0 || s.RedURLs > 0 || s.RedFiles > 0
}

// SpamSummary aggregates SpamEvents of one address.
type SpamSummary struct {
	Attacks int64
	Last    time.Time
	Types   []string // distinct types, sorted, at most 32
}

// PhishingSummary aggregates PhishingEvents of one address.
type PhishingSummary struct {
	Attacks       int64
	Last          time.Time
	Regions       map[string]int64 // attacks per region, at most 256 regions kept
	Kit           string           // the kit of the latest event that named one
	StolenData    []string         // distinct, sorted, at most 32
	Industries    []string         // distinct, sorted, at most 32
	Organizations []string         // distinct, sorted, at most 32
}

// URLSummary is what is known of one web address (the URL report).
type URLSummary struct {
	URL        string // normalised, without scheme
	Zone       Zone
	Categories []Category
	Hits       int64
	Truncated  bool
	FirstSeen  time.Time
	LastSeen   time.Time
	IPs        []netip.Addr // addresses the URL was seen on, sorted, at most 256
	Files      int64        // number of distinct files downloaded from it
}
