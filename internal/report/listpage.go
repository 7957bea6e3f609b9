package report

import (
	"context"
	"net/netip"
	"slices"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/store"
)

// Pages of list sections. A page is a report holding one list section
// whose items are those of the store's page of the section's list
// (store.PageList) after a cursor, made into section items by the same
// code as the whole report's (held items left out, zones and counts of
// linked objects), so that they render exactly as the lookup answer
// renders them. The cursor and the total are the store's: a page may show
// fewer items than asked when some are held, and the total counts them.

// Page is where a page of a list section stands in the list.
type Page struct {
	// Total is the number of items of the whole list (the owner's
	// summary counts it).
	Total int64
	// Next is the cursor of the next page; zero when the page ends the
	// list.
	Next store.ListCursor
}

// ipPageLists are the list sections of an address answer that page, and
// their store lists.
var ipPageLists = map[Sections]store.ListName{
	SecHostedURLs:            store.ListHostedURLs,
	SecFilesDownloadedFromIP: store.ListFiles,
	SecIPDNSResolutions:      store.ListResolutions,
	SecFeedMasks:             store.ListMasks,
}

// domainPageLists are the list sections of a domain answer that page,
// and their lists.
var domainPageLists = map[Sections]intel.LinkList{
	SecDomainDNSResolutions: intel.LinkHostIPv4,
	SecFilesDownloaded:      intel.LinkHostFiles,
	SecFilesAccessed:        intel.LinkHostAccessed,
	SecURLReferrals:         intel.LinkHostReferrals,
	SecURLReferredTo:        intel.LinkHostReferredTo,
	SecSubdomains:           intel.LinkSubdomains,
	SecFeedMasks:            intel.LinkHostMasks,
}

// urlPageLists are the list sections of a web-address answer that page
// by object lists (FilesDownloaded pages the files of the web address
// itself, store.ListURLFiles), and the owners whose lists they read: the
// variants of the web address, or its host.
var urlPageLists = map[Sections]intel.LinkList{
	SecFilesDownloaded:      0,
	SecFilesAccessed:        intel.LinkURLAccessed,
	SecURLReferrals:         intel.LinkURLReferrals,
	SecURLReferredTo:        intel.LinkURLReferredTo,
	SecDomainDNSResolutions: intel.LinkHostIPv4,
}

// filePageLists are the list sections of a file answer that page, and
// their lists (read under every hash of the file).
var filePageLists = map[Sections]intel.LinkList{
	SecFileCertificates:       intel.LinkFileCertificates,
	SecFileNames:              intel.LinkFileNames,
	SecFilePaths:              intel.LinkFilePaths,
	SecFileDownloadedFromURLs: intel.LinkFileURLs,
	SecFileAccessedURLs:       intel.LinkFileAccessedURLs,
	SecFileStartedObjects:     intel.LinkFileStarted,
	SecFileStartedBy:          intel.LinkFileStartedBy,
	SecFileDownloadedObjects:  intel.LinkFileDownloadedObjects,
	SecFileDownloadedBy:       intel.LinkFileDownloadedBy,
}

// PagedURLSection reports whether sec is one list section of a
// web-address answer that URLPage pages.
func PagedURLSection(sec Sections) bool { _, ok := urlPageLists[sec]; return ok }

// PagedFileSection reports whether sec is one list section of a file
// answer that FilePage pages.
func PagedFileSection(sec Sections) bool { _, ok := filePageLists[sec]; return ok }

// PagedIPSection reports whether sec is one list section of an address
// answer that IPPage pages.
func PagedIPSection(sec Sections) bool { _, ok := ipPageLists[sec]; return ok }

// PagedDomainSection reports whether sec is one list section of a domain
// answer that DomainPage pages.
func PagedDomainSection(sec Sections) bool { _, ok := domainPageLists[sec]; return ok }

