// Package report assembles the answer for one address or web address from
// the store, the network snapshot and the scoring rules. It knows nothing of
// HTTP or JSON; package render turns a report into wire formats.
//
// A report reads only what its requested sections need: the address summary
// and the scoring inputs for Zone, RelatedObjects and IpGeneralInfo, one
// bounded list read per list section. The verdict does not depend on the
// requested sections or count: the red domains that count towards the score
// are those among the RedDomainScan most recent resolutions whatever the
// count, and at most MaxReports linked reports are read.
//
// FeedMasks of an address are its host, URL-prefix and URL masks from the
// store followed by the network listings covering it (one Network mask per
// prefix, its feeds merged), ordered most severe zone first, then by mask,
// at most count. For an allow-listed address, network listings and Host
// masks are suppressed (not shown); masks of single web addresses remain.
package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tipd/tipd/internal/intel"
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
}

// ReportRef is an item of RelatedAptReports.
type ReportRef struct {
	ID    string
	Type  string // intel.ReportAPT, ReportCrimeware or ReportICS
	Title string
	// Published and Updated are the report's dates (zero when unknown);
	// the TIP JSON does not show them, STIX report objects do.
	Published time.Time
	Updated   time.Time
}

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

// listsPool recycles the slices of list sections between reports.
var listsPool = sync.Pool{New: func() any { return new(store.AddressLists) }}

// maxPooledItems bounds the slices kept in listsPool: a report with
// thousands of items leaves its slices to the garbage collector.
const maxPooledItems = 4 * MaxPooledCount

// MaxPooledCount is the largest count whose list slices are recycled.
const MaxPooledCount = 1000

// Release gives the memory of the report's list sections back for reuse by
// a later report. The list sections (HostedURLs, Files, Resolutions, Masks,
// NetMasks) and every string or slice taken from them must not be used
// afterwards: render the report first. Calling it is optional (without it
// the memory is garbage-collected) and safe twice.
func (r *IPReport) Release() {
	l := r.lists
	if l == nil {
		return
	}
	r.lists = nil
	r.HostedURLs, r.Files, r.Resolutions, r.Masks = nil, nil, nil, nil
	r.NetMasks = nil
	if cap(l.HostedURLs)+cap(l.Files)+cap(l.Resolutions)+cap(l.Masks) > maxPooledItems {
		return
	}
	listsPool.Put(l)
}

// listCount is how many lists lim reads.
func listCount(lim store.ListLimits) int {
	n := 0
	for _, l := range []int{lim.HostedURLs, lim.Files, lim.Resolutions, lim.Masks} {
		if l > 0 {
			n++
		}
	}
	return n
}

// listLimits are the list reads a report with sections sec needs.
func listLimits(sec Sections, count int, needScore bool) store.ListLimits {
	var lim store.ListLimits
	if sec.Has(SecIPDNSResolutions) {
		lim.Resolutions = count
	}
	if needScore {
		lim.Resolutions = max(lim.Resolutions, RedDomainScan)
	}
	if sec.Has(SecFilesDownloadedFromIP) {
		lim.Files = count
	}
	if sec.Has(SecHostedURLs) {
		lim.HostedURLs = count
	}
	if sec.Has(SecFeedMasks) {
		lim.Masks = count
	}
	return lim
}

