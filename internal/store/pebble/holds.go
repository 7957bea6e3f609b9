package pebble

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// holdCache is the in-process copy of the holds. It is exact for the same
// reason as accessCache: every change of the holds goes through this Store
// (changeHolds), which drops the copy after it commits.
type holdCache struct {
	loaded bool
	list   []intel.Hold // sorted by reference
	// addrs indexes the holds on addresses, networks and web addresses in
	// list (tried one by one, as before names and files were held); names
	// and files map a held name or hash to the first hold on it in list,
	// so that a check probes them by exact key.
	addrs []int
	names map[string]int
	files map[string]int
}

// newHoldCache indexes the holds in list (sorted by reference).
func newHoldCache(list []intel.Hold) holdCache {
	c := holdCache{loaded: true, list: list, names: map[string]int{}, files: map[string]int{}}
	for i, h := range list {
		switch {
		case h.Domain != "":
			if _, ok := c.names[h.Domain]; !ok {
				c.names[h.Domain] = i
			}
		case h.Hash != "":
			if _, ok := c.files[h.Hash]; !ok {
				c.files[h.Hash] = i
			}
		default:
			c.addrs = append(c.addrs, i)
		}
	}
	return c
}

// match returns the index in list of the first hold matching q, or -1.
func (c *holdCache) match(q intel.HoldQuery) int {
	best := -1
	better := func(i int) {
		if best < 0 || i < best {
			best = i
		}
	}
	for _, i := range c.addrs {
		if c.list[i].Matches(q) {
			better(i)
			break // addrs is in reference order
		}
	}
	if q.Domain != "" && len(c.names) > 0 {
		intel.DomainSuffixes(q.Domain, func(n string) {
			if i, ok := c.names[n]; ok {
				better(i)
			}
		})
	}
	for _, x := range q.Hashes {
		if i, ok := c.files[x]; ok {
			better(i)
		}
	}
	return best
}

// changeHolds writes one change of the holds in a synced batch and drops
// the in-process copy.
func (s *Store) changeHolds(fn func(b *pebble.Batch) error) error {
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	if err := fn(b); err != nil {
		return err
	}
	err := b.Commit(pebble.Sync)
	s.holdMu.Lock()
	s.holds = holdCache{}
	s.holdMu.Unlock()
	return err
}

// PutHold implements store.Access.
func (s *Store) PutHold(ctx context.Context, h intel.Hold) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.CheckHold(h); err != nil {
		return err
	}
	h.Created = intel.UTC(h.Created)
	j, err := json.Marshal(h)
	if err == nil {
		err = s.changeHolds(func(b *pebble.Batch) error { return b.Set(strKey(tHold, h.Ref), j, nil) })
	}
	if err != nil {
		return fmt.Errorf("put hold %q: %w", h.Ref, err)
	}
	return nil
}

// DeleteHold implements store.Access.
func (s *Store) DeleteHold(ctx context.Context, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.changeHolds(func(b *pebble.Batch) error {
		_, found, err := get(s.db, strKey(tHold, ref))
		if err == nil && !found {
			err = intel.ErrNotFound
		}
		if err != nil {
			return err
		}
		return b.Delete(strKey(tHold, ref), nil)
	})
	if err != nil {
		return fmt.Errorf("delete hold %q: %w", ref, err)
	}
	return nil
}

// readHolds reads every hold, sorted by reference.
func (s *Store) readHolds(ctx context.Context) ([]intel.Hold, error) {
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tHold}, UpperBound: []byte{tHold + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []intel.Hold{}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		var h intel.Hold
		if err := json.Unmarshal(v, &h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, it.Error()
}

// Holds implements store.Access from the in-process copy (read once and
// again only after the holds changed): reports call it to leave held
// objects out of their lists.
func (s *Store) Holds(ctx context.Context) ([]intel.Hold, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.holdMu.Lock()
	defer s.holdMu.Unlock()
	if err := s.loadHolds(ctx); err != nil {
		return nil, fmt.Errorf("holds: %w", err)
	}
	return append([]intel.Hold{}, s.holds.list...), nil
}

// loadHolds fills the in-process copy when it is empty; s.holdMu is held.
func (s *Store) loadHolds(ctx context.Context) error {
	if s.holds.loaded {
		return nil
	}
	list, err := s.readHolds(ctx)
	if err != nil {
		return err
	}
	s.holds = newHoldCache(list)
	return nil
}

// Hold implements store.Access: the holds are read into memory once and
// again only after they changed; held names and hashes are found by exact
// key in that copy (one probe per label of q.Domain and per hash).
func (s *Store) Hold(ctx context.Context, q intel.HoldQuery) (intel.Hold, bool, error) {
	if err := ctx.Err(); err != nil {
		return intel.Hold{}, false, err
	}
	s.holdMu.Lock()
	defer s.holdMu.Unlock()
	if err := s.loadHolds(ctx); err != nil {
		return intel.Hold{}, false, fmt.Errorf("hold: %w", err)
	}
	if i := s.holds.match(q); i >= 0 {
		return s.holds.list[i], true, nil
	}
	return intel.Hold{}, false, nil
}
