package report

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
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
	// FirstSeen and LastSeen date the evidence of the web address, its
	// feeds' listings included (not part of the JSON): set with
	// SecURLGeneralInfo.
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
	Whois       intel.DomainWhois // UrlDomainWhoIs: the host's registrable domain's record
	Resolutions []ResolutionItem  // DomainDnsResolutions of the host
	// ResolutionsIPv6 are the host's IPv6 resolutions
	// (SecDNSResolutionsIPv6; not in the JSON answer).
	ResolutionsIPv6 []ResolutionItem
	FilesAccessed   []FileItem
	Referrals       []URLItem
	ReferredTo      []URLItem
	Industries      []string
}

// URL assembles the report of a web address given in any form the client
// sent (scheme included); invalid addresses are KindInvalid errors.
//
// UrlGeneralInfo.Url is the normalised key (without scheme, as in
// HostedUrls). The lookup covers every stored web address with the same
// match key (intel.URLMatchKey; at most maxVariants): their summaries,
// files and lists are merged. The addresses of a web address are those the
// store saw it on, plus its host when the host is an IP literal. The zone
// is score.Object's (see docs/scoring.md): the recorded zone, listings and
// reports of the web address, the masks covering it and its host's zone.
// RelatedAptReports are the reports naming the web address or its host
// (domain or IP literal); HasApt is set by an APT report or the
// CATEGORY_APT category. RelatedObjects.HasRedZone says whether its host,
// one of the most recent files downloaded from or contacting it or one of
// its most recent referral items is Red by its own verdict.
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
	return b.urlWith(ctx, b.judge(), key, truncated, sec, count)
}

