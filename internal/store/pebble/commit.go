package pebble

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
)

// pending is a merged batch handed to its commit, which may still run.
// The next batch merges on top of it: it reads the keys pending wrote from
// w (see applier.readStore), not from the database, which may or may not
// hold them yet. Nothing changes o once it is pending.
type pending struct {
	o *overlay
	// writes are the written slots of o, sorted by key, once sorted is
	// closed.
	writes []*slot
	sorted chan struct{}
	// err is the result of the commit, once done is closed.
	err  error
	done chan struct{}
}

func (p *pending) finished() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// commit writes the merged batch after prev (the batch it was merged on
// top of, nil if none) has committed, and waits for the WAL sync if sync.
func (s *Store) commit(ctx context.Context, a *applier, p *pending, prev *pending, sync bool) error {
	// The filter of the memtables' keys (recent.go) learns the batch's
	// keys here, off the merge of the next batch, before any reaches a
	// memtable: until this commit is done, the next batch reads them from
	// p (readStore), and the one after waits for it.
	a.o.eachWrite(s.recent.add)
	// Keys in order: the memtable inserts each next to the previous one.
	writes := a.o.sortedWrites()
	p.writes = writes
	close(p.sorted)
	size := 0
	for _, w := range writes {
		size += len(w.key) + len(w.v) + 8
	}
	batch := s.db.NewBatchWithSize(size)
	defer batch.Close()
	for _, w := range writes {
		var err error
		if w.flags&fDel != 0 {
			if w.flags&(fRead|fFound) == fRead {
				continue // written and deleted again inside the batch
			}
			err = batch.Delete(unsafeBytes(w.key), nil)
		} else if w.flags&fMerge != 0 {
			err = batch.Merge(unsafeBytes(w.key), w.v, nil)
		} else {
			err = batch.Set(unsafeBytes(w.key), w.v, nil)
		}
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	if s.beforeCommit != nil {
		s.beforeCommit()
	}
	if prev != nil {
		<-prev.done
		if prev.err != nil {
			return fmt.Errorf("apply: the batch before this one, which it was merged with, failed: %w", prev.err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opt := pebble.NoSync
	if sync {
		opt = pebble.Sync
	}
	if err := batch.Commit(opt); err != nil {
		return fmt.Errorf("apply: commit: %w", err)
	}
	s.version.Add(1)
	return nil
}

// settle waits for the commit of every batch handed to it. The caller
// holds applyMu.
func (s *Store) settle() {
	if s.last != nil {
		<-s.last.done
	}
	s.older, s.last = nil, nil
}

// writesUnder returns the writes (sorted by key) whose keys start with
// prefix.
func writesUnder(writes []*slot, prefix []byte) []*slot {
	lo, _ := slices.BinarySearchFunc(writes, prefix, func(w *slot, p []byte) int { return strings.Compare(w.key, string(p)) })
	hi := lo
	for hi < len(writes) && strings.HasPrefix(writes[hi].key, string(prefix)) {
		hi++
	}
	return writes[lo:hi]
}

// unsafeBytes views a string as bytes that are only read.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
