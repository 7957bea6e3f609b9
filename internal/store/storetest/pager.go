package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// pagerItems is the length of each list testListPages pages through.
const pagerItems = 150

// pagerBatch holds pagerItems items in every list section: the four lists
// of ip4a, the files of one web address, a list of an object by recency
// and one by severity, and a short object list (held inline where a
// backend does). Many items share their LastSeen, their hits or both, and
// some are undated, so that the order's ties are exercised.
func pagerBatch() *intel.Batch {
	b := &intel.Batch{}
	zones := []intel.Zone{intel.ZoneRed, intel.ZoneGrey, intel.ZoneOrange, intel.ZoneGreen, intel.ZoneYellow}
	for i := range pagerItems {
		seen := at(2024, 3, 1+i%9, i%3, 0)
		hits := int64(i % 4)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip4a, URL: fmt.Sprintf("pager.example/u%03d", i), Zone: intel.ZoneRed,
			Hits: hits, FirstSeen: seen, LastSeen: seen, Source: src("URLhaus", 1)})
		f := intel.FileDownload{IP: ip4a, MD5: fmt.Sprintf("%032X", i%50), URL: fmt.Sprintf("http://pager.example/f%d.exe", i/50),
			Zone: intel.ZoneRed, DetectionName: "Trojan.X", Hits: hits, FirstSeen: seen, LastSeen: seen, Source: src("URLhaus", 1)}
		b.Files = append(b.Files, f)
		b.Files = append(b.Files, intel.FileDownload{IP: ip4b, MD5: fmt.Sprintf("%032X", 1000+i), URL: "http://pager.example/many.exe",
			Zone: intel.ZoneRed, DetectionName: "Trojan.Y", Hits: hits, FirstSeen: seen, LastSeen: seen, Source: src("URLhaus", 1)})
		r := intel.Resolution{IP: ip4a, Domain: fmt.Sprintf("r%03d.pager.example", i), Hits: hits, DailyPeak: 1,
			FirstSeen: seen, LastSeen: seen, PeakDate: seen, Source: src("pDNS", 1)}
		if i%10 == 0 {
			r.FirstSeen, r.LastSeen, r.PeakDate = time.Time{}, time.Time{}, time.Time{}
		}
		b.Resolutions = append(b.Resolutions, r)
		b.Masks = append(b.Masks, intel.FeedMask{IP: ip4a, Mask: fmt.Sprintf("m%03d.pager.example", i/2), MaskType: []string{intel.MaskHost, intel.MaskURL}[i%2],
			Zone: zones[i%len(zones)], Feeds: []string{"URLhaus"}, LastSeen: seen, Source: src("URLhaus", 1)})
		l := intel.Link{List: intel.LinkHostURLs, Owner: "pager.example", Item: fmt.Sprintf("pager.example/l%03d", i),
			Hits: hits, Source: src("URLhaus", 1)}
		if i%10 != 0 {
			l.FirstSeen, l.LastSeen = seen, seen
		}
		b.Links = append(b.Links, l, intel.Link{List: intel.LinkSubdomains, Owner: "pager.example", Item: fmt.Sprintf("s%03d.pager.example", i),
			Zone: zones[i%len(zones)], Hits: hits, Source: src("pDNS", 1)})
	}
	for i := range 3 {
		b.Links = append(b.Links, intel.Link{List: intel.LinkHostFiles, Owner: "pager.example", Item: fmt.Sprintf("%032X", i),
			Zone: intel.ZoneRed, Hits: int64(i), LastSeen: at(2024, 3, 1, i, 0), Source: src("URLhaus", 1)})
	}
	return b
}

// pagerCase is one list testListPages pages through: its ref, how many
// items it holds, and how to read it whole and as cursors.
type pagerCase struct {
	name  string
	ref   store.ListRef
	items int
	// all reads the whole list with the list's own read; keys names the
	// items of a page, in order.
	all  func(t *testing.T, s store.Store) []string
	keys func(p *store.ListPage) []string
}