// URLReport is the report of one web address. Only the fields of Sections
// are filled.
type URLReport struct {
	Sections Sections
	License  intel.LicenseInfo

	URL       string // the normalised key, without scheme
	Host      string
	Truncated bool // private data was cut from the request when normalising
	Known     bool // the store knows the web address
	// FirstSeen and LastSeen date the evidence of the web address (not
	// part of the JSON): set with SecURLGeneralInfo.
	FirstSeen, LastSeen time.Time
	Zone                intel.Zone
	HasRedZone          bool
	IPv4Count           int
	FilesCount          int64
	Categories          []score.CategoryZone
	HasAPT              bool
	Reports             []ReportRef
	Files               []intel.FileDownload
	Masks               []intel.FeedMask
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
	var info netdata.Info
	if needScore || sec.Has(SecFeedMasks|SecIPWhoIs) {
		info = b.netInfo(ip)
	}
	var sum intel.AddressSummary
	if needScore || sec.Has(SecIPSpamInfo|SecIPPhishingInfo|SecIndustries) {
		s, err := b.Store.Address(ctx, ip)
		if err != nil {
			return nil, fmt.Errorf("address %s: %w", ip, err)
		}
		sum = s
	}
	var reports []intel.Report
	if needScore || sec.Has(SecIndustries) {
		var err error
		if reports, err = b.reports(ctx, sum.ReportIDs); err != nil {
			return nil, fmt.Errorf("reports of %s: %w", ip, err)
		}
	}
	lim := listLimits(sec, count, needScore)
	if lr, ok := b.Store.(store.ListsReader); ok && listCount(lim) > 1 {
		// One read of every list, into slices the report gives back to
		// the pool on Release.
		r.lists = listsPool.Get().(*store.AddressLists)
		if err := lr.AddressLists(ctx, ip, lim, r.lists); err != nil {
			r.Release()
			return nil, fmt.Errorf("lists of %s: %w", ip, err)
		}
	}
	if sec.Has(SecIPDNSResolutions) || needScore {
		var res []intel.Resolution
		var err error
		if r.lists != nil {
			res = r.lists.Resolutions
		} else if res, err = b.Store.Resolutions(ctx, ip, lim.Resolutions); err != nil {
			return nil, fmt.Errorf("resolutions of %s: %w", ip, err)
		}
		if needScore {
			var red int64
			for i := range res[:min(len(res), RedDomainScan)] {
				if res[i].Zone == intel.ZoneRed {
					red++
				}
			}
			rel := score.Related{RedURLs: sum.RedURLs, RedFiles: sum.RedFiles, RedDomains: red}
			r.HasRedZone = rel.HasRedZone()
			v := score.Verdict(b.Score, &score.Input{
				Summary: &sum, NetListings: info.Listings, Allows: info.Allows, Related: rel, Reports: reportRefs(reports), Now: b.now(),
			})
			r.Zone = v.Zone
			r.General.ThreatScore = v.Score
			r.General.Categories = v.Categories
		}
		if sec.Has(SecIPDNSResolutions) {
			r.Resolutions = res[:min(len(res), count)]
		}
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
		if len(reports) > 0 {
			g.Reports = make([]ReportRef, 0, len(reports))
			for i := range reports {
				rep := &reports[i]
				if rep.Type == intel.ReportAPT {
					g.HasAPT = true
				}
				g.Reports = append(g.Reports, ReportRef{ID: rep.ID, Type: rep.Type, Title: rep.Title,
					Published: rep.Published, Updated: rep.Updated})
			}
		}
	}
	if sec.Has(SecFilesDownloadedFromIP) {
		if r.lists != nil {
			r.Files = r.lists.Files
		} else {
			files, err := b.Store.Files(ctx, ip, count)
			if err != nil {
				return nil, fmt.Errorf("files of %s: %w", ip, err)
			}
			r.Files = files
		}
	}
	if sec.Has(SecHostedURLs) {
		if r.lists != nil {
			r.HostedURLs = r.lists.HostedURLs
		} else {
			urls, err := b.Store.HostedURLs(ctx, ip, count)
			if err != nil {
				return nil, fmt.Errorf("hosted URLs of %s: %w", ip, err)
			}
			r.HostedURLs = urls
		}
	}
	if sec.Has(SecFeedMasks) {
		masks := []intel.FeedMask(nil)
		if r.lists != nil {
			masks = r.lists.Masks
		} else {
			var err error
			if masks, err = b.Store.Masks(ctx, ip, count); err != nil {
				return nil, fmt.Errorf("masks of %s: %w", ip, err)
			}
		}
		r.Masks, r.NetMasks = addressMasks(masks, &info, count)
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
	return r, nil
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

// reports reads the linked reports (at most MaxReports), skipping ids the
// store does not know, newest Published first (then by id).
func (b *Builder) reports(ctx context.Context, ids []string) ([]intel.Report, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = ids[:min(len(ids), MaxReports)]
	var out []intel.Report
	if rr, ok := b.Store.(store.ReportsReader); ok && len(ids) > 1 {
		var err error
		if out, err = rr.ReportsByID(ctx, ids); err != nil {
			return nil, fmt.Errorf("reports: %w", err)
		}
		ids = nil
	} else {
		out = make([]intel.Report, 0, len(ids))
	}
	for _, id := range ids {
		rep, err := b.Store.Report(ctx, id)
		if errors.Is(err, intel.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("report %q: %w", id, err)
		}
		out = append(out, rep)
	}
	slices.SortStableFunc(out, func(a, b intel.Report) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func reportRefs(reports []intel.Report) []score.ReportRef {
	if len(reports) == 0 {
		return nil
	}
	out := make([]score.ReportRef, len(reports))
	for i := range reports {
		r := &reports[i]
		d := r.Updated
		if d.IsZero() {
			d = r.Published
		}
		out[i] = score.ReportRef{ID: r.ID, Type: r.Type, Date: d}
	}
	return out
}

// industries is the sorted union of the reports' industries.
func industries(reports []intel.Report) []string {
	var out []string
	for i := range reports {
		for _, s := range reports[i].Industries {
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}

// addressMasks splits the FeedMasks section of an address into the store's
// masks and the network masks, each cut so that their merge holds at most
// count items. Nothing is copied unless the address is allow-listed.
func addressMasks(masks []intel.FeedMask, info *netdata.Info, count int) (store, nets []intel.FeedMask) {
	if len(info.Allows) > 0 {
		kept := make([]intel.FeedMask, 0, len(masks))
		for _, m := range masks {
			if m.MaskType != intel.MaskHost {
				kept = append(kept, m)
			}
		}
		return kept[:min(len(kept), count)], nil
	}
	nets = networkMasks(info)
	i, j := 0, 0
	for i+j < count && (i < len(masks) || j < len(nets)) {
		if j >= len(nets) || (i < len(masks) && maskOrder(&masks[i], &nets[j]) <= 0) {
			i++
		} else {
			j++
		}
	}
	return masks[:i], nets[:j]
}

// EachFeedMask calls yield with every item of the FeedMasks section in
// order (the merge of Masks and NetMasks) until yield returns false.
func (r *IPReport) EachFeedMask(yield func(*intel.FeedMask) bool) {
	a, b := r.Masks, r.NetMasks
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || (i < len(a) && maskOrder(&a[i], &b[j]) <= 0) {
			if !yield(&a[i]) {
				return
			}
			i++
		} else {
			if !yield(&b[j]) {
				return
			}
			j++
		}
	}
}

// AllFeedMasks returns the FeedMasks section in order as one new slice.
func (r *IPReport) AllFeedMasks() []intel.FeedMask {
	out := make([]intel.FeedMask, 0, len(r.Masks)+len(r.NetMasks))
	for m := range r.EachFeedMask {
		out = append(out, *m)
	}
	return out
}

// maskOrder orders masks most severe zone first, then by mask, then by type.
func maskOrder(a, b *intel.FeedMask) int {
	if d := b.Zone.Severity() - a.Zone.Severity(); d != 0 {
		return d
	}
	if c := strings.Compare(a.Mask, b.Mask); c != 0 {
		return c
	}
	return strings.Compare(a.MaskType, b.MaskType)
}

// networkMasks turns the network listings covering an address into Network
// masks, one per prefix (feeds merged, the most severe zone), ordered by
// maskOrder.
func networkMasks(info *netdata.Info) []intel.FeedMask {
	var out []intel.FeedMask
	for _, l := range info.Listings {
		zone := l.Zone
		if z, ok := intel.CategoryZone(l.Category); ok {
			zone = z
		}
		if zone.FeedStatus() == "" {
			continue
		}
		mask := l.Prefix.Masked().String()
		if i := slices.IndexFunc(out, func(m intel.FeedMask) bool { return m.Mask == mask }); i >= 0 {
			m := &out[i]
			m.Zone = intel.MaxZone(m.Zone, zone)
			if !slices.Contains(m.Feeds, l.Feed) {
				m.Feeds = append(m.Feeds, l.Feed)
			}
			m.LastSeen = maxTime(m.LastSeen, l.LastSeen)
			continue
		}
		out = append(out, intel.FeedMask{
			IP: l.Prefix.Addr(), Mask: mask, MaskType: intel.MaskNetwork, Zone: zone,
			Feeds: []string{l.Feed}, LastSeen: l.LastSeen, Source: l.Source,
		})
	}
	for i := range out {
		slices.Sort(out[i].Feeds)
	}
	slices.SortFunc(out, func(a, b intel.FeedMask) int { return maskOrder(&a, &b) })
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sqrt10 is the square root of ten.
const sqrt10 = 3.16227766016837933199889354443271853372

// RoundHits rounds a hit count to the nearest power of ten in log space:
// 10^round(log10(h)), so the boundary between 10^k and 10^(k+1) is
// 10^k x sqrt(10) (3.16, 31.6, 316, ...). 0 stays 0; the result is at most
// 10^18.
func RoundHits(h int64) int64 {
	if h <= 0 {
		return 0
	}
	p := int64(1)
	for i := 0; i < 18; i++ {
		if float64(h) < float64(p)*sqrt10 {
			return p
		}
		p *= 10
	}
	return p
}

// SpamRatio is spam_ratio: spam attacks / max(spam attacks, sighting hits),
// rounded to four decimals; 0 without spam.
func SpamRatio(attacks, hits int64) float64 {
	if attacks <= 0 {
		return 0
	}
	r := float64(attacks) / float64(max(attacks, hits))
	return math.Round(r*1e4) / 1e4
}

// TopRegionsOf returns the n regions with the most attacks, most first
// (ties by region code).
func TopRegionsOf(regions map[string]int64, n int) []string {
	if len(regions) == 0 {
		return nil
	}
	type rc struct {
		r string
		c int64
	}
	all := make([]rc, 0, len(regions))
	for r, c := range regions {
		all = append(all, rc{r, c})
	}
	slices.SortFunc(all, func(a, b rc) int {
		if a.c != b.c {
			return cmp.Compare(b.c, a.c)
		}
		return strings.Compare(a.r, b.r)
	})
	all = all[:min(len(all), n)]
	out := make([]string, len(all))
	for i, x := range all {
		out[i] = x.r
	}
	return out
}

// URL assembles the report of a web address given in any form the client
// sent (scheme included); invalid addresses are KindInvalid errors.
//
// UrlGeneralInfo.Url is the normalised key (without scheme, as in
// HostedUrls). The addresses of a web address are those the store saw it on,
// plus its host when the host is an IP literal. RelatedAptReports are the
// reports linked to an IP-literal host; HasApt is set by an APT report or
// the CATEGORY_APT category. RelatedObjects.HasRedZone says whether one of
// the most recent files downloaded from it is Red.
func (b *Builder) URL(ctx context.Context, rawURL string, sec Sections, count int) (*URLReport, error) {
	key, truncated, err := intel.NormalizeURL(rawURL)
	if err != nil {
		var ie *intel.Error
		if errors.As(err, &ie) {
			return nil, err
		}
		return nil, &intel.Error{Kind: intel.KindInvalid, Code: "invalid_request",
			Message: "invalid web address: " + err.Error()}
	}
	if count <= 0 {
		count = DefaultCount
	}
	r := &URLReport{Sections: sec, URL: key, Host: intel.URLHost(key), Truncated: truncated, Zone: intel.ZoneGrey}
	var hostIP netip.Addr
	if a, err := netip.ParseAddr(r.Host); err == nil {
		a = a.Unmap().WithZone("")
		if _, reserved := netdata.Reserved(a); !reserved {
			hostIP = a
		}
	}

	var sum intel.URLSummary
	if sec.Has(SecZone | SecURLGeneralInfo | SecFeedMasks) {
		s, err := b.Store.URL(ctx, key)
		switch {
		case err == nil:
			sum, r.Known = s, true
			if s.Zone.Valid() {
				r.Zone = s.Zone
			}
		case errors.Is(err, intel.ErrNotFound):
		default:
			return nil, fmt.Errorf("web address %q: %w", key, err)
		}
	}
	addrs := sum.IPs[:min(len(sum.IPs), maxURLAddrs)]
	if hostIP.IsValid() && !slices.Contains(addrs, hostIP) {
		addrs = append(slices.Clip(addrs), hostIP)
	}

	if sec.Has(SecURLGeneralInfo) {
		for _, a := range addrs {
			if a.Is4() {
				r.IPv4Count++
			}
		}
		if len(sum.IPs) > maxURLAddrs {
			for _, a := range sum.IPs[maxURLAddrs:] {
				if a.Is4() {
					r.IPv4Count++
				}
			}
		}
		r.FilesCount = sum.Files
		r.FirstSeen, r.LastSeen = sum.FirstSeen, sum.LastSeen
		r.Categories = urlCategories(sum.Categories)
		for _, c := range r.Categories {
			if c.Name == intel.CatAPT {
				r.HasAPT = true
			}
		}
		if hostIP.IsValid() {
			as, err := b.Store.Address(ctx, hostIP)
			if err != nil {
				return nil, fmt.Errorf("address %s: %w", hostIP, err)
			}
			reports, err := b.reports(ctx, as.ReportIDs)
			if err != nil {
				return nil, fmt.Errorf("reports of %s: %w", hostIP, err)
			}
			for i := range reports {
				rep := &reports[i]
				if rep.Type == intel.ReportAPT {
					r.HasAPT = true
				}
				r.Reports = append(r.Reports, ReportRef{ID: rep.ID, Type: rep.Type, Title: rep.Title,
					Published: rep.Published, Updated: rep.Updated})
			}
		}
	}
	if sec.Has(SecFilesDownloaded | SecRelatedObjects) {
		limit := 0
		if sec.Has(SecFilesDownloaded) {
			limit = count
		}
		if sec.Has(SecRelatedObjects) {
			limit = max(limit, urlFileScan)
		}
		files, err := b.Store.URLFiles(ctx, key, limit)
		if err != nil {
			return nil, fmt.Errorf("files of %q: %w", key, err)
		}
		for i := range files[:min(len(files), urlFileScan)] {
			if files[i].Zone == intel.ZoneRed {
				r.HasRedZone = true
			}
		}
		if sec.Has(SecFilesDownloaded) {
			r.Files = files[:min(len(files), count)]
		}
	}
	if sec.Has(SecFeedMasks) {
		masks, err := b.urlMasks(ctx, key, r.Host, hostIP, addrs)
		if err != nil {
			return nil, err
		}
		r.Masks = masks[:min(len(masks), count)]
	}
	return r, nil
}

// urlCategories pairs categories with their zones (Grey when unknown),
// most severe first, then by name.
func urlCategories(cats []intel.Category) []score.CategoryZone {
	if len(cats) == 0 {
		return nil
	}
	out := make([]score.CategoryZone, 0, len(cats))
	for _, c := range cats {
		z, ok := intel.CategoryZone(c)
		if !ok {
			z = intel.ZoneGrey
		}
		out = append(out, score.CategoryZone{Name: c, Zone: z})
	}
	slices.SortStableFunc(out, func(a, b score.CategoryZone) int {
		if d := b.Zone.Severity() - a.Zone.Severity(); d != 0 {
			return d
		}
		return strings.Compare(string(a.Name), string(b.Name))
	})
	return out
}

// urlMasks collects the masks that cover the web address key: Host masks of
// its host, UrlPrefix masks that are a prefix of key, Url masks equal to key
// (kept on any of its addresses), and the network listings covering an
// IP-literal host (unless allow-listed). Masks found on several addresses
// are merged.
func (b *Builder) urlMasks(ctx context.Context, key, host string, hostIP netip.Addr, addrs []netip.Addr) ([]intel.FeedMask, error) {
	var out []intel.FeedMask
	merge := func(m intel.FeedMask) {
		for i := range out {
			o := &out[i]
			if o.MaskType == m.MaskType && o.Mask == m.Mask {
				o.Zone = intel.MaxZone(o.Zone, m.Zone)
				for _, f := range m.Feeds {
					if !slices.Contains(o.Feeds, f) {
						o.Feeds = append(o.Feeds, f)
					}
				}
				o.LastSeen = maxTime(o.LastSeen, m.LastSeen)
				return
			}
		}
		m.Feeds = slices.Clone(m.Feeds)
		out = append(out, m)
	}
	for _, a := range addrs {
		masks, err := b.Store.Masks(ctx, a, maxMaskScan)
		if err != nil {
			return nil, fmt.Errorf("masks of %s: %w", a, err)
		}
		for _, m := range masks {
			if maskCovers(m, key, host) {
				merge(m)
			}
		}
	}
	if hostIP.IsValid() {
		info := b.netInfo(hostIP)
		if len(info.Allows) == 0 {
			for _, m := range networkMasks(&info) {
				merge(m)
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].Feeds)
	}
	slices.SortFunc(out, func(a, b intel.FeedMask) int { return maskOrder(&a, &b) })
	return out, nil
}

func maskCovers(m intel.FeedMask, key, host string) bool {
	switch m.MaskType {
	case intel.MaskHost:
		mh := strings.TrimSuffix(strings.TrimPrefix(m.Mask, "["), "]")
		return strings.EqualFold(mh, host)
	case intel.MaskURLPrefix:
		return strings.HasPrefix(key, m.Mask)
	case intel.MaskURL:
		return m.Mask == key
	}
	return false
}

// Explanation is the verdict on one address with every piece of evidence
// behind it (`tipd explain`).
type Explanation struct {
	IP       netip.Addr
	Reserved bool                  // a special-purpose address: Grey, its stored evidence listed as ignored
	Block    netdata.ReservedBlock // its block when Reserved
	Summary  intel.AddressSummary
	Net      netdata.Info
	Related  score.Related
	Reports  []score.ReportRef
	Result   score.Result // with Contributions
}

// Explain scores ip with the same inputs as IP and returns the contributions.
//
// A special-purpose address is Grey whatever the evidence: unlike IP, which
// never reads the store for it, Explain reads its summary and lists what a
// feed or report said about it as ignored, with 0 points.
func (b *Builder) Explain(ctx context.Context, ip netip.Addr) (Explanation, error) {
	ip = ip.Unmap().WithZone("")
	e := Explanation{IP: ip}
	if blk, ok := netdata.Reserved(ip); ok {
		e.Reserved, e.Block = true, blk
		sum, err := b.Store.Address(ctx, ip)
		if err != nil {
			return e, fmt.Errorf("address %s: %w", ip, err)
		}
		e.Summary = sum
		e.Result = score.Result{Zone: intel.ZoneGrey, Contributions: append([]score.Contribution{{
			Evidence: "special-purpose address " + blk.Prefix.String(), Source: blk.RFC,
			Note: blk.Name + ": reserved addresses are Grey and never looked up",
		}}, ignoredEvidence(&sum)...)}
		return e, nil
	}
	e.Net = b.netInfo(ip)
	sum, err := b.Store.Address(ctx, ip)
	if err != nil {
		return e, fmt.Errorf("address %s: %w", ip, err)
	}
	e.Summary = sum
	reports, err := b.reports(ctx, sum.ReportIDs)
	if err != nil {
		return e, fmt.Errorf("reports of %s: %w", ip, err)
	}
	e.Reports = reportRefs(reports)
	res, err := b.Store.Resolutions(ctx, ip, RedDomainScan)
	if err != nil {
		return e, fmt.Errorf("resolutions of %s: %w", ip, err)
	}
	e.Related = score.Related{RedURLs: sum.RedURLs, RedFiles: sum.RedFiles}
	for i := range res {
		if res[i].Zone == intel.ZoneRed {
			e.Related.RedDomains++
		}
	}
	e.Result = score.Score(b.Score, &score.Input{
		Summary: &e.Summary, NetListings: e.Net.Listings, Allows: e.Net.Allows, Related: e.Related, Reports: e.Reports, Now: b.now(),
	})
	return e, nil
}

// ignoredEvidence lists the stored evidence of a special-purpose address,
// each with 0 points.
func ignoredEvidence(sum *intel.AddressSummary) []score.Contribution {
	const note = "ignored: special-purpose address"
	var out []score.Contribution
	for _, l := range sum.Listings {
		out = append(out, score.Contribution{Evidence: "listing " + string(l.Category), Source: l.Feed, Note: note})
	}
	for _, id := range sum.ReportIDs {
		out = append(out, score.Contribution{Evidence: "report link", Source: id, Note: note})
	}
	if sum.Spam.Attacks > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d spam attacks", sum.Spam.Attacks), Source: score.SpamTelemetry, Note: note})
	}
	if sum.Phishing.Attacks > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d phishing attacks", sum.Phishing.Attacks), Source: score.PhishingTelemetry, Note: note})
	}
	if sum.RedURLs > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d red hosted URLs", sum.RedURLs), Note: note})
	}
	if sum.RedFiles > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("%d red downloaded files", sum.RedFiles), Note: note})
	}
	if sum.Hits > 0 {
		out = append(out, score.Contribution{Evidence: fmt.Sprintf("sightings (%d hits)", sum.Hits), Note: note})
	}
	return out
}