// IPPage builds the report of ip holding only the list section sec
// (PagedIPSection), with the count items of the section that follow the
// cursor after. FeedMasks, which merges the store's masks with the
// masks of the address's network listings, pages through that merge
// (both are in mask order); its total counts both (on an allow-listed
// address, whose host masks the section leaves out, the store's masks
// are all counted).
func (b *Builder) IPPage(ctx context.Context, ip netip.Addr, sec Sections, after store.ListCursor, count int) (*IPReport, Page, error) {
	ip = ip.Unmap().WithZone("")
	r := &IPReport{Sections: sec, IP: ip}
	name, ok := ipPageLists[sec]
	if !ok {
		return nil, Page{}, intel.Invalid("the section cannot be paged")
	}
	if _, reserved := netdata.Reserved(ip); reserved || count <= 0 {
		return r, Page{}, nil
	}
	p, err := store.PageList(ctx, b.Store, store.ListRef{Name: name, IP: ip}, after, count)
	if err != nil {
		return nil, Page{}, err
	}
	pg := Page{Total: p.Total, Next: p.Next}
	var nets []intel.FeedMask
	if sec == SecFeedMasks {
		info := b.netInfo(ip)
		if len(info.Allows) > 0 {
			p.Masks = slices.DeleteFunc(p.Masks, func(m intel.FeedMask) bool { return m.MaskType == intel.MaskHost })
		} else {
			all := networkMasks(&info)
			pg.Total += int64(len(all))
			for i := range all {
				if after.IsZero() || store.CompareCursors(store.MaskCursor(&all[i]), after) > 0 {
					nets = append(nets, all[i])
				}
			}
			p.Masks, nets, pg.Next = mergeMaskPage(p.Masks, nets, p.Next, count)
		}
	}
	lists := store.AddressLists{HostedURLs: p.HostedURLs, Files: p.Files, Resolutions: p.Resolutions, Masks: p.Masks}
	if err := b.leaveOutHeldAddressLists(ctx, &lists); err != nil {
		return nil, Page{}, err
	}
	r.HostedURLs, r.Files, r.Resolutions, r.Masks, r.NetMasks = lists.HostedURLs, lists.Files, lists.Resolutions, lists.Masks, nets
	return r, pg, nil
}

// mergeMaskPage merges a page of the store's masks (next: its cursor)
// with the network masks after the same cursor into one page of at most
// count items in mask order, and returns the cursor after it.
func mergeMaskPage(masks, nets []intel.FeedMask, next store.ListCursor, count int) ([]intel.FeedMask, []intel.FeedMask, store.ListCursor) {
	i, j := 0, 0
	var last *intel.FeedMask
	for i+j < count && (i < len(masks) || j < len(nets)) {
		if j >= len(nets) || (i < len(masks) && maskOrder(&masks[i], &nets[j]) <= 0) {
			last = &masks[i]
			i++
		} else {
			last = &nets[j]
			j++
		}
	}
	more := i < len(masks) || j < len(nets) || !next.IsZero()
	next = store.ListCursor{}
	if more && last != nil {
		next = store.MaskCursor(last)
	}
	return masks[:i], nets[:j], next
}

// DomainPage builds the report of the domain name holding only the list
// section sec (PagedDomainSection), with the count items of the
// section's list that follow the cursor after. Subdomains are ordered
// inside a page by their own zones, as the answer orders them; the pages
// follow the list's order (by the zones recorded in it).
func (b *Builder) DomainPage(ctx context.Context, name string, sec Sections, after store.ListCursor, count int) (*DomainReport, Page, error) {
	list, ok := domainPageLists[sec]
	if !ok {
		return nil, Page{}, intel.Invalid("the section cannot be paged")
	}
	if count <= 0 {
		return &DomainReport{Sections: sec, Domain: name}, Page{}, nil
	}
	j := b.judge()
	pg, err := pinPages(ctx, b, j, list, []string{name}, after, count)
	if err != nil {
		return nil, Page{}, err
	}
	r, err := b.domainWith(ctx, j, name, sec, count)
	if err != nil {
		return nil, Page{}, err
	}
	return r, pg, nil
}

