package importtest

import (
	"context"
	"slices"
	"testing"

	"github.com/tipd/tipd/internal/intel"
)

// Object returns what the world's store holds about one domain, web
// address or file (the key as the lookup normalises it).
func (w *World) Object(t testing.TB, kind intel.ObjectKind, key string) intel.ObjectSummary {
	t.Helper()
	s, err := w.Store.Object(context.Background(), kind, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Links returns one list of one owner, at most 1000 items.
func (w *World) Links(t testing.TB, list intel.LinkList, owner string) []intel.Link {
	t.Helper()
	ls, err := w.Store.Links(context.Background(), list, owner, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// LinkItems returns the items of one list of one owner, in the list's
// order.
func (w *World) LinkItems(t testing.TB, list intel.LinkList, owner string) []string {
	t.Helper()
	var out []string
	for _, l := range w.Links(t, list, owner) {
		out = append(out, l.Item)
	}
	return out
}

// Categories returns the categories the listings of an object name,
// sorted and distinct.
func Categories(s intel.ObjectSummary) []intel.Category {
	var out []intel.Category
	for _, l := range s.Listings {
		out = append(out, l.Category)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// HasListing reports whether the object is listed in category c by feed
// ("" any feed).
func HasListing(s intel.ObjectSummary, c intel.Category, feed string) bool {
	return slices.ContainsFunc(s.Listings, func(l intel.ObjectListing) bool {
		return l.Category == c && (feed == "" || l.Feed == feed)
	})
}
