package pebble

import (
	"bytes"
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// indexUpgrade is an in-place upgrade that writes the keys of an index for
// records stored before the index existed (report-addresses,
// report-objects). It walks the keys of its ranges in order, in batches of
// at most backfillBatch keys; index adds to the batch the index keys of one
// record. After each batch it records the last key walked under state, so
// that an interrupted upgrade resumes just after it (index keys are empty
// and written again to the same effect); once done it records that. A
// store created by a version that writes the index is marked done when it
// is created. Imports may run meanwhile: they write the index themselves.
type indexUpgrade struct {
	state  []byte      // absent, backfillRunning + last key walked, or backfillDone
	ranges [][2][]byte // [lower, upper) bounds of the records walked, in key order
	index  func(b *pebble.Batch, k, v []byte) error
	// serial upgrades run each batch between Apply's merges, after the
	// pending commits: for an index whose keys Apply moves (deletes and
	// writes again), which a batch read before a merge would write back.
	serial bool
}

// done reports whether the upgrade is done.
func (u *indexUpgrade) done(s *Store) (bool, error) {
	v, found, err := get(s.db, u.state)
	if err != nil {
		return false, fmt.Errorf("read upgrade state: %w", err)
	}
	return found && len(v) == 1 && v[0] == backfillDone, nil
}

// run runs the upgrade from where it stopped; progress is called after
// each batch with the number of records read in this run.
func (u *indexUpgrade) run(ctx context.Context, s *Store, progress func(int64)) error {
	v, _, err := get(s.db, u.state)
	if err != nil {
		return err
	}
	var resume []byte
	if len(v) > 1 && v[0] == backfillRunning {
		resume = append(v[1:len(v):len(v)], 0) // just after the last key walked
	}
	var n int64
	for _, r := range u.ranges {
		lower, upper := r[0], r[1]
		if resume != nil {
			if bytes.Compare(resume, upper) >= 0 {
				continue // walked already
			}
			if bytes.Compare(resume, lower) > 0 {
				lower = resume
			}
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			last, read, err := u.batch(ctx, s, lower, upper)
			if err != nil {
				return err
			}
			if read == 0 {
				break
			}
			n += int64(read)
			progress(n)
			lower = append(last, 0)
		}
	}
	return s.db.Set(u.state, []byte{backfillDone}, pebble.Sync)
}

// batch indexes at most backfillBatch records from lower on and records
// the last key read.
func (u *indexUpgrade) batch(ctx context.Context, s *Store, lower, upper []byte) (last []byte, n int, err error) {
	if u.serial {
		s.applyMu.Lock()
		defer s.applyMu.Unlock()
		s.settle()
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, 0, err
	}
	defer it.Close()
	b := s.db.NewBatch()
	defer b.Close()
	// Its keys bypass the filter of Apply's reads.
	s.recent.invalidate()
	for ok := it.First(); ok && n < backfillBatch; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, 0, err
		}
		if err := u.index(b, it.Key(), v); err != nil {
			return nil, 0, err
		}
		last = append(last[:0], it.Key()...)
		n++
	}
	if err := it.Error(); err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return nil, 0, nil
	}
	if err := b.Set(u.state, append([]byte{backfillRunning}, last...), nil); err != nil {
		return nil, 0, err
	}
	return last, n, b.Commit(pebble.Sync)
}