func pagerCases() []pagerCase {
	const all = 1000
	hostedKeys := func(p *store.ListPage) []string {
		return mapKeys(p.HostedURLs, func(h *intel.HostedURL) string { return h.URL })
	}
	fileKeys := func(p *store.ListPage) []string {
		return mapKeys(p.Files, func(f *intel.FileDownload) string { return f.MD5 + " " + f.URL })
	}
	urlFileKeys := func(p *store.ListPage) []string {
		return mapKeys(p.Files, func(f *intel.FileDownload) string { return f.MD5 })
	}
	resKeys := func(p *store.ListPage) []string {
		return mapKeys(p.Resolutions, func(r *intel.Resolution) string { return r.Domain })
	}
	maskKeys := func(p *store.ListPage) []string {
		return mapKeys(p.Masks, func(m *intel.FeedMask) string { return m.Mask + " " + m.MaskType })
	}
	linkKeys := func(p *store.ListPage) []string {
		return mapKeys(p.Links, func(l *intel.Link) string { return l.Item })
	}
	linkList := func(list intel.LinkList) func(t *testing.T, s store.Store) []string {
		return func(t *testing.T, s store.Store) []string {
			return linkKeys(&store.ListPage{Links: links(t, s, list, "pager.example", all)})
		}
	}
	return []pagerCase{
		{"HostedURLs", store.ListRef{Name: store.ListHostedURLs, IP: ip4a}, pagerItems,
			func(t *testing.T, s store.Store) []string {
				return hostedKeys(&store.ListPage{HostedURLs: hosted(t, s, ip4a, all)})
			}, hostedKeys},
		{"Files", store.ListRef{Name: store.ListFiles, IP: ip4a}, pagerItems,
			func(t *testing.T, s store.Store) []string {
				return fileKeys(&store.ListPage{Files: files(t, s, ip4a, all)})
			}, fileKeys},
		{"Resolutions", store.ListRef{Name: store.ListResolutions, IP: ip4a}, pagerItems,
			func(t *testing.T, s store.Store) []string {
				return resKeys(&store.ListPage{Resolutions: resolutions(t, s, ip4a, all)})
			}, resKeys},
		{"Masks", store.ListRef{Name: store.ListMasks, IP: ip4a}, pagerItems,
			func(t *testing.T, s store.Store) []string {
				return maskKeys(&store.ListPage{Masks: masks(t, s, ip4a, all)})
			}, maskKeys},
		{"URLFiles", store.ListRef{Name: store.ListURLFiles, URL: "pager.example/many.exe"}, pagerItems,
			func(t *testing.T, s store.Store) []string {
				fs, err := s.URLFiles(ctx(t), "pager.example/many.exe", all)
				if err != nil {
					t.Fatal(err)
				}
				return urlFileKeys(&store.ListPage{Files: fs})
			}, urlFileKeys},
		{"LinksByRecency", store.ListRef{Name: store.ListLinks, Link: intel.LinkHostURLs, Owner: "pager.example"}, pagerItems,
			linkList(intel.LinkHostURLs), linkKeys},
		{"LinksBySeverity", store.ListRef{Name: store.ListLinks, Link: intel.LinkSubdomains, Owner: "pager.example"}, pagerItems,
			linkList(intel.LinkSubdomains), linkKeys},
		{"ShortLinks", store.ListRef{Name: store.ListLinks, Link: intel.LinkHostFiles, Owner: "pager.example"}, 3,
			linkList(intel.LinkHostFiles), linkKeys},
	}
}

func mapKeys[T any](items []T, key func(*T) string) []string {
	out := make([]string, len(items))
	for i := range items {
		out[i] = key(&items[i])
	}
	return out
}

