package pebble

import (
	"hash/maphash"
	"sync/atomic"
)

// recentKeys is a filter of the keys written to the database's memtables
// since the last time they were all flushed: a blocked Bloom filter (each
// key sets bits in one 64-byte block, so that a test costs one cache
// miss). A point read of a key the filter has never seen cannot find it
// in a memtable, so Apply reads it from the sstables alone
// (pebble.IterOptions.OnlyReadGuaranteedDurable), whose Bloom filters
// answer for absent keys without the memtable's skip-list search. That
// search was a third of an import's merge when most keys an import reads
// are new (docs/benchmarks.md).
//
// The filter holds up to recentCap keys; past that, or after a write that
// did not pass through it (invalidate), it is unusable until reset, which
// Apply does under applyMu after every pending batch committed and the
// memtables were flushed, so that no memtable holds a key it has not seen.
// It is allocated on the first reset, by the first Apply of a process.
type recentKeys struct {
	blocks []recentBlock
	seed   maphash.Seed
	n      atomic.Int64
	limit  int64 // recentCap, or less in tests
	// ready is set by reset and cleared by invalidate or when n reaches
	// recentCap.
	ready atomic.Bool
}

// recentBlock is one cache line of the filter.
type recentBlock [8]atomic.Uint64

const (
	// recentBlocks × 512 bits: 4 MiB.
	recentBlocks = 1 << 16
	// recentCap keeps the filter at about 16 bits a key, under 1 % false
	// positives with recentProbes. An import writes about three keys a
	// record: the filter fills every 700,000 records or so, about as
	// often as the 64 MiB memtable fills and flushes anyway.
	recentCap    = 2 << 20
	recentProbes = 6
)

// reset empties the filter and makes it usable. The caller guarantees
// that no memtable holds a key and that no write happens during the call.
func (r *recentKeys) reset() {
	if r.blocks == nil {
		r.blocks = make([]recentBlock, recentBlocks)
		r.seed = maphash.MakeSeed()
	} else {
		for i := range r.blocks {
			for j := range r.blocks[i] {
				r.blocks[i][j].Store(0)
			}
		}
	}
	if r.limit == 0 {
		r.limit = recentCap
	}
	r.n.Store(0)
	r.ready.Store(true)
}

// usable reports whether absent answers of mayHold can be trusted.
func (r *recentKeys) usable() bool { return r.ready.Load() }

// invalidate makes the filter unusable until the next reset: called before
// a write that does not pass through add.
func (r *recentKeys) invalidate() { r.ready.Store(false) }

// add records a key about to be written. Safe for concurrent use.
func (r *recentKeys) add(key string) {
	if r.blocks == nil {
		return
	}
	b, h := r.locate(key)
	for i := 0; i < recentProbes; i++ {
		bit := (h >> (9 * i)) & 511
		b[bit>>6].Or(1 << (bit & 63))
	}
	if r.n.Add(1) >= r.limit {
		r.ready.Store(false)
	}
}

// mayHold reports whether key may have been added since the last reset.
func (r *recentKeys) mayHold(key []byte) bool {
	b, h := r.locate(string(key))
	for i := 0; i < recentProbes; i++ {
		bit := (h >> (9 * i)) & 511
		if b[bit>>6].Load()&(1<<(bit&63)) == 0 {
			return false
		}
	}
	return true
}

// locate returns the block of key and the bits that choose its probes.
func (r *recentKeys) locate(key string) (*recentBlock, uint64) {
	h := maphash.String(r.seed, key)
	b := &r.blocks[(h>>40)%recentBlocks]
	return b, h * 0x9e3779b97f4a7c15
}

// intelTable reports whether a key's table (its first byte) holds
// intelligence, which only Apply and the in-place upgrades write: the
// tables whose reads may skip the memtables. Metadata, users, tokens,
// counts and holds are written outside Apply, and always read whole.
func intelTable(t byte) bool {
	switch t {
	case tMeta, tUser, tToken, tUserTok, tCount, tHold:
		return false
	}
	return true
}
