package report

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/score"
)

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

	// Sections of the web-address contract beyond the above
	// (objects.go types).
	Whois         intel.DomainWhois // UrlDomainWhoIs: the host's registrable domain's record
	Resolutions   []ResolutionItem  // DomainDnsResolutions of the host
	FilesAccessed []FileItem
	Referrals     []URLItem
	ReferredTo    []URLItem
	Industries    []string
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
			return nil, err
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
				return nil, err
			}
			reports, err := b.reports(ctx, as.ReportIDs)
			if err != nil {
				return nil, err
			}
			var apt bool
			r.Reports, apt = refsOf(reports)
			r.HasAPT = r.HasAPT || apt
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
			return nil, err
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
			return nil, err
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
