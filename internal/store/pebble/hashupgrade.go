package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// The in-place upgrade "file-hashes" moves the FileHashes that stores
// written before file summaries held them keep under F keys into the
// summaries of their files, in bounded batches: each batch folds the
// FileHashes of up to backfillBatch F keys into their summaries (creating
// the summary of a file that had nothing else), keeps the later of the
// two change stamps in the summary (and the object's stamp key, for
// values written before values held stamps), and deletes the F keys and
// the stamp keys it folded. What the lookups answer does not change, nor
// does the change log: no object is stamped anew. Apply moves the F key of
// a file whose summary changes anyway (objstages.go); the upgrade moves
// them all at once, so that Apply and FileHashes stop reading F keys. It
// needs no state of its own: the F keys left are the work left, and an
// interrupted run resumes with them.
const upgradeFileHashes = "file-hashes"

// foldHashes runs the file-hashes upgrade.
func (s *Store) foldHashes(ctx context.Context, progress func(int64)) error {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		folded, err := s.foldHashBatch()
		if err != nil {
			return err
		}
		if folded == 0 {
			return nil
		}
		n += int64(folded)
		progress(n)
	}
}

// foldHashBatch folds up to backfillBatch F keys, under applyMu so that
// no Apply merges meanwhile, and returns how many it folded. Once none is
// left, Apply and FileHashes stop reading F keys.
func (s *Store) foldHashBatch() (int, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.settle()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tHashes}, UpperBound: []byte{tHashes + 1}})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	b := s.db.NewBatch()
	defer b.Close()
	n := 0
	for ok := it.First(); ok && n < backfillBatch; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return 0, err
		}
		if err := s.foldHash(b, string(it.Key()[1:]), v); err != nil {
			return 0, err
		}
		n++
	}
	if err := it.Error(); err != nil {
		return 0, err
	}
	if n == 0 {
		s.hashKeys.Store(false)
		return 0, nil
	}
	s.recent.invalidate() // summaries written outside Apply
	if err := b.Commit(pebble.Sync); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	s.version.Add(1)
	return n, nil
}

// foldHash adds to b the summary of the file of hash with the FileHashes
// v (an F key's value) in it, and the deletion of the F key.
func (s *Store) foldHash(b *pebble.Batch, hash string, v []byte) error {
	var h intel.FileHashes
	hstamp, hstamped, err := decHashesStamp(&dec{s: string(v)}, &h)
	if err != nil {
		return fmt.Errorf("hashes of %s: %w", hash, err)
	}
	okey := objectKey(intel.ObjectFile, hash)
	sum := objSum{names: s.names, key: string(okey[1:])}
	found, err := getFn(s.db, okey, func(v []byte) error { return decObjSum(&dec{s: string(v), names: s.names, own: hash}, &sum) })
	if err != nil {
		return fmt.Errorf("summary of %s: %w", hash, err)
	}
	// The summary's FileHashes win: the F key of a file whose summary has
	// some is left over (Apply reads it only when the summary has none).
	if !sum.hasHashes {
		sum.hashes, sum.hasHashes = h, true
	}
	stamp := sum.stamp
	if hstamp.After(stamp) {
		stamp = hstamp
	}
	if !hstamped || found && !sum.stamped {
		// A value written before values held stamps: the object's stamp
		// key holds the stamp too.
		skey := objStampKey(string(okey[1:]))
		sv, sfound, err := get(s.db, skey)
		if err != nil {
			return fmt.Errorf("change stamp of %s: %w", hash, err)
		}
		if sfound {
			if len(sv) != 8 {
				return fmt.Errorf("change stamp of %s: %w", hash, errCorrupt)
			}
			if t := time.UnixMicro(int64(binary.BigEndian.Uint64(sv))).UTC(); t.After(stamp) {
				stamp = t
			}
			if err := b.Delete(skey, nil); err != nil {
				return err
			}
		}
	}
	sum.stamp, sum.stamped = stamp, true
	enc, err := encObjSum(nil, &sum)
	if err != nil {
		return fmt.Errorf("summary of %s: %w", hash, err)
	}
	if err := b.Set(okey, enc, nil); err != nil {
		return err
	}
	return b.Delete(bytes.Clone(hashesKey(hash)), nil)
}
