package intel

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// AddObjects appends to the batch the object records that its
// address-keyed records imply, so that the domain, URL and hash lookups
// see what the address lookups see:
//
//   - a HostedURL puts its web address on its host (LinkHostURLs), under
//     its match key (LinkURLVariants), and its host below each ancestor
//     name (LinkSubdomains);
//   - a FileDownload puts its file on its host (LinkHostFiles) and its web
//     address on the file (LinkFileURLs), a detection name on the file
//     (LinkDetections), and dates the file (ObjectInfo); the records of
//     the file go to the object of its SHA-256 (else SHA-1) when the
//     batch's FileHashes give one for its MD5, since a lookup by any hash
//     of a file reads the objects of all of them: the MD5's object then
//     needs no summary of its own;
//   - a Resolution puts its address on its domain (LinkHostIPv4 or
//     LinkHostIPv6) and the domain below its ancestors;
//   - a Host, UrlPrefix or Url FeedMask goes to its host (LinkHostMasks);
//   - a ReportLink naming a domain links the report to it
//     (LinkHostReports);
//   - a DomainInfo lists its domain in each of its categories
//     (ObjectListing, feed of its source), so that the domain lookup sees
//     the categories the address lookups show for its resolutions.
//
// Links of one (list, owner, item) in the batch are merged into one.
// Sources are copied from the records, so provenance should be filled
// first.
func (b *Batch) AddObjects() {
	n0 := len(b.Links)
	add := func(l Link) { b.Links = append(b.Links, l) }
	sub := func(host string, z Zone, hits int64, src Source) {
		Ancestors(host, func(a string) {
			add(Link{List: LinkSubdomains, Owner: a, Item: host, Zone: z, Hits: hits, Source: src})
		})
	}
	for i := range b.HostedURLs {
		r := &b.HostedURLs[i]
		host := URLHost(r.URL)
		if host == "" {
			continue
		}
		add(Link{List: LinkHostURLs, Owner: host, Item: r.URL, Zone: r.Zone, Hits: r.Hits,
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Source: r.Source})
		add(Link{List: LinkURLVariants, Owner: URLMatchKey(r.URL), Item: r.URL, Hits: r.Hits,
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Source: r.Source})
		sub(host, r.Zone, 0, r.Source)
	}
	var stronger map[string]string // MD5 -> the file's SHA-256 or SHA-1, from the batch's FileHashes
	if len(b.Files) > 0 {
		for i := range b.FileHashes {
			h := &b.FileHashes[i]
			md5, id := strings.ToUpper(h.MD5), strings.ToUpper(cmp.Or(h.SHA256, h.SHA1))
			if md5 == "" || id == "" {
				continue
			}
			if stronger == nil {
				stronger = map[string]string{}
			}
			if _, ok := stronger[md5]; !ok {
				stronger[md5] = id
			}
		}
	}
	for i := range b.Files {
		r := &b.Files[i]
		md5 := strings.ToUpper(r.MD5)
		if HashKind(md5) != "MD5" {
			continue
		}
		key := URLKey(r.URL)
		file := cmp.Or(stronger[md5], md5) // the owner of the file's records
		b.ObjectInfos = append(b.ObjectInfos, ObjectInfo{Kind: ObjectFile, Key: file,
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Source: r.Source})
		if r.DetectionName != "" {
			add(Link{List: LinkDetections, Owner: file, Item: r.DetectionName, Zone: DetectionZone(r.DetectionName),
				FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Source: r.Source})
		}
		host := URLHost(key)
		if key == "" || host == "" {
			continue
		}
		var det []string
		if r.DetectionName != "" {
			det = []string{r.DetectionName}
		}
		add(Link{List: LinkHostFiles, Owner: host, Item: md5 + ItemSep + key, Hits: r.Hits,
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Attrs: det, Source: r.Source})
		add(Link{List: LinkFileURLs, Owner: file, Item: key, Hits: r.Hits,
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Source: r.Source})
	}
	for i := range b.Resolutions {
		r := &b.Resolutions[i]
		if r.Domain == "" || !r.IP.IsValid() {
			continue
		}
		ip := NormIP(r.IP)
		list := LinkHostIPv4
		if ip.Is6() {
			list = LinkHostIPv6
		}
		add(Link{List: list, Owner: r.Domain, Item: ip.String(), Hits: r.Hits, FirstSeen: r.FirstSeen,
			LastSeen: r.LastSeen, DailyPeak: r.DailyPeak, PeakDate: r.PeakDate, Source: r.Source})
		sub(r.Domain, "", r.Hits, r.Source)
	}
	for i := range b.Masks {
		m := &b.Masks[i]
		var host string
		switch m.MaskType {
		case MaskHost:
			host = strings.TrimSuffix(strings.TrimPrefix(m.Mask, "["), "]")
		case MaskURLPrefix, MaskURL:
			host = URLHost(m.Mask)
		}
		if host == "" {
			continue
		}
		add(Link{List: LinkHostMasks, Owner: host, Item: m.Mask + ItemSep + m.MaskType, Zone: m.Zone,
			LastSeen: m.LastSeen, Attrs: m.Feeds, Source: m.Source})
	}
	for i := range b.ReportLinks {
		r := &b.ReportLinks[i]
		if r.Domain != "" {
			add(Link{List: LinkHostReports, Owner: r.Domain, Item: r.ReportID, Source: r.Source})
		}
	}
	for i := range b.Domains {
		r := &b.Domains[i]
		for _, c := range r.Categories {
			b.ObjectListings = append(b.ObjectListings, ObjectListing{Kind: ObjectHost, Key: r.Domain, Category: c,
				Feed: r.Source.Feed, Source: r.Source})
		}
	}
	b.Links = append(b.Links[:n0], mergeLinks(b.Links[n0:])...)
}