// testListPages pages through every list with several page sizes
// (store.PageList, the cursor passed on as its String, as a client would):
// every item exactly once, in the list's order, each page as long as
// asked but the last, Next set exactly when items follow. Pages of the
// backend's own ListPager and of store.ScanPage agree.
func testListPages(t *testing.T, f Factory) {
	s := open(t, f)
	apply(t, s, pagerBatch())
	for _, pc := range pagerCases() {
		t.Run(pc.name, func(t *testing.T) {
			want := pc.all(t, s)
			if len(want) != pc.items {
				t.Fatalf("fixture: got %d items, want %d", len(want), pc.items)
			}
			for _, size := range []int{1, 7, 50, pc.items, pc.items + 1} {
				var got []string
				seen := map[string]bool{}
				after := store.ListCursor{}
				for pages := 0; ; pages++ {
					if pages > pc.items+1 {
						t.Fatalf("page size %d: more than %d pages", size, pc.items+1)
					}
					p, err := store.PageList(ctx(t), s, pc.ref, after, size)
					if err != nil {
						t.Fatalf("page size %d, page %d: %v", size, pages, err)
					}
					ref, err := store.ScanPage(ctx(t), s, pc.ref, after, size)
					if err != nil {
						t.Fatal(err)
					}
					keys := pc.keys(&p)
					if p.Total != int64(pc.items) {
						t.Errorf("page size %d, page %d: Total %d, want %d", size, pages, p.Total, pc.items)
					}
					check(t, fmt.Sprintf("page size %d, page %d: items as ScanPage", size, pages), keys, pc.keys(&ref))
					check(t, fmt.Sprintf("page size %d, page %d: Next as ScanPage", size, pages), p.Next, ref.Next)
					for _, k := range keys {
						if seen[k] {
							t.Fatalf("page size %d, page %d: %q returned twice", size, pages, k)
						}
						seen[k] = true
					}
					got = append(got, keys...)
					if p.Next.IsZero() {
						break
					}
					if len(keys) != size {
						t.Fatalf("page size %d, page %d: got %d items and a Next, want %d", size, pages, len(keys), size)
					}
					after, err = store.ParseListCursor(p.Next.String())
					if err != nil {
						t.Fatalf("page size %d: cursor %q: %v", size, p.Next, err)
					}
				}
				check(t, fmt.Sprintf("page size %d: every item once, in order", size), got, want)
			}
		})
	}
	// Re-applying the batch, and merging new values into known items,
	// leaves every total as it was.
	apply(t, s, pagerBatch())
	again := pagerBatch()
	for i := range again.HostedURLs {
		again.HostedURLs[i].Hits += 10
	}
	apply(t, s, again)
	for _, pc := range pagerCases() {
		p, err := store.PageList(ctx(t), s, pc.ref, store.ListCursor{}, 1)
		if err != nil || p.Total != int64(pc.items) {
			t.Errorf("%s after re-applying: got Total %d, %v; want %d", pc.name, p.Total, err, pc.items)
		}
	}
	t.Run("Empty", func(t *testing.T) {
		for _, ref := range []store.ListRef{
			{Name: store.ListHostedURLs, IP: ip6b},
			{Name: store.ListURLFiles, URL: "unknown.example/x"},
			{Name: store.ListLinks, Link: intel.LinkHostURLs, Owner: "unknown.example"},
			{Name: store.ListLinks, Link: 0, Owner: "pager.example"},
			{Name: store.ListHostedURLs, IP: ip4a, Owner: "limit 0"},
		} {
			limit := 10
			if ref.Owner == "limit 0" {
				limit = 0
			}
			p, err := store.PageList(ctx(t), s, ref, store.ListCursor{}, limit)
			if err != nil || p.Len() != 0 || !p.Next.IsZero() {
				t.Errorf("%+v: got %d items, Next %v, %v; want an empty page", ref, p.Len(), p.Next, err)
			}
		}
	})
	// A cursor past every item: an empty page.
	p, err := store.PageList(ctx(t), s, store.ListRef{Name: store.ListHostedURLs, IP: ip4a},
		store.ListCursor{Key: "~"}, 10)
	if err != nil || p.Len() != 0 {
		t.Errorf("after the last item: got %d items, %v; want none", p.Len(), err)
	}
}
