package report

import (
	"context"
	"net/netip"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

// IPGeneral is the IpGeneralInfo section (Ip is IPReport.IP).
type IPGeneral struct {
	Status      string // StatusKnown, StatusReserved or StatusNoInfo
	CountryCode string // "" = null
	HitsCount   int64
	FirstSeen   time.Time // zero = null
	ThreatScore int
	Categories  []score.CategoryZone
	HasAPT      bool
	Reports     []ReportRef
}

// Whois is the IpWhoIs section.
type Whois struct {
	Type     string // "" = null
	Status   string
	ASN      []intel.ASRange
	Net      *intel.WhoisNet // nil = null; Start, End, Created, Changed, Name, Description are shown
	Contacts []intel.Contact
}

// Spam is the IPSpamInfo section.
type Spam struct {
	Attacks int64
	Ratio   float64
	Last    time.Time // zero = null
	Types   []string
}

// Phishing is the IPPhishingInfo section.
type Phishing struct {
	Attacks       int64
	Last          time.Time // zero = null
	Regions       []string  // top TopRegions by attacks
	Kit           string    // "" = null
	StolenData    []string
	Industries    []string
	Organizations []string
}

// IPReport is the report of one address. Only the fields of Sections are
// filled.
type IPReport struct {
	Sections Sections
	License  intel.LicenseInfo

	IP         netip.Addr
	Reserved   bool
	Zone       intel.Zone
	HasRedZone bool
	// LastSeen is the address's latest evidence date (not part of the
	// JSON): set with SecIPGeneralInfo.
	LastSeen   time.Time
	General    IPGeneral
	Files      []intel.FileDownload
	HostedURLs []intel.HostedURL
	// FeedMasks is the merge of Masks (the store's host, URL-prefix and URL
	// masks) and NetMasks (network listings), both ordered by mask order and
	// cut so that the merge holds at most count items; EachFeedMask and
	// AllFeedMasks walk it in order without the caller merging.
	Masks       []intel.FeedMask
	NetMasks    []intel.FeedMask
	Whois       Whois
	Resolutions []intel.Resolution
	Spam        Spam
	Phishing    Phishing
	Industries  []string

	// lists holds the list sections when they were read into pooled
	// slices; Release gives them back.
	lists *store.AddressLists
}

// IP assembles the report of ip (IPv4-mapped addresses already unmapped)
// with at most count items per list section (DefaultCount when count <= 0).
func (b *Builder) IP(ctx context.Context, ip netip.Addr, sec Sections, count int) (*IPReport, error) {
	ip = ip.Unmap().WithZone("")
	if count <= 0 {
		count = DefaultCount
	}
	r := &IPReport{Sections: sec, IP: ip}
	if blk, ok := netdata.Reserved(ip); ok {
		fillReserved(r, blk)
		return r, nil
	}

	needScore := sec.Has(SecZone | SecRelatedObjects | SecIPGeneralInfo)
	gen, now := b.generation()
	var info netdata.Info
	if needScore || sec.Has(SecFeedMasks|SecIPWhoIs) {
		info = b.netInfo(ip)
	}
	// The summary, and every list the sections need in one read into
	// slices the report gives back to the pool on Release; together when
	// both are needed, so that the store reads no list the summary
	// counts empty.
	var (
		sum   intel.AddressSummary
		lists store.AddressLists
		err   error
	)
	needSum := needScore || sec.Has(SecIPSpamInfo|SecIPPhishingInfo|SecIndustries)
	lim := listLimits(sec, count, needScore)
	if listCount(lim) > 0 {
		r.lists = listsPool.Get().(*store.AddressLists)
		if needSum {
			sum, err = store.AddressWithLists(ctx, b.Store, ip, lim, r.lists)
		} else {
			err = store.ReadLists(ctx, b.Store, ip, lim, r.lists)
		}
		if err != nil {
			r.Release()
			return nil, err
		}
		lists = *r.lists
	} else if needSum {
		if sum, err = b.Store.Address(ctx, ip); err != nil {
			return nil, err
		}
	}
	var reports []intel.Report
	if needScore || sec.Has(SecIndustries) {
		if reports, err = b.reports(ctx, sum.ReportIDs); err != nil {
			r.Release()
			return nil, err
		}
	}
	if needScore {
		rel := related(&sum, lists.Resolutions)
		r.HasRedZone = rel.HasRedZone()
		v := score.Verdict(b.Score, &score.Input{
			Summary: &sum, NetListings: info.Listings, Allows: info.Allows, Related: rel, Reports: reportRefs(reports), Now: now,
		})
		r.Zone = v.Zone
		r.General.ThreatScore = v.Score
		r.General.Categories = v.Categories
		gen.putIP(ip, ipEv{zone: v.Zone, score: v.Score})
	}
	// Held names, web addresses and files leave the lists once the
	// verdict is computed (it counts them).
	if err := b.leaveOutHeldAddressLists(ctx, &lists); err != nil {
		r.Release()
		return nil, err
	}
	if sec.Has(SecIPDNSResolutions) {
		r.Resolutions = lists.Resolutions[:min(len(lists.Resolutions), count)]
	}
	if sec.Has(SecIPGeneralInfo) {
		g := &r.General
		g.CountryCode = country(&info)
		g.Status = StatusNoInfo
		if g.CountryCode != "" {
			g.Status = StatusKnown
		}
		g.HitsCount = RoundHits(sum.Hits)
		g.FirstSeen = sum.FirstSeen
		r.LastSeen = sum.LastSeen
		for _, c := range g.Categories {
			if c.Name == intel.CatAPT {
				g.HasAPT = true
			}
		}
		var apt bool
		g.Reports, apt = refsOf(reports)
		g.HasAPT = g.HasAPT || apt
	}
	if sec.Has(SecFilesDownloadedFromIP) {
		r.Files = lists.Files
	}
	if sec.Has(SecHostedURLs) {
		r.HostedURLs = lists.HostedURLs
	}
	if sec.Has(SecFeedMasks) {
		r.Masks, r.NetMasks = addressMasks(lists.Masks, &info, count)
	}
	if sec.Has(SecIPWhoIs) {
		w := &r.Whois
		w.Status = StatusNoInfo
		if country(&info) != "" {
			w.Status = StatusKnown
		}
		w.ASN = info.AS
		if info.Whois != nil {
			w.Type = info.Whois.Type
			w.Net = info.Whois
			w.Contacts = info.Whois.Contacts
		}
	}
	if sec.Has(SecIPSpamInfo) {
		r.Spam = Spam{
			Attacks: sum.Spam.Attacks,
			Ratio:   SpamRatio(sum.Spam.Attacks, sum.Hits),
			Last:    sum.Spam.Last,
			Types:   sum.Spam.Types,
		}
	}
	if sec.Has(SecIPPhishingInfo) {
		p := &sum.Phishing
		r.Phishing = Phishing{
			Attacks:       p.Attacks,
			Last:          p.Last,
			Regions:       TopRegionsOf(p.Regions, TopRegions),
			Kit:           p.Kit,
			StolenData:    p.StolenData,
			Industries:    p.Industries,
			Organizations: p.Organizations,
		}
	}
	if sec.Has(SecIndustries) {
		r.Industries = industries(reports)
	}
	// The verdict above used the zones recorded on the resolutions; the
	// items shown carry their objects' own, and are dated.
	if err := b.itemVerdicts(ctx, r, gen, now); err != nil {
		r.Release()
		return nil, err
	}
	return r, nil
}

// itemDates are a list item's FirstSeen and LastSeen, so that list items
// are never undated: either stands for the other when unknown, and an
// undated item shows the minute of the import that last brought its
// record (the only date an address record keeps). Both stay zero only for
// a record without any date or provenance.
func itemDates(first, last, imported time.Time) (time.Time, time.Time) {
	if first.IsZero() {
		first = last
	}
	if last.IsZero() {
		last = first
	}
	if first.IsZero() {
		first = intel.UTC(imported).Truncate(time.Minute)
		last = first
	}
	return first, last
}

// fillReserved answers a special-purpose address without reading the store.
func fillReserved(r *IPReport, blk netdata.ReservedBlock) {
	r.Sections = ReservedSections
	r.Reserved = true
	r.Zone = intel.ZoneGrey
	r.General = IPGeneral{Status: StatusReserved}
	start, end := blk.Range()
	r.Whois = Whois{
		Type:   WhoisTypeReserved,
		Status: StatusReserved,
		Net: &intel.WhoisNet{
			Prefix: blk.Prefix, Type: WhoisTypeReserved, Start: start, End: end,
			Name: blk.Name, Description: blk.RFC,
		},
	}
}

func country(info *netdata.Info) string {
	if info.Country != "" {
		return info.Country
	}
	if info.Whois != nil {
		return info.Whois.Country
	}
	return ""
}