// urlWith is URL with the judge j, for the normalised key.
func (b *Builder) urlWith(ctx context.Context, j *judge, key string, truncated bool, sec Sections, count int) (*URLReport, error) {
	u, err := j.url(ctx, key)
	if err != nil {
		return nil, err
	}
	r := &URLReport{Sections: sec, URL: key, Host: u.host, Truncated: truncated, Known: u.known, Zone: u.res.Zone}
	sum := &u.sum
	hostReports, err := j.hostReports(ctx, u, sec)
	if err != nil {
		return nil, err
	}

	if sec.Has(SecURLGeneralInfo) {
		for _, a := range u.addrs() {
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
		if u.hostEv != nil {
			r.IPv4Count = max(r.IPv4Count, int(u.hostEv.sum.Lists[intel.LinkHostIPv4].Items))
		}
		r.FilesCount = sum.Files
		r.FirstSeen, r.LastSeen = sum.FirstSeen, sum.LastSeen
		for _, l := range u.in.Listings {
			r.FirstSeen = intel.MinTime(r.FirstSeen, l.FirstSeen)
			r.LastSeen = intel.MaxTime(r.LastSeen, l.LastSeen)
		}
		r.Categories = urlCategories(sum.Categories, u.res.Categories)
		for _, c := range r.Categories {
			if c.Name == intel.CatAPT {
				r.HasAPT = true
			}
		}
		var apt bool
		r.Reports, apt = refsOf(mergeReports(u.reports, hostReports))
		r.HasAPT = r.HasAPT || apt
	}
	if sec.Has(SecFilesDownloaded | SecRelatedObjects) {
		limit := 0
		if sec.Has(SecFilesDownloaded) {
			limit = count
		}
		if sec.Has(SecRelatedObjects) {
			limit = max(limit, urlFileScan)
		}
		files, err := j.urlFiles(ctx, u, limit)
		if err != nil {
			return nil, err
		}
		if sec.Has(SecFilesDownloaded) {
			files = files[:min(len(files), count)]
		} else {
			files = files[:min(len(files), urlFileScan)]
		}
		for i := range files {
			z, err := j.fileZone(ctx, strings.ToUpper(files[i].MD5))
			if err != nil {
				return nil, err
			}
			files[i].Zone = z
			if z == intel.ZoneRed && i < urlFileScan {
				r.HasRedZone = true
			}
		}
		if sec.Has(SecFilesDownloaded) {
			if r.Files, err = leaveOutHeld(ctx, j, files, fileDownloadObject); err != nil {
				return nil, err
			}
		}
	}
	if sec.Has(SecRelatedObjects) && !r.HasRedZone {
		red, err := j.urlRelatedRed(ctx, u)
		if err != nil {
			return nil, err
		}
		r.HasRedZone = red
	}
	if sec.Has(SecURLDomainWhoIs) {
		if r.Whois, err = j.whois(ctx, u.host); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecDomainDNSResolutions) {
		r.Resolutions = []ResolutionItem{}
		if u.hostEv != nil {
			if r.Resolutions, err = j.hostResolutions(ctx, intel.LinkHostIPv4, u.host, count); err != nil {
				return nil, err
			}
		}
	}
	if sec.Has(SecDNSResolutionsIPv6) && u.hostEv != nil {
		if r.ResolutionsIPv6, err = j.hostResolutions(ctx, intel.LinkHostIPv6, u.host, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecFilesAccessed) {
		if r.FilesAccessed, err = j.fileList(ctx, intel.LinkURLAccessed, u.keys, count); err != nil {
			return nil, err
		}
		// The address contacted is the web address itself.
		for i := range r.FilesAccessed {
			r.FilesAccessed[i].URL = cmpOr(r.FilesAccessed[i].URL, key)
		}
	}
	if sec.Has(SecURLReferrals) {
		if r.Referrals, err = j.urlList(ctx, intel.LinkURLReferrals, u.keys, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecURLReferredTo) {
		if r.ReferredTo, err = j.urlList(ctx, intel.LinkURLReferredTo, u.keys, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecFeedMasks) {
		r.Masks = u.masks[:min(len(u.masks), count)]
	}
	if sec.Has(SecIndustries) {
		r.Industries = industries(mergeReports(u.reports, hostReports))
	}
	return r, nil
}

// Items is the number of list items the report holds.
func (r *URLReport) Items() int {
	return len(r.Categories) + len(r.Reports) + len(r.Files) + len(r.Masks) + len(r.Resolutions) + len(r.ResolutionsIPv6) +
		len(r.FilesAccessed) + len(r.Referrals) + len(r.ReferredTo) + len(r.Industries) +
		len(r.Whois.NameServers) + len(r.Whois.Contacts) + len(r.Whois.Status)
}

// hostReports reads the reports naming a web address's host (a domain's
// LinkHostReports, an IP literal's report links) when sec needs them.
func (j *judge) hostReports(ctx context.Context, u *urlEv, sec Sections) ([]intel.Report, error) {
	if !sec.Has(SecURLGeneralInfo | SecIndustries) {
		return nil, nil
	}
	if u.hostEv != nil {
		return u.hostEv.reports, nil
	}
	if !u.hostIP.IsValid() {
		return nil, nil
	}
	as, err := j.b.Store.Address(ctx, u.hostIP)
	if err != nil {
		return nil, err
	}
	return j.reports(ctx, as.ReportIDs)
}

// mergeReports is the union of two report lists, newest Published first
// (then by ID).
func mergeReports(a, b []intel.Report) []intel.Report {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := slices.Clone(a)
	for _, r := range b {
		if !slices.ContainsFunc(out, func(x intel.Report) bool { return x.ID == r.ID }) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b intel.Report) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// urlFiles reads the files downloaded from the variants of a web address,
// newest first, at most limit. Variants without files are not read.
func (j *judge) urlFiles(ctx context.Context, u *urlEv, limit int) ([]intel.FileDownload, error) {
	if limit <= 0 {
		return nil, nil
	}
	keys := u.keys
	read := j.b.Store.URLFiles
	if j.pinnedFiles != nil { // pages of the lists (listpage.go)
		read = func(_ context.Context, k string, limit int) ([]intel.FileDownload, error) {
			p := j.pinnedFiles[k]
			return p[:min(limit, len(p))], nil
		}
	}
	if len(keys) == 1 {
		if u.files[0] == 0 {
			return nil, nil
		}
		return read(ctx, keys[0], limit)
	}
	var all []intel.FileDownload
	for i, k := range keys {
		if u.files[i] == 0 {
			continue
		}
		files, err := read(ctx, k, limit)
		if err != nil {
			return nil, err
		}
		all = append(all, files...)
	}
	slices.SortStableFunc(all, func(a, b intel.FileDownload) int {
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		if a.Hits != b.Hits {
			if a.Hits > b.Hits {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.MD5, b.MD5); c != 0 {
			return c
		}
		return strings.Compare(a.URL, b.URL)
	})
	return all[:min(len(all), limit)], nil
}

// urlRelatedRed reports whether a web address's host, or one of its most
// recent files accessing it or referral items, is Red by its own verdict.
func (j *judge) urlRelatedRed(ctx context.Context, u *urlEv) (bool, error) {
	switch {
	case u.hostEv != nil:
		if u.hostEv.res.Zone == intel.ZoneRed {
			return true, nil
		}
	case u.hostIP.IsValid():
		v, err := j.ip(ctx, u.hostIP)
		if err != nil {
			return false, err
		}
		if v.zone == intel.ZoneRed {
			return true, nil
		}
	}
	red, err := j.anyRed(ctx, u.keys, j.fileZone, intel.LinkURLAccessed)
	if err != nil || red {
		return red, err
	}
	return j.anyRed(ctx, u.keys, j.urlZone, intel.LinkURLReferrals, intel.LinkURLReferredTo)
}

// urlCategories pairs the recorded categories with their zones (Grey when
// unknown) and adds the categories of the verdict (listings), most severe
// first, then by name.
func urlCategories(cats []intel.Category, scored []score.CategoryZone) []score.CategoryZone {
	if len(cats)+len(scored) == 0 {
		return nil
	}
	out := make([]score.CategoryZone, 0, len(cats)+len(scored))
	for _, c := range cats {
		z, ok := intel.CategoryZone(c)
		if !ok {
			z = intel.ZoneGrey
		}
		out = append(out, score.CategoryZone{Name: c, Zone: z})
	}
	for _, c := range scored {
		if !slices.ContainsFunc(out, func(x score.CategoryZone) bool { return x.Name == c.Name }) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b score.CategoryZone) int {
		if d := b.Zone.Severity() - a.Zone.Severity(); d != 0 {
			return d
		}
		return strings.Compare(string(a.Name), string(b.Name))
	})
	return out
}

// maskCovers reports whether a Host, UrlPrefix or Url mask covers the web
// address key on host (a Host mask: host alone).
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
