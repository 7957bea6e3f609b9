package pebble

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var _ store.ListPager = (*Store)(nil)

// ListPage implements store.ListPager: one seek in the list's index to
// the cursor's index key (its sort key, then its item key, both as the
// list's index writes them) and a scan of at most limit+1 entries from
// the first key after it. The heads of address lists are not used: they
// only copy the first entries of the index. A list of an object that its
// summary holds inline (inline.go) has no index entries; its items are
// then read from the summary, with the same iterator.
func (s *Store) ListPage(ctx context.Context, ref store.ListRef, after store.ListCursor, limit int) (store.ListPage, error) {
	var p store.ListPage
	if err := ctx.Err(); err != nil || limit <= 0 {
		return p, err
	}
	var err error
	switch ref.Name {
	case store.ListHostedURLs:
		p.HostedURLs, p.Next, err = pageAddr(ctx, s, lHosted, ref.IP, after, limit, readHosted, store.HostedCursor)
	case store.ListFiles:
		p.Files, p.Next, err = pageAddr(ctx, s, lFiles, ref.IP, after, limit, readFiles, store.FileCursor)
	case store.ListResolutions:
		p.Resolutions, p.Next, err = pageAddr(ctx, s, lRes, ref.IP, after, limit, readResolutions, store.ResolutionCursor)
	case store.ListMasks:
		p.Masks, p.Next, err = pageAddr(ctx, s, lMasks, ref.IP, after, limit, readMasks, store.MaskCursor)
	case store.ListURLFiles:
		p.Files, p.Next, err = s.pageURLFiles(ctx, ref.URL, after, limit)
	case store.ListLinks:
		p.Links, p.Next, err = s.pageLinks(ctx, ref.Link, ref.Owner, after, limit)
	default:
		return p, intel.Invalid("unknown list %d", ref.Name)
	}
	if err != nil {
		return store.ListPage{}, err
	}
	p.Total, err = s.listTotal(ref)
	return p, err
}

// listTotal is the length of a list as its owner's summary counts it:
// one point read.
func (s *Store) listTotal(ref store.ListRef) (int64, error) {
	var n int64
	var err error
	switch ref.Name {
	case store.ListURLFiles:
		var u urlSum
		_, err = getFn(s.db, strKey(tURL, ref.URL), func(v []byte) error { return decURLSum(&dec{s: string(v)}, &u) })
		n = u.sum.Files
	case store.ListLinks:
		if !ref.Link.Valid() {
			return 0, nil
		}
		var sum objSum
		_, err = getFn(s.db, objectKey(ref.Link.Owner(), ref.Owner), func(v []byte) error {
			return decObjSumFields(&dec{s: string(v), names: s.names, own: ref.Owner}, &sum, false)
		})
		n = sum.count(ref.Link).Items
	default:
		ip := intel.NormIP(ref.IP)
		if !ip.IsValid() {
			return 0, nil
		}
		list := map[store.ListName]byte{store.ListHostedURLs: lHosted, store.ListFiles: lFiles, store.ListResolutions: lRes, store.ListMasks: lMasks}[ref.Name]
		var sum addrSum
		_, err = getFn(s.db, addrKey(tAddr, ip), func(v []byte) error { return decAddrSum(&dec{s: string(v)}, &sum) })
		n = sum.lens[listNo(list)]
	}
	if err != nil {
		return 0, fmt.Errorf("count of a list: %w", err)
	}
	return n, nil
}

// pageStart is the key a page of the list owned by owner starts at: the
// first key after the cursor's index entry (nil for the zero cursor: the
// scan starts at the list's first key).
func pageStart(list byte, owner []byte, after store.ListCursor, bySeverity bool, linkSev bool) []byte {
	if after.IsZero() {
		return nil
	}
	var sort []byte
	switch {
	case linkSev:
		sort = binary.BigEndian.AppendUint64([]byte{byte(255 - after.Sev)}, ^(uint64(after.Hits) ^ (1 << 63)))
	case bySeverity:
		sort = []byte{byte(255 - after.Sev)}
	default:
		sort = recencyKey(nil, after.LastSeen, after.Hits)
	}
	return append(indexKey(list, owner, sort, []byte(after.Key)), 0)
}

