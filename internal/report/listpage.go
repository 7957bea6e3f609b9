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
	p, err := store.PageList(ctx, b.Store, store.ListRef{Name: store.ListLinks, Link: list, Owner: name}, after, count)
	if err != nil {
		return nil, Page{}, err
	}
	j := b.judge()
	j.pinned = map[listKey][]intel.Link{{list, name}: p.Links}
	r, err := b.domainWith(ctx, j, name, sec, count)
	if err != nil {
		return nil, Page{}, err
	}
	return r, Page{Total: p.Total, Next: p.Next}, nil
}
