package pebble

import (
	"io"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// The hash index: the FileHashes records that name an MD5 or a SHA-1.
//
// A file's SHA-256 summary holds the records that name the SHA-256: Apply
// reads the summary, merges them in, and stamps the file when they change
// it (objstages.go). The records are also written under K hash for their
// MD5 and SHA-1, without reading anything: each is a merge operand of the
// key. The key holds the hash as bytes; its value is the sequence of the
// records merged into it, oldest first, each as encFileHashes writes it
// but without the key's own hash, and reads as their fold with
// intel.FileHashes.Merge (the merger folds them into one).
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

const tHashIndex = 'K' // K hash(bytes) -> the FileHashes records that name an MD5 or SHA-1 (merge operands)

// hashIndexKey appends to dst the key of the records that name hash (an
// MD5 or SHA-1 in upper-case hex); ok is false for any other text.
func hashIndexKey(dst []byte, hash string) (k []byte, ok bool) {
	if len(hash) != 2*hashLens[0] && len(hash) != 2*hashLens[1] {
		return nil, false
	}
	k = append(dst, tHashIndex)
	var bad byte
	for j := range len(hash) / 2 {
		hi, lo := unhexTable[hash[2*j]], unhexTable[hash[2*j+1]]
		bad |= hi | lo
		k = append(k, hi<<4|lo)
	}
	return k, bad < 16
}

// hashNumber is the number of an MD5 (0) or SHA-1 (1) in hex by its
// length.
func hashNumber(hash string) int {
	if len(hash) == 2*hashLens[1] {
		return 1
	}
	return 0
}

// indexRecord encodes r for the index key of its hash number own (0 MD5,
// 1 SHA-1): without that hash, which the key holds; its source by
// reference if its pair has a number in n (add: numbering a new one).
func indexRecord(dst []byte, r intel.FileHashes, own int, n *names, add bool) []byte {
	*[2]*string{&r.MD5, &r.SHA1}[own] = ""
	if dst == nil {
		dst = make([]byte, 0, indexRecordSize(&r))
	}
	e := enc{b: dst, names: n, add: add}
	encFileHashes(&e, &r)
	return e.b
}

// indexRecordSize is room enough for most index records of r.
func indexRecordSize(r *intel.FileHashes) int { return 80 + len(r.Source.Feed) + len(r.Source.File) }

// ownHash is the number (0 MD5, 1 SHA-1) and hex of the hash of an index
// key; ok is false for another key.
func ownHash(key []byte) (own int, hash string, ok bool) {
	if len(key) < 1 || key[0] != tHashIndex {
		return 0, "", false
	}
	switch len(key) - 1 {
	case hashLens[0]:
		return 0, upperHex(string(key[1:])), true
	case hashLens[1]:
		return 1, upperHex(string(key[1:])), true
	}
	return 0, "", false
}

// newHashMerger returns the database's merger (see above). It decodes
// sources written by reference with the table n holds once the store has
// read it (names.go); until then, while the database opens, a value with
// such a source is left unfolded.
func newHashMerger(n *atomic.Pointer[names]) *pebble.Merger {
	return &pebble.Merger{
		Name: "pebble.concatenate",
		Merge: func(key, value []byte) (pebble.ValueMerger, error) {
			m := &hashValueMerger{n: 1, names: n.Load()}
			m.own, m.hash, m.index = ownHash(key)
			m.buf = append(m.buf, value...)
			return m, nil
		},
	}
}

// hashValueMerger merges the operands of one key: under a K key, their
// fold; under any other (none has merge operands), their concatenation.
type hashValueMerger struct {
	buf   []byte
	n     int // operands
	index bool
	own   int
	hash  string
	names *names
}

func (m *hashValueMerger) MergeNewer(value []byte) error {
	m.buf = append(m.buf, value...)
	m.n++
	return nil
}

func (m *hashValueMerger) MergeOlder(value []byte) error {
	buf := make([]byte, 0, len(value)+len(m.buf))
	m.buf = append(append(buf, value...), m.buf...)
	m.n++
	return nil
}

// Finish returns the fold. An operand holds one record or more (a batch
// merges its records of a key as one operand): a flush or compaction that
// meets a key's only operand keeps it as it is. A value that does not
// decode is left as it is: FileHashes reports it, and a compaction must
// not fail on it.
func (m *hashValueMerger) Finish(bool) ([]byte, io.Closer, error) {
	if !m.index || m.n == 1 {
		return m.buf, nil, nil
	}
	if v, ok := foldedRecords(m.buf, m.own, m.hash, m.names); ok {
		return v, nil, nil
	}
	return m.buf, nil, nil
}

// foldedRecords returns the records of the value v of the index key of
// hash number own folded into one, encoded for the key; ok is false when
// v does not decode. A value of one record is returned as it is. Sources
// are decoded with names and written by reference when their pair has a
// number (never numbering one: a merger runs in flushes and compactions).
func foldedRecords(v []byte, own int, hash string, names *names) ([]byte, bool) {
	var h intel.FileHashes
	n, err := foldHashRecords(v, own, hash, &h, names)
	if err != nil || n == 0 {
		return nil, false
	}
	if n == 1 {
		return v, true
	}
	return indexRecord(nil, h, own, names, false), true
}

// foldHashRecords merges the records of the value of the index key of
// hash number own into h, in order, and returns how many it holds.
func foldHashRecords(v []byte, own int, hash string, h *intel.FileHashes, names *names) (int, error) {
	d := dec{s: string(v), names: names}
	n := 0
	for len(d.s) > 0 {
		var r intel.FileHashes
		decFileHashes(&d, &r)
		if d.err != nil {
			return n, d.err
		}
		*[2]*string{&r.MD5, &r.SHA1}[own] = hash
		h.Merge(r)
		n++
	}
	return n, nil
}
