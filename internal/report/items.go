package report

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// The list items of the domain, web-address and file reports, built from
// the store's links with each object's own zone.

// readLinks reads one list of several owners (the variants of a web
// address, the hashes of a file) and merges them: items of one key are
// merged (intel.Link.Merge), the result is in the list's order, at most
// limit. Each owner's read is bounded by limit.
func (j *judge) readLinks(ctx context.Context, list intel.LinkList, owners []string, limit int) ([]intel.Link, error) {
	if limit <= 0 || len(owners) == 0 {
		return nil, nil
	}
	if len(owners) == 1 {
		return j.links(ctx, list, owners[0], limit)
	}
	var all []intel.Link
	at := map[string]int{}
	for _, o := range owners {
		links, err := j.links(ctx, list, o, limit)
		if err != nil {
			return nil, err
		}
		all = mergeLinks(all, at, links)
	}
	intel.SortLinks(all)
	return all[:min(len(all), limit)], nil
}

// mergeLinks adds links of one owner to all, merging each into the item
// of its key already there (at: the place in all of each key).
func mergeLinks(all []intel.Link, at map[string]int, links []intel.Link) []intel.Link {
	for _, l := range links {
		if i, ok := at[l.Item]; ok {
			all[i].Merge(l)
			continue
		}
		at[l.Item] = len(all)
		all = append(all, l)
	}
	return all
}

// lastSeen is an item's LastSeen: its FirstSeen when undated.
func lastSeen(l *intel.Link) time.Time {
	if l.LastSeen.IsZero() {
		return l.FirstSeen
	}
	return l.LastSeen
}

func firstSeen(l *intel.Link) time.Time {
	if l.FirstSeen.IsZero() {
		return l.LastSeen
	}
	return l.FirstSeen
}

// resolutionItems turns LinkHostIPv4 or LinkHostIPv6 items into
// resolution items with each address's own zone and threat score.
func (j *judge) resolutionItems(ctx context.Context, links []intel.Link) ([]ResolutionItem, error) {
	out := make([]ResolutionItem, 0, len(links))
	for i := range links {
		l := &links[i]
		ip, err := netip.ParseAddr(l.Item)
		if err != nil || ip.Unmap().Is4() != (l.List == intel.LinkHostIPv4) {
			continue
		}
		v, err := j.ip(ctx, ip)
		if err != nil {
			return nil, err
		}
		it := ResolutionItem{IP: ip.Unmap(), Zone: v.zone, ThreatScore: v.score, Hits: l.Hits,
			FirstSeen: firstSeen(l), LastSeen: lastSeen(l), DailyPeak: l.DailyPeak}
		if l.DailyPeak > 0 {
			it.PeakDate = l.PeakDate
		}
		out = append(out, it)
	}
	return out, nil
}

// fileItems turns LinkHostFiles, LinkHostAccessed or LinkURLAccessed
// items (MD5, or MD5 ItemSep URL key) into file items with each file's
// own zone.
func (j *judge) fileItems(ctx context.Context, links []intel.Link) ([]FileItem, error) {
	out := make([]FileItem, 0, len(links))
	for i := range links {
		l := &links[i]
		md5, url, _ := strings.Cut(l.Item, intel.ItemSep)
		if intel.HashKind(md5) != "MD5" {
			continue
		}
		z, err := j.fileZone(ctx, md5)
		if err != nil {
			return nil, err
		}
		out = append(out, FileItem{Zone: z, Hits: l.Hits, MD5: md5, FirstSeen: firstSeen(l), LastSeen: lastSeen(l),
			DetectionName: l.Attr(0), URL: url})
	}
	return out, nil
}

// urlItems turns referral items into web-address items with each
// address's own zone.
func (j *judge) urlItems(ctx context.Context, links []intel.Link) ([]URLItem, error) {
	out := make([]URLItem, 0, len(links))
	for i := range links {
		l := &links[i]
		z, err := j.urlZone(ctx, l.Item)
		if err != nil {
			return nil, err
		}
		out = append(out, URLItem{Zone: z, URL: l.Item, FirstSeen: firstSeen(l), LastSeen: lastSeen(l)})
	}
	return out, nil
}

// fileURLItems turns LinkFileURLs or LinkFileAccessedURLs items into
// items with each web address's own zone and its host.
func (j *judge) fileURLItems(ctx context.Context, links []intel.Link) ([]FileURLItem, error) {
	out := make([]FileURLItem, 0, len(links))
	for i := range links {
		l := &links[i]
		z, err := j.urlZone(ctx, l.Item)
		if err != nil {
			return nil, err
		}
		out = append(out, FileURLItem{Zone: z, URL: l.Item, Domain: intel.URLHost(l.Item), Hits: l.Hits,
			FirstSeen: firstSeen(l), LastSeen: lastSeen(l)})
	}
	return out, nil
}

// relatedFileItems turns LinkFileStarted and the like into items with
// each file's own zone.
func (j *judge) relatedFileItems(ctx context.Context, links []intel.Link) ([]RelatedFileItem, error) {
	out := make([]RelatedFileItem, 0, len(links))
	for i := range links {
		l := &links[i]
		z, err := j.fileZone(ctx, l.Item)
		if err != nil {
			return nil, err
		}
		out = append(out, RelatedFileItem{Zone: z, Hits: l.Hits, MD5: l.Item, Location: l.Attr(0), Path: l.Attr(1),
			Name: l.Attr(2), DetectionName: l.Attr(3), Last: lastSeen(l)})
	}
	return out, nil
}

// maskItems turns LinkHostMasks items into feed masks.
func maskItems(links []intel.Link) []intel.FeedMask {
	out := make([]intel.FeedMask, 0, len(links))
	for i := range links {
		out = append(out, linkMask(&links[i]))
	}
	return out
}

// anyRed reports whether one of the first relScan items of the lists of
// the owners is Red by its own verdict; zone gives an item's zone.
func (j *judge) anyRed(ctx context.Context, owners []string, zone func(context.Context, string) (intel.Zone, error), lists ...intel.LinkList) (bool, error) {
	for _, list := range lists {
		links, err := j.readLinks(ctx, list, owners, relScan)
		if err != nil {
			return false, err
		}
		for i := range links {
			key, _, _ := strings.Cut(links[i].Item, intel.ItemSep)
			z, err := zone(ctx, key)
			if err != nil {
				return false, err
			}
			if z == intel.ZoneRed {
				return true, nil
			}
		}
	}
	return false, nil
}

// whois is the registration record of the registrable domain of host
// (Domain set even when no record is known; zero for an IP host or a
// public suffix).
func (j *judge) whois(ctx context.Context, host string) (intel.DomainWhois, error) {
	reg := intel.RegistrableDomain(host)
	if reg == "" {
		return intel.DomainWhois{}, nil
	}
	s, err := j.object(ctx, intel.ObjectHost, reg)
	if err != nil {
		return intel.DomainWhois{}, err
	}
	w := s.Whois
	w.Domain = reg
	return w, nil
}

// parseTime reads an RFC 3339 attribute; zero when empty or malformed.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