// pageAddr reads one page of an address list with the list's decoder.
func pageAddr[T any](ctx context.Context, s *Store, list byte, ip netip.Addr, after store.ListCursor, limit int,
	read func(*listIter, netip.Addr, int, []T, *listScratch) ([]T, error), cursor func(*T) store.ListCursor) ([]T, store.ListCursor, error) {
	ip = intel.NormIP(ip)
	if !ip.IsValid() {
		return nil, store.ListCursor{}, nil
	}
	sortLen := recencyKeyLen
	if list == lMasks {
		sortLen = 1
	}
	it, err := s.db.NewIterWithContext(ctx, nil)
	if err != nil {
		return nil, store.ListCursor{}, fmt.Errorf("%s of %s: %w", listNames[list], ip, err)
	}
	defer it.Close()
	return pageAddrOn(it, list, sortLen, ip, after, limit, read, cursor)
}

// pageAddrOn is pageAddr with the iterator it.
func pageAddrOn[T any](it *pebble.Iterator, list byte, sortLen int, ip netip.Addr, after store.ListCursor, limit int,
	read func(*listIter, netip.Addr, int, []T, *listScratch) ([]T, error), cursor func(*T) store.ListCursor) ([]T, store.ListCursor, error) {
	o := addrOwner(nil, ip)
	l, err := listOn(it, list, o, sortLen, limit+1)
	if err != nil {
		return nil, store.ListCursor{}, fmt.Errorf("%s of %s: %w", listNames[list], ip, err)
	}
	l.start = pageStart(list, o, after, list == lMasks, false)
	items, err := read(&l, ip, limit+1, nil, nil)
	if err != nil {
		return nil, store.ListCursor{}, err
	}
	return store.CutPage(items, limit, cursor)
}

// pageURLFiles reads one page of the files of a web address.
func (s *Store) pageURLFiles(ctx context.Context, url string, after store.ListCursor, limit int) ([]intel.FileDownload, store.ListCursor, error) {
	o := strOwner(nil, url)
	l, err := s.openList(ctx, lURLFiles, o, recencyKeyLen, limit+1)
	if err != nil {
		return nil, store.ListCursor{}, fmt.Errorf("files of url %q: %w", url, err)
	}
	l.start = pageStart(lURLFiles, o, after, false, false)
	var out []intel.FileDownload
	d := itemDec{limit: limit + 1}
	for {
		item, val, ok := l.next()
		if !ok {
			break
		}
		out = grow(out, limit+1)
		f := &out[len(out)-1]
		f.MD5 = d.item(item, val)
		if decFile(&d.dec, f, true); d.err != nil {
			l.fail(errCorrupt)
		}
	}
	if err := l.close(); err != nil {
		return nil, store.ListCursor{}, fmt.Errorf("files of url %q: %w", url, err)
	}
	return store.CutPage(out, limit, store.URLFileCursor)
}

// pageLinks reads one page of a list of an object.
func (s *Store) pageLinks(ctx context.Context, list intel.LinkList, owner string, after store.ListCursor, limit int) ([]intel.Link, store.ListCursor, error) {
	if !list.Valid() {
		return nil, store.ListCursor{}, nil
	}
	it, err := s.db.NewIterWithContext(ctx, nil)
	if err != nil {
		return nil, store.ListCursor{}, fmt.Errorf("list %d of %q: %w", list, owner, err)
	}
	defer it.Close()
	o := linkOwner(nil, list, owner)
	l, err := listOn(it, lLinks, o, linkSortLen(list), limit+1)
	if err != nil {
		return nil, store.ListCursor{}, fmt.Errorf("list %d of %q: %w", list, owner, err)
	}
	l.start = pageStart(lLinks, o, after, false, list.BySeverity())
	out, err := readLinks(&l, list, owner, limit+1)
	if err != nil {
		return nil, store.ListCursor{}, err
	}
	if len(out) == 0 && inlineList(list) {
		links, err := inlinedLinks(it, list, owner, s.names)
		if err != nil {
			return nil, store.ListCursor{}, err
		}
		for i := range links {
			if after.IsZero() || store.CompareCursors(store.LinkCursor(&links[i]), after) > 0 {
				out = append(out, links[i])
			}
		}
	}
	return store.CutPage(out, limit, store.LinkCursor)
}