// URLPage builds the report of a web address holding only the list
// section sec (PagedURLSection), with the count items after the cursor.
// A web address stored under several variants (scheme, trailing slash)
// reads each variant's list after the cursor and merges them as the
// answer does; an item recorded under several variants is one item placed
// by its merged values, which may differ from those of a variant's copy,
// so that such an item can come on two pages. Total adds up the variants'
// totals.
func (b *Builder) URLPage(ctx context.Context, rawURL string, sec Sections, after store.ListCursor, count int) (*URLReport, Page, error) {
	list, ok := urlPageLists[sec]
	if !ok {
		return nil, Page{}, intel.Invalid("the section cannot be paged")
	}
	key, truncated, err := intel.NormalizeURL(rawURL)
	if err != nil {
		return nil, Page{}, intel.Invalid("invalid web address: %v", err)
	}
	if count <= 0 {
		return &URLReport{Sections: sec, URL: key}, Page{}, nil
	}
	j := b.judge()
	u, err := j.url(ctx, key)
	if err != nil {
		return nil, Page{}, err
	}
	var pg Page
	switch {
	case sec == SecFilesDownloaded:
		j.pinnedFiles = map[string][]intel.FileDownload{}
		var all []intel.FileDownload
		more := false
		for i, k := range u.keys {
			if u.files[i] == 0 {
				continue
			}
			p, err := store.PageList(ctx, b.Store, store.ListRef{Name: store.ListURLFiles, URL: k}, after, count)
			if err != nil {
				return nil, Page{}, err
			}
			j.pinnedFiles[k] = p.Files
			pg.Total += p.Total
			more = more || !p.Next.IsZero()
			all = append(all, p.Files...)
		}
		slices.SortStableFunc(all, func(a, b intel.FileDownload) int {
			return store.CompareCursors(store.URLFileCursor(&a), store.URLFileCursor(&b))
		})
		if (more || len(all) > count) && len(all) > 0 {
			pg.Next = store.URLFileCursor(&all[min(count, len(all))-1])
		}
	case list == intel.LinkHostIPv4:
		if u.hostEv != nil {
			if pg, err = pinPages(ctx, b, j, list, []string{u.host}, after, count); err != nil {
				return nil, Page{}, err
			}
		} else {
			j.pinned = map[listKey][]intel.Link{}
		}
	default:
		if pg, err = pinPages(ctx, b, j, list, u.keys, after, count); err != nil {
			return nil, Page{}, err
		}
	}
	r, err := b.urlWith(ctx, j, key, truncated, sec, count)
	if err != nil {
		return nil, Page{}, err
	}
	return r, pg, nil
}

// FilePage builds the report of a file holding only the list section sec
// (PagedFileSection), with the count items after the cursor. A file's
// lists may be recorded under each of its hashes: each hash's list is read
// after the cursor and merged as the answer merges them, with URLPage's
// caveat for an item recorded under several hashes.
func (b *Builder) FilePage(ctx context.Context, hash string, sec Sections, after store.ListCursor, count int) (*FileReport, Page, error) {
	list, ok := filePageLists[sec]
	if !ok {
		return nil, Page{}, intel.Invalid("the section cannot be paged")
	}
	if count <= 0 {
		return &FileReport{Sections: sec, Query: hash}, Page{}, nil
	}
	j := b.judge()
	f, err := j.file(ctx, hash)
	if err != nil {
		return nil, Page{}, err
	}
	pg, err := pinPages(ctx, b, j, list, f.keys, after, count)
	if err != nil {
		return nil, Page{}, err
	}
	r, err := b.fileWith(ctx, j, hash, sec, count)
	if err != nil {
		return nil, Page{}, err
	}
	return r, pg, nil
}

// pinPages reads the page of list after the cursor of each owner and pins
// it in j, where it stands for the owner's list; it returns where the
// merged page (the answer's merge of the owners' items, cut at count)
// stands.
func pinPages(ctx context.Context, b *Builder, j *judge, list intel.LinkList, owners []string, after store.ListCursor, count int) (Page, error) {
	j.pinned = map[listKey][]intel.Link{}
	var pg Page
	var all []intel.Link
	at := map[string]int{}
	more := false
	for _, o := range owners {
		p, err := store.PageList(ctx, b.Store, store.ListRef{Name: store.ListLinks, Link: list, Owner: o}, after, count)
		if err != nil {
			return Page{}, err
		}
		j.pinned[listKey{list, o}] = p.Links
		pg.Total += p.Total
		more = more || !p.Next.IsZero()
		all = mergeLinks(all, at, p.Links)
	}
	intel.SortLinks(all)
	if (more || len(all) > count) && len(all) > 0 {
		pg.Next = store.LinkCursor(&all[min(count, len(all))-1])
	}
	return pg, nil
}