// mergeLinks merges links of one (list, owner, item), keeping the first's
// position.
func mergeLinks(ls []Link) []Link {
	if len(ls) < 2 {
		return ls
	}
	type key struct {
		list        LinkList
		owner, item string
	}
	at := make(map[key]int, len(ls))
	out := ls[:0]
	for _, l := range ls {
		k := key{l.List, l.Owner, l.Item}
		if i, ok := at[k]; ok {
			out[i].Merge(l)
			continue
		}
		at[k] = len(out)
		l.Normalize()
		out = append(out, l)
	}
	return out
}

// DateLinks gives the links of the batch without a FirstSeen the minute t
// (the import's time), so that every list item is dated: an undated item
// shows when tipd first imported it (FirstSeen = min keeps that minute
// through later imports; answers show FirstSeen for a zero LastSeen, and
// the stores list undated items after dated ones).
func (b *Batch) DateLinks(t time.Time) {
	t = UTC(t).Truncate(time.Minute)
	if t.IsZero() {
		return
	}
	for i := range b.Links {
		l := &b.Links[i]
		if l.FirstSeen.IsZero() && l.LastSeen.IsZero() {
			l.FirstSeen = t
		}
	}
}

// DateListings dates the undated listings of the batch (address,
// network and object listings without FirstSeen and LastSeen) at the
// minute t, the import's time: a listing in the version of a feed
// imported now was seen then. A later import of a version that still
// lists it moves LastSeen on (LastSeen = max), one that no longer lists it
// leaves LastSeen at the last version that did, and its recency decays
// from there; FirstSeen (= min) keeps the first version's minute. Formats
// that date their versions (a DROP list's Last-Modified, an ipset's file
// date) date their listings themselves before this.
func (b *Batch) DateListings(t time.Time) {
	t = UTC(t).Truncate(time.Minute)
	if t.IsZero() {
		return
	}
	date := func(first, last *time.Time) {
		if first.IsZero() && last.IsZero() {
			*first, *last = t, t
		}
	}
	for i := range b.Listings {
		date(&b.Listings[i].FirstSeen, &b.Listings[i].LastSeen)
	}
	for i := range b.NetListings {
		date(&b.NetListings[i].FirstSeen, &b.NetListings[i].LastSeen)
	}
	for i := range b.ObjectListings {
		date(&b.ObjectListings[i].FirstSeen, &b.ObjectListings[i].LastSeen)
	}
}

// CompareLinks orders two links of one list and owner as the stores list
// them: by recency or severity (see LinkList), then by item key.
func CompareLinks(a, b *Link) int {
	if a.List.BySeverity() {
		if c := b.Zone.Severity() - a.Zone.Severity(); c != 0 {
			return c
		}
	} else if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Hits, a.Hits); c != 0 {
		return c
	}
	return strings.Compare(a.Item, b.Item)
}

// SortLinks sorts links of one list and owner by CompareLinks.
func SortLinks(ls []Link) { slices.SortFunc(ls, func(a, b Link) int { return CompareLinks(&a, &b) }) }
