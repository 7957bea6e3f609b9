package pebble

import (
	"io"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// The hash index: the FileHashes records that name an MD5 or a SHA-1.
//
// A file's SHA-256 summary holds the records that name the SHA-256: Apply
// reads the summary, merges them in, and stamps the file when they change
// it (objstages.go). The records are also written under K hash for their
// MD5 and SHA-1, without reading anything: each is a merge operand of the
// key. The value of a K key is the sequence of the records merged into
// it, oldest first, each as encFileHashes writes it, and reads as their
// fold with intel.FileHashes.Merge (the merger folds them into one).
// A MalwareBazaar line names three hashes: read and written as summaries,
// the MD5 and SHA-1 cost half of its import (two planned reads of keys
// that are almost never there, two summaries, two change-log entries).
//
// The merger (hashMerger) folds the operands it is given into one record:
// the fold is associative (intel.FileHashes.Merge), so folding a part of
// a key's records, in a flush, a compaction or a read, and then the rest
// gives the fold of all, and a hash met again and again (a feed imported
// every day) keeps one record. A value read as a sequence of records is
// what concatenation would give, up to folding; the merger therefore keeps
// the name of pebble's default merger, which concatenates and with which
// every store written before format 9 was created (pebble refuses to open
// a database with a merger of another name). Apply merges an MD5's or
// SHA-1's records into the summary of its object instead when the batch
// reads that summary anyway (its other records touch the object), with
// what the index held for it (applier.weakSummary): for the same reason
// the summary and the index may each hold a part.
//
// A store written before format 9 holds the records of an MD5 or SHA-1 in
// the summary of its own object (or under its F key); they come before
// any under its K key, so FileHashes folds them first. Apply no longer
// stamps an MD5's or SHA-1's object for its hashes: the change is the
// SHA-256's (see store.Store.Changes).

const tHashIndex = 'K' // K hash -> the FileHashes records that name an MD5 or SHA-1 (merge operands)

// hashIndexKey is the key of the records that name hash.
func hashIndexKey(hash string) []byte {
	k := make([]byte, 0, 1+len(hash))
	k = append(k, tHashIndex)
	return append(k, hash...)
}

// hashMerger is the database's merger (see above).
var hashMerger = &pebble.Merger{
	Name: "pebble.concatenate",
	Merge: func(key, value []byte) (pebble.ValueMerger, error) {
		m := &hashValueMerger{index: len(key) > 0 && key[0] == tHashIndex}
		m.buf = append(m.buf, value...)
		return m, nil
	},
}

// hashValueMerger merges the operands of one key: under a K key, their
// fold; under any other (none has merge operands), their concatenation.
type hashValueMerger struct {
	buf   []byte
	index bool
}

func (m *hashValueMerger) MergeNewer(value []byte) error {
	m.buf = append(m.buf, value...)
	return nil
}

func (m *hashValueMerger) MergeOlder(value []byte) error {
	buf := make([]byte, 0, len(value)+len(m.buf))
	m.buf = append(append(buf, value...), m.buf...)
	return nil
}

// Finish returns the fold. A value that does not decode is left as it
// is: FileHashes reports it, and a compaction must not fail on it.
func (m *hashValueMerger) Finish(bool) ([]byte, io.Closer, error) {
	if !m.index {
		return m.buf, nil, nil
	}
	if v, ok := foldedRecords(m.buf); ok {
		return v, nil, nil
	}
	return m.buf, nil, nil
}

// foldedRecords returns the records of v folded into one, encoded; ok is
// false when v does not decode. A value of one record is returned as it
// is.
func foldedRecords(v []byte) ([]byte, bool) {
	var h intel.FileHashes
	n, err := foldHashRecords(v, &h)
	if err != nil || n == 0 {
		return nil, false
	}
	if n == 1 {
		return v, true
	}
	e := enc{b: make([]byte, 0, len(v)/n+16)}
	encFileHashes(&e, &h)
	return e.b, true
}

// foldHashRecords merges the records of a K value into h, in order, and
// returns how many it holds.
func foldHashRecords(v []byte, h *intel.FileHashes) (int, error) {
	d := dec{s: string(v)}
	n := 0
	for len(d.s) > 0 {
		var r intel.FileHashes
		decFileHashes(&d, &r)
		if d.err != nil {
			return n, d.err
		}
		h.Merge(r)
		n++
	}
	return n, nil
}
