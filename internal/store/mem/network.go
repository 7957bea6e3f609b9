package mem

import (
	"context"
	"slices"

	"github.com/tipd/tipd/internal/store"
)

var _ store.NetworkAddresses = (*Store)(nil)

// NetworkAddresses implements store.NetworkAddresses by reading every
// address and sorting those inside the query's buckets: the reference
// the bucketed indexes of the other backends are checked against, not a
// bounded read.
func (s *Store) NetworkAddresses(ctx context.Context, q store.NetworkQuery) (store.NetworkPage, error) {
	if err := ctx.Err(); err != nil {
		return store.NetworkPage{}, err
	}
	buckets, truncated, err := store.CheckNetworkQuery(q)
	if err != nil {
		return store.NetworkPage{}, err
	}
	var all []store.NetworkItem
	s.mu.RLock()
	for ip, a := range s.addrs {
		if a.last.IsZero() {
			continue
		}
		for _, b := range buckets {
			if b.Filter.Contains(ip) {
				it := store.NetworkItem{IP: ip, LastSeen: a.last}
				for _, h := range a.sightings {
					it.Hits += h
				}
				if q.After.IsZero() || store.CompareNetworkItems(it, q.After) > 0 {
					all = append(all, it)
				}
				break
			}
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(all, store.CompareNetworkItems)
	page := store.NetworkPage{Truncated: truncated}
	if len(all) > q.Limit {
		all = all[:q.Limit]
		page.Next = all[q.Limit-1]
	}
	page.Items = all
	return page, nil
}
