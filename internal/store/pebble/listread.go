package pebble

import (
	"context"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// The read path of the list sections. A list read walks one index with one
// iterator and decodes each entry straight from the iterator's memory into
// the result slice; strings are copied once into an arena of the call.
// itemDec decodes the same encodings as dec (codec.go) with the same
// results and errors, but is built for long runs of similar items: the
// common one-byte varints are decoded inline, and an item's source (feed,
// file, import time), which is usually byte for byte the one of the item
// before, is compared with it instead of being decoded again.

// listIter is an open scan of one list index in key order (newest first),
// or of the items of a list's head (see heads.go).
type listIter struct {
	it       *pebble.Iterator
	head     headReader // read instead of it when inHead
	inHead   bool
	borrowed bool   // it belongs to the caller: close leaves it open
	skip     int    // key bytes before the item key: table, list, owner, sort key
	start    []byte // when set, the scan starts at the first key at or after it (pager.go)
	n        int    // entries returned
	limit    int
	err      error
}

// openList opens a scan of at most limit entries of the list owned by
// owner; sortLen is the length of the sort key between owner and item key.
// With limit <= 0 the scan is empty and opens nothing.
func (s *Store) openList(ctx context.Context, list byte, owner []byte, sortLen, limit int) (listIter, error) {
	if err := ctx.Err(); err != nil {
		return listIter{}, err
	}
	if limit <= 0 {
		return listIter{}, nil
	}
	lower, upper, err := listBounds(list, owner)
	if err != nil {
		return listIter{}, err
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return listIter{}, err
	}
	return listIter{it: it, skip: len(lower) + sortLen, limit: limit}, nil
}

// listBounds are the bounds of the index of one list, in one allocation.
func listBounds(list byte, owner []byte) (lower, upper []byte, err error) {
	n := 2 + len(owner)
	bounds := make([]byte, 0, 2*n)
	bounds = append(append(bounds, tIndex, list), owner...)
	bounds = append(append(bounds, tIndex, list), owner...)
	lower, upper = bounds[:n:n], prefixEndInPlace(bounds[n:])
	if upper == nil {
		return nil, nil, errCorrupt
	}
	return lower, upper, nil
}

// listOn is openList on an iterator the caller owns and closes, re-bounded
// to the list: the lists of one address read with one iterator.
func listOn(it *pebble.Iterator, list byte, owner []byte, sortLen, limit int) (listIter, error) {
	if limit <= 0 {
		return listIter{}, nil
	}
	lower, upper, err := listBounds(list, owner)
	if err != nil {
		return listIter{}, err
	}
	it.SetBounds(lower, upper)
	return listIter{it: it, borrowed: true, skip: len(lower) + sortLen, limit: limit}, nil
}

// next returns the next entry's item key (after owner and sort key) and
// value, views of the iterator's memory valid until the following call.
func (l *listIter) next() (item, val []byte, ok bool) {
	if l.inHead {
		if l.n >= l.limit || l.err != nil {
			return nil, nil, false
		}
		_, item, val, ok, err := l.head.next()
		if err != nil {
			l.err = err
		}
		if !ok {
			return nil, nil, false
		}
		l.n++
		return item, val, true
	}
	if l.it == nil || l.n >= l.limit || l.err != nil {
		return nil, nil, false
	}
	switch {
	case l.n == 0 && l.start != nil:
		ok = l.it.SeekGE(l.start)
	case l.n == 0:
		ok = l.it.First()
	default:
		ok = l.it.Next()
	}
	if !ok {
		return nil, nil, false
	}
	k := l.it.Key()
	if len(k) < l.skip {
		l.err = errCorrupt
		return nil, nil, false
	}
	v, err := l.it.ValueAndErr()
	if err != nil {
		l.err = err
		return nil, nil, false
	}
	l.n++
	return k[l.skip:], v, true
}

// fail ends the scan with err.
func (l *listIter) fail(err error) {
	if l.err == nil {
		l.err = err
	}
}

// close closes the iterator and returns the scan's first error.
func (l *listIter) close() error {
	if l.it == nil {
		return l.err
	}
	var err error
	if !l.borrowed {
		err = l.it.Close()
	}
	l.it = nil
	if l.err != nil {
		return l.err
	}
	return err
}

// itemDec decodes the items of one list read: a dec whose strings go to
// the read's arena, with the shared backing array of category lists, that
// remembers the last source and feeds it decoded (repeats). The items are
// decoded by decHosted, decFile, decResolution and decMask.
type itemDec struct {
	dec   // s: the rest of the current value (a view of iterator memory)
	limit int
	items int
	mem   arena // the arena dec.ar points to
	// catPool is the backing array dec.cats points to.
	catPool []intel.Category
	rep     repeats // what dec.seen points to
}

// item starts the next item: key is its item key, val its value. It
// returns key copied into the arena.
func (d *itemDec) item(key, val []byte) string {
	// Size the arena for the rest of the list from this item's key; names
	// (interned) and other strings fit in the slack.
	d.mem.chunk = (len(key)+4)*min(d.limit-d.items, 256) + 128
	d.items++
	d.s = bytesView(val)
	d.ar, d.cats, d.seen, d.poolHint = &d.mem, &d.catPool, &d.rep, min(d.limit, 256)
	return d.mem.copy(bytesView(key))
}

// grow returns s with one more (zero) element.
func grow[T any](s []T, limit int) []T {
	var zero T
	if s == nil {
		s = make([]T, 0, min(limit, 256))
	}
	if len(s) < cap(s) {
		s = s[:len(s)+1]
		s[len(s)-1] = zero // a reused slice holds an old item there
		return s
	}
	return append(s, zero)
}
