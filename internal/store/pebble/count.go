package pebble

import (
	"context"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var _ store.Counter = (*Store)(nil)

// CountStored implements store.Counter: it counts the keys of the address
// summaries (A) and of the object summaries (O kind).
func (s *Store) CountStored(ctx context.Context) (store.Counts, error) {
	count := func(prefix []byte) (int64, error) {
		upper := append([]byte(nil), prefix...)
		upper[len(upper)-1]++
		it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
		if err != nil {
			return 0, err
		}
		defer it.Close()
		var n int64
		for it.First(); it.Valid(); it.Next() {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return n, err
				}
			}
		}
		return n, it.Error()
	}
	c := store.Counts{Objects: map[intel.ObjectKind]int64{}}
	var err error
	if c.Addresses, err = count([]byte{tAddr}); err != nil {
		return c, err
	}
	for _, k := range []intel.ObjectKind{intel.ObjectHost, intel.ObjectURL, intel.ObjectFile} {
		n, err := count([]byte{tObject, byte(k)})
		if err != nil {
			return c, err
		}
		if n > 0 {
			c.Objects[k] = n
		}
	}
	return c, nil
}
