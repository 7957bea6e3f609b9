// Package report assembles the answer for one address, domain name, web
// address or file from the store, the network snapshot and the scoring
// rules. It knows nothing of HTTP or JSON; package render turns a report
// into wire formats.
//
// An address report reads only what its requested sections need: the
// address summary and the scoring inputs for Zone, RelatedObjects and
// IpGeneralInfo, and the list sections in one bounded read
// (store.ReadLists). Domain, web-address and file reports read their
// lists with limit count (DetectionsInfo and FileParentCertificates
// whole) and compute zones for the returned items only. The verdict does
// not depend on the requested sections or count: the red domains that count
// towards the score are those among the RedDomainScan most recent
// resolutions whatever the count, and at most MaxReports linked reports are
// read.
//
// The files: report.go the Builder, ip.go, url.go, domain.go and file.go
// the four reports (objects.go the types of the domain and file reports
// and their list items, sections.go the section names), verdicts.go the
// verdicts on domains, web addresses, files and addresses computed alike
// for a lookup and for the items of other objects' lists, items.go those
// items, lists.go the pooled memory of list sections, masks.go the
// FeedMasks section, reports.go the linked reports, figures.go the
// rounded figures of the sections, explain.go the verdicts with their
// evidence.
//
// FeedMasks of an address are its host, URL-prefix and URL masks from the
// store followed by the network listings covering it (one Network mask per
// prefix, its feeds merged), ordered most severe zone first, then by mask,
// at most count. For an allow-listed address, network listings and Host
// masks are suppressed (not shown); masks of single web addresses remain.
package report

import (
	"net/netip"
	"time"

	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

// Limits of the reads behind a report.
const (
	// DefaultCount is the list size when the caller gives none (count <= 0).
	DefaultCount = 1000
	// MaxReports is the most linked reports read for one address.
	MaxReports = 100
	// RedDomainScan is how many of the most recent resolutions are checked
	// for Red domains when scoring.
	RedDomainScan = 32
	// TopRegions is the size of IPPhishingInfo.regions.
	TopRegions = 10
	// maxURLAddrs is the most addresses of a web address whose masks are read.
	maxURLAddrs = 16
	// maxMaskScan is the most masks read per address of a web address.
	maxMaskScan = 1000
	// urlFileScan is how many files of a web address are checked for Red.
	urlFileScan = 32
)

// IpGeneralInfo / IpWhoIs statuses.
const (
	StatusKnown    = "Known"
	StatusReserved = "Reserved"
	StatusNoInfo   = "NoInfo"
)

// WhoisTypeReserved is IpWhoIs.Type of a special-purpose address.
const WhoisTypeReserved = "reserved"

// Builder assembles reports. Its fields are its dependencies.
type Builder struct {
	Store store.Intel
	Net   *netdata.Holder // nil: no network data
	Now   func() time.Time
	Score score.Config // zero: defaults
	// Verdicts, when set, keeps verdicts from report to report (see
	// Verdicts); nil: every report computes its own.
	Verdicts *Verdicts
}

// Clock returns the builder's current time in UTC (Now, or the wall clock).
func (b *Builder) Clock() time.Time { return b.now() }

func (b *Builder) now() time.Time {
	if b.Now != nil {
		return b.Now().UTC()
	}
	return time.Now().UTC()
}

func (b *Builder) netInfo(ip netip.Addr) netdata.Info {
	if b.Net == nil {
		return netdata.Info{}
	}
	s := b.Net.Load()
	if s == nil {
		return netdata.Info{}
	}
	return s.Lookup(ip)
}
