package mem

import (
	"context"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var _ store.Counter = (*Store)(nil)

// CountStored implements store.Counter.
func (s *Store) CountStored(ctx context.Context) (store.Counts, error) {
	if err := ctx.Err(); err != nil {
		return store.Counts{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := store.Counts{Addresses: int64(len(s.addrs)), Objects: map[intel.ObjectKind]int64{}}
	for k := range s.objects.objs {
		c.Objects[k.kind]++
	}
	return c, nil
}
