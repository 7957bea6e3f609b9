package report

import (
	"context"
	"slices"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// Domain assembles the report of a domain name (already normalised by
// intel.NormalizeDomain) with at most count items per capped list
// (DefaultCount when count <= 0).
//
// The zone is the name's own (score.Object: its listings, Host masks
// naming it, reports, sightings; allow lists of it or an ancestor make it
// Green); its addresses never count. HasRedZone: one of the most recent
// relScan files downloaded from or contacting the name, web addresses on
// it or subdomains is Red by its own verdict. Lists hold objects whose
// host is exactly the name; each item carries its object's own zone.
func (b *Builder) Domain(ctx context.Context, name string, sec Sections, count int) (*DomainReport, error) {
	if count <= 0 {
		count = DefaultCount
	}
	return b.domainWith(ctx, b.judge(), name, sec, count)
}

// domainWith is Domain with the judge j.
func (b *Builder) domainWith(ctx context.Context, j *judge, name string, sec Sections, count int) (*DomainReport, error) {
	h, err := j.host(ctx, name)
	if err != nil {
		return nil, err
	}
	sum := h.sum
	r := &DomainReport{Sections: sec, Domain: name, Known: sum.Known(), Zone: h.res.Zone}
	r.FirstSeen, r.LastSeen = sum.Info.FirstSeen, sum.Info.LastSeen
	for _, l := range sum.Listings {
		r.FirstSeen = intel.MinTime(r.FirstSeen, l.FirstSeen)
		r.LastSeen = intel.MaxTime(r.LastSeen, l.LastSeen)
	}
	owners := []string{name}
	if sec.Has(SecRelatedObjects) {
		red, err := j.anyRed(ctx, owners, j.fileZone, intel.LinkHostFiles, intel.LinkHostAccessed)
		if err == nil && !red {
			red, err = j.anyRed(ctx, owners, j.urlZone, intel.LinkHostURLs)
		}
		if err == nil && !red {
			red, err = j.anyRed(ctx, owners, j.hostZone, intel.LinkSubdomains)
		}
		if err != nil {
			return nil, err
		}
		r.HasRedZone = red
	}
	if sec.Has(SecDomainGeneralInfo) {
		r.FilesCount = sum.Lists[intel.LinkHostFiles].Items
		r.URLsCount = sum.Lists[intel.LinkHostURLs].Items
		r.HitsCount = hostHits(sum)
		r.IPv4Count = sum.Lists[intel.LinkHostIPv4].Items
		r.Categories = h.res.Categories
		for _, c := range r.Categories {
			if c.Name == intel.CatAPT {
				r.HasAPT = true
			}
		}
		var apt bool
		r.Reports, apt = refsOf(h.reports)
		r.HasAPT = r.HasAPT || apt
	}
	if sec.Has(SecDomainWhoIsInfo) {
		if r.Whois, err = j.whois(ctx, name); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecDomainDNSResolutions) {
		if r.Resolutions, err = j.hostResolutions(ctx, intel.LinkHostIPv4, name, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecDNSResolutionsIPv6) {
		if r.ResolutionsIPv6, err = j.hostResolutions(ctx, intel.LinkHostIPv6, name, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecFilesDownloaded) {
		if r.FilesDownloaded, err = j.fileList(ctx, intel.LinkHostFiles, owners, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecFilesAccessed) {
		if r.FilesAccessed, err = j.fileList(ctx, intel.LinkHostAccessed, owners, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecURLReferrals) {
		if r.Referrals, err = j.urlList(ctx, intel.LinkHostReferrals, owners, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecURLReferredTo) {
		if r.ReferredTo, err = j.urlList(ctx, intel.LinkHostReferredTo, owners, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecSubdomains) {
		if r.Subdomains, err = j.subdomains(ctx, name, count); err != nil {
			return nil, err
		}
	}
	if sec.Has(SecFeedMasks) {
		links, err := j.links(ctx, intel.LinkHostMasks, name, count)
		if err != nil {
			return nil, err
		}
		r.Masks = maskItems(links)
	}
	if sec.Has(SecIndustries) {
		r.Industries = industries(h.reports)
	}
	return r, nil
}

// Items is the number of list items the report holds.
func (r *DomainReport) Items() int {
	return len(r.Categories) + len(r.Reports) + len(r.Resolutions) + len(r.ResolutionsIPv6) + len(r.FilesDownloaded) + len(r.FilesAccessed) +
		len(r.Referrals) + len(r.ReferredTo) + len(r.Subdomains) + len(r.Masks) + len(r.Industries) +
		len(r.Whois.NameServers) + len(r.Whois.Contacts) + len(r.Whois.Status)
}

func (j *judge) hostZone(ctx context.Context, name string) (intel.Zone, error) {
	v, err := j.hostItem(ctx, name)
	return v.zone, err
}

// hostResolutions is DomainDnsResolutions of a domain name (list
// LinkHostIPv4), or its IPv6 counterpart (LinkHostIPv6).
func (j *judge) hostResolutions(ctx context.Context, list intel.LinkList, name string, count int) ([]ResolutionItem, error) {
	return shownItems(ctx, j, list, []string{name}, count, j.resolutionItems)
}

func (j *judge) fileList(ctx context.Context, list intel.LinkList, owners []string, count int) ([]FileItem, error) {
	return shownItems(ctx, j, list, owners, count, j.fileItems)
}

func (j *judge) urlList(ctx context.Context, list intel.LinkList, owners []string, count int) ([]URLItem, error) {
	return shownItems(ctx, j, list, owners, count, j.urlItems)
}

// shown reads at most count items of list of the owners (readLinks) and
// leaves the held ones out: what a section shows.
func (j *judge) shown(ctx context.Context, list intel.LinkList, owners []string, count int) ([]intel.Link, error) {
	links, err := j.readLinks(ctx, list, owners, count)
	if err != nil {
		return nil, err
	}
	return leaveOutHeld(ctx, j, links, linkObject(list))
}

// shownItems is shown, turned into a section's items by items.
func shownItems[T any](ctx context.Context, j *judge, list intel.LinkList, owners []string, count int,
	items func(context.Context, []intel.Link) ([]T, error)) ([]T, error) {
	links, err := j.shown(ctx, list, owners, count)
	if err != nil {
		return nil, err
	}
	return items(ctx, links)
}

// subdomains is the Subdomains section: the first count names of
// LinkSubdomains (the store orders them by their recorded zone), each
// with its own zone and counts, ordered by that zone's severity, then
// HitsCount, then name.
func (j *judge) subdomains(ctx context.Context, name string, count int) ([]SubdomainItem, error) {
	links, err := j.shown(ctx, intel.LinkSubdomains, []string{name}, count)
	if err != nil {
		return nil, err
	}
	out := make([]SubdomainItem, 0, len(links))
	for i := range links {
		v, err := j.hostItem(ctx, links[i].Item)
		if err != nil {
			return nil, err
		}
		out = append(out, SubdomainItem{Name: links[i].Item, Zone: v.zone, FilesCount: v.files,
			URLsCount: v.urls, HitsCount: v.hits})
	}
	slices.SortStableFunc(out, func(a, b SubdomainItem) int {
		if d := b.Zone.Severity() - a.Zone.Severity(); d != 0 {
			return d
		}
		if a.HitsCount != b.HitsCount {
			if a.HitsCount > b.HitsCount {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}
