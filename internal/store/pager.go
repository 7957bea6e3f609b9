package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Paging through list sections. The list reads (HostedURLs, Files,
// Resolutions, Masks, URLFiles, Links) answer the first N items of a list;
// a ListPager continues any of them from a cursor, a page at a time, at a
// cost bounded by the page size and not by the position in the list.
//
// A cursor is the sort position of the last item of a page (ListCursor):
// the next page starts strictly after it, so that no item is returned
// twice while the list does not change. An item that changes between two
// pages (a new sighting, more hits, a new zone) moves in the order: if it
// moves to before the cursor it is not shown again, and if it moves from
// before the cursor to after it, it is shown a second time. Items added
// before the cursor are not shown; items added after it are.

// ListName selects the list a ListRef names.
type ListName uint8

// The lists of ListRef.
const (
	ListHostedURLs  ListName = iota + 1 // Intel.HostedURLs of IP
	ListFiles                           // Intel.Files of IP
	ListResolutions                     // Intel.Resolutions of IP
	ListMasks                           // Intel.Masks of IP
	ListURLFiles                        // Intel.URLFiles of URL
	ListLinks                           // Objects.Links: list Link of Owner
)

// ListRef names one list of one owner.
type ListRef struct {
	Name  ListName
	IP    netip.Addr     // ListHostedURLs, ListFiles, ListResolutions, ListMasks
	URL   string         // ListURLFiles: the normalised web address key
	Link  intel.LinkList // ListLinks
	Owner string         // ListLinks: the owner's key
}

// bySeverity reports whether the list is ordered by zone first.
func (r ListRef) bySeverity() bool {
	return r.Name == ListMasks || r.Name == ListLinks && r.Link.BySeverity()
}

// ListPage is one page of a list: the field of the list's item type holds
// the items (Files for ListFiles and ListURLFiles).
type ListPage struct {
	HostedURLs  []intel.HostedURL
	Files       []intel.FileDownload
	Resolutions []intel.Resolution
	Masks       []intel.FeedMask
	Links       []intel.Link
	// Total is the number of items of the whole list, as the owner's
	// summary counts them (not by reading the list).
	Total int64
	// Next is the cursor after the last item when the list may go on
	// after it; the zero cursor when the page ends the list.
	Next ListCursor
}

// Len is the number of items of the page.
func (p *ListPage) Len() int {
	return len(p.HostedURLs) + len(p.Files) + len(p.Resolutions) + len(p.Masks) + len(p.Links)
}

// ListPager is an optional interface of a backend that continues a list
// read after a cursor: at most limit items of the list ref names that
// come strictly after the cursor in the list's order (the zero cursor
// starts at the first item), the same items the list's own read answers
// there, and the length of the whole list (Total). Next is set when more
// items follow; a backend reads one item more than limit to tell. The cost is bounded by limit, not by the
// cursor's position nor by the length of the list. An unknown owner, or a
// list that does not exist (an invalid LinkList), is an empty page.
type ListPager interface {
	ListPage(ctx context.Context, ref ListRef, after ListCursor, limit int) (ListPage, error)
}

// PageList reads one page of a list: with the backend's ListPager when st
// has one, otherwise by reading the list from its start up to the page's
// end (a cost that grows with the position, for backends that have no
// cheaper way).
func PageList(ctx context.Context, st Intel, ref ListRef, after ListCursor, limit int) (ListPage, error) {
	if p, ok := st.(ListPager); ok {
		return p.ListPage(ctx, ref, after, limit)
	}
	return ScanPage(ctx, st, ref, after, limit)
}

// maxScan is the most items ScanPage reads of one list.
const maxScan = math.MaxInt32

// ScanPage is a page read by reading the whole list with the list's own
// read and keeping the items after the cursor: the reference PageList
// must agree with, at a cost that grows with the length of the list.
func ScanPage(ctx context.Context, st Intel, ref ListRef, after ListCursor, limit int) (ListPage, error) {
	var p ListPage
	if limit <= 0 {
		return p, ctx.Err()
	}
	var err error
	switch ref.Name {
	case ListHostedURLs:
		p.HostedURLs, p.Next, p.Total, err = scanPage(ctx, ref.IP, after, limit, st.HostedURLs, HostedCursor)
	case ListFiles:
		p.Files, p.Next, p.Total, err = scanPage(ctx, ref.IP, after, limit, st.Files, FileCursor)
	case ListResolutions:
		p.Resolutions, p.Next, p.Total, err = scanPage(ctx, ref.IP, after, limit, st.Resolutions, ResolutionCursor)
	case ListMasks:
		p.Masks, p.Next, p.Total, err = scanPage(ctx, ref.IP, after, limit, st.Masks, MaskCursor)
	case ListURLFiles:
		p.Files, p.Next, p.Total, err = scanPage(ctx, ref.URL, after, limit, st.URLFiles, URLFileCursor)
	case ListLinks:
		if !ref.Link.Valid() {
			return p, ctx.Err()
		}
		p.Links, p.Next, p.Total, err = scanPage(ctx, ref.Owner, after, limit,
			func(ctx context.Context, owner string, n int) ([]intel.Link, error) {
				return st.Links(ctx, ref.Link, owner, n)
			}, LinkCursor)
	default:
		return p, intel.Invalid("unknown list %d", ref.Name)
	}
	return p, err
}

func scanPage[K, T any](ctx context.Context, owner K, after ListCursor, limit int,
	read func(context.Context, K, int) ([]T, error), cursor func(*T) ListCursor) ([]T, ListCursor, int64, error) {
	all, err := read(ctx, owner, maxScan)
	if err != nil {
		return nil, ListCursor{}, 0, err
	}
	i := 0
	total := int64(len(all))
	if !after.IsZero() {
		for i < len(all) {
			c := cursor(&all[i])
			if CompareCursors(c, after) > 0 {
				break
			}
			i++
		}
	}
	items, next, err := CutPage(all[i:], limit, cursor)
	return items, next, total, err
}

// CutPage ends a page read of at most limit+1 items: the first limit
// items, and the cursor of the last of them when there were more.
func CutPage[T any](items []T, limit int, cursor func(*T) ListCursor) ([]T, ListCursor, error) {
	if len(items) <= limit {
		return items, ListCursor{}, nil
	}
	items = items[:limit]
	return items, cursor(&items[limit-1]), nil
}

// ListCursor is the sort position of an item in its list: the fields the
// list's order compares, the others zero. Lists by recency compare
// LastSeen (newest first; the zero time last), then Hits (most first),
// then Key; the masks of an address compare Sev (most severe first), then
// Key; object lists by severity Sev, then Hits, then Key. Key is the
// item's key: the web address (hosted URLs), MD5 0x00 URL (an address's
// files), the MD5 (a web address's files), the domain (resolutions), mask
// 0x00 mask type (masks), Link.Item (links).
type ListCursor struct {
	Sev      int // intel.Zone.Severity of the item's zone
	LastSeen time.Time
	Hits     int64
	Key      string
}

// IsZero reports whether c is the zero cursor, before the first item.
func (c ListCursor) IsZero() bool {
	return c.Sev == 0 && c.LastSeen.IsZero() && c.Hits == 0 && c.Key == ""
}

// CompareCursors orders sort positions as the lists do: negative when a
// comes first.
func CompareCursors(a, b ListCursor) int {
	if c := cmp.Compare(b.Sev, a.Sev); c != 0 {
		return c
	}
	switch az, bz := a.LastSeen.IsZero(), b.LastSeen.IsZero(); {
	case az && !bz:
		return 1
	case bz && !az:
		return -1
	}
	if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Hits, a.Hits); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// The cursors of the items of each list.

// HostedCursor is the cursor of a hosted URL.
func HostedCursor(h *intel.HostedURL) ListCursor {
	return ListCursor{LastSeen: h.LastSeen, Hits: h.Hits, Key: h.URL}
}

// FileCursor is the cursor of a file of an address.
func FileCursor(f *intel.FileDownload) ListCursor {
	return ListCursor{LastSeen: f.LastSeen, Hits: f.Hits, Key: f.MD5 + "\x00" + f.URL}
}

// URLFileCursor is the cursor of a file of a web address.
func URLFileCursor(f *intel.FileDownload) ListCursor {
	return ListCursor{LastSeen: f.LastSeen, Hits: f.Hits, Key: f.MD5}
}

// ResolutionCursor is the cursor of a resolution.
func ResolutionCursor(r *intel.Resolution) ListCursor {
	return ListCursor{LastSeen: r.LastSeen, Hits: r.Hits, Key: r.Domain}
}

// MaskCursor is the cursor of a mask.
func MaskCursor(m *intel.FeedMask) ListCursor {
	return ListCursor{Sev: m.Zone.Severity(), Key: m.Mask + "\x00" + m.MaskType}
}

// LinkCursor is the cursor of a link.
func LinkCursor(l *intel.Link) ListCursor {
	if l.List.BySeverity() {
		return ListCursor{Sev: l.Zone.Severity(), Hits: l.Hits, Key: l.Item}
	}
	return ListCursor{LastSeen: l.LastSeen, Hits: l.Hits, Key: l.Item}
}

// cursorFormat is the first byte of an encoded cursor.
const cursorFormat = 1

// String encodes c as an opaque token (base64url without padding) that
// ParseListCursor reads back; the zero cursor is "".
func (c ListCursor) String() string {
	if c.IsZero() {
		return ""
	}
	b := make([]byte, 0, 32+len(c.Key))
	b = append(b, cursorFormat)
	b = binary.AppendVarint(b, int64(c.Sev))
	if c.LastSeen.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, c.LastSeen.Unix())
		b = binary.AppendUvarint(b, uint64(c.LastSeen.Nanosecond()))
	}
	b = binary.AppendVarint(b, c.Hits)
	b = append(b, c.Key...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// errCursor is the error of a token that is not a cursor.
var errCursor = errors.New("not a list cursor")

// ParseListCursor reads a cursor String wrote; "" is the zero cursor.
func ParseListCursor(s string) (ListCursor, error) {
	var c ListCursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1 || b[0] != cursorFormat {
		return c, errCursor
	}
	b = b[1:]
	sev, n := binary.Varint(b)
	if n <= 0 || sev < math.MinInt32 || sev > math.MaxInt32 {
		return c, errCursor
	}
	c.Sev, b = int(sev), b[n:]
	if len(b) < 1 || b[0] > 1 {
		return c, errCursor
	}
	dated := b[0] == 1
	b = b[1:]
	if dated {
		sec, n := binary.Varint(b)
		if n <= 0 {
			return c, errCursor
		}
		b = b[n:]
		ns, n := binary.Uvarint(b)
		if n <= 0 || ns >= 1e9 {
			return c, errCursor
		}
		b = b[n:]
		c.LastSeen = time.Unix(sec, int64(ns)).UTC()
		if c.LastSeen.IsZero() {
			return c, errCursor
		}
	}
	if c.Hits, n = binary.Varint(b); n <= 0 {
		return c, errCursor
	}
	c.Key = string(b[n:])
	if c.IsZero() || c.String() != s {
		return c, errCursor // one token per cursor
	}
	return c, nil
}
