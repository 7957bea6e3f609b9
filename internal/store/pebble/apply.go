package pebble

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// applier holds the state of one Apply. Reads are planned: before any
// record is merged, the keys the batch will read are collected, sorted and
// read from the database with one iterator (bloom filters skip the tables
// that cannot hold a key, on every level), in three rounds: summaries and
// network listings, then the keys of items of the owners that exist, then
// the index entries of the items that exist. Keys of an address without a summary (or of a URL
// without one) are known to be absent and are not read at all. The merge
// then runs in memory: writes go to an overlay that later reads see (so
// duplicates inside one batch merge like separate batches), and the overlay
// becomes one Pebble batch at the end.
type applier struct {
	it *pebble.Iterator
	// dur reads the sstables alone, for keys the memtables cannot hold
	// (recent.go).
	dur *pebble.Iterator
	// prev is the batch before this one if its commit may still run: its
	// writes are read from memory (see readStore).
	prev  *pending
	o     *overlay // values before the batch, and the batch's writes
	addrs map[[16]byte]*addrSum
	urls  map[string]*urlSum
	// heads are the list heads the batch read or changed, decoded, by list
	// and address (see heads.go).
	heads map[[17]byte]*head
	// crossed are the head keys of lists that reached headMin items in
	// the batch.
	crossed [][]byte
	n       int
	ctx     context.Context

	// Addresses and URL keys without a summary before the batch: keys
	// owned by them are known to be absent.
	newAddrs map[[16]byte]struct{}
	newURLs  map[string]struct{}
	// The summaries of the objects (kind byte and key) the batch touched,
	// decoded (see objstages.go), and a buffer for knownAbsent.
	objs    map[string]*objSum
	objSlab []objSum // see newObjSum
	kbuf    []byte
	obuf    []byte // a buffer for obj

	// Owners with a changed list item, and the batch's change stamp once
	// given (see changes.go).
	store          *Store
	listChanged    map[[16]byte]bool
	urlListChanged map[string]bool
	objChanged     []*objSum // see markObject
	// indexReads counts the hash index keys the batch read (see
	// weakSummary): none in a batch that touches no MD5's or SHA-1's
	// object otherwise.
	indexReads int
	stamped    time.Time
}

// Apply implements store.Intel. The whole batch is one Pebble batch
// committed with a WAL sync; a cancelled context discards it.
func (s *Store) Apply(ctx context.Context, b *intel.Batch) error {
	done := make(chan error, 1)
	if err := s.ApplyAsync(ctx, b, func(err error) { done <- err }); err != nil {
		return err
	}
	return <-done
}

// ApplyAsync implements store.Pipeliner: Apply, returning once the batch is
// merged. The commit (sorting the batch's keys, building the Pebble batch,
// the WAL write and sync, the memtable insert) runs on a goroutine of its
// own while the caller's next batch merges; at most one commit runs
// while a batch merges, and commits run in the order of the calls.
func (s *Store) ApplyAsync(ctx context.Context, b *intel.Batch, done func(error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := s.PrepareBatch(b)
	if err != nil {
		return err
	}
	return s.applyPlanned(ctx, b, p, done, true)
}

// batchPlan is the part of a batch's merge PrepareBatch does: the keys of
// the first round of the planned reads (summaryKeys), sorted, for the
// store's F keys as they were then (legacy).
type batchPlan struct {
	keys   [][]byte
	legacy bool
}

// PrepareBatch implements store.Preparer: it validates b and sorts the
// keys of the first round of its planned reads, which the merge (one
// goroutine, an import's critical path) would do otherwise.
func (s *Store) PrepareBatch(b *intel.Batch) (store.Plan, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	legacy := s.hashKeys.Load()
	keys := summaryKeys(b, legacy)
	sortKeys(keys)
	return &batchPlan{keys: keys, legacy: legacy}, nil
}

// ApplyPlanned implements store.Preparer: the batch is committed without a
// WAL sync (Pebble's NoSync: written to the log, not waited for on the
// disk), and is durable once Sync returns. An import of 100,000 records
// waited for about fifty syncs otherwise, each on the critical path of
// the commits (docs/benchmarks.md, "Imports sync once").
func (s *Store) ApplyPlanned(ctx context.Context, b *intel.Batch, plan store.Plan, done func(error)) error {
	return s.applyPlanned(ctx, b, plan, done, false)
}

// Sync implements store.Syncer: it waits for the commit of every batch
// handed to it, then syncs the write-ahead log, which holds them in commit
// order.
func (s *Store) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.settle()
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// applyPlanned is ApplyPlanned, committed with a WAL sync if sync.
func (s *Store) applyPlanned(ctx context.Context, b *intel.Batch, plan store.Plan, done func(error), sync bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	bp, ok := plan.(*batchPlan)
	if !ok {
		return fmt.Errorf("apply: a plan of type %T is not the embedded store's", plan)
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	// The database holds every batch but the newest pending one, whose
	// writes this batch reads from memory while it commits.
	if s.older != nil {
		<-s.older.done
		s.older = nil
	}
	prev := s.last
	if prev != nil && prev.finished() {
		prev = nil
	}
	if prev != nil {
		s.layered++
	}
	if !s.recent.usable() {
		// Every key in the memtables must have passed through the filter.
		s.settle()
		prev = nil
		if err := s.db.Flush(); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		s.recent.reset()
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{UseL6Filters: true})
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	dur, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{UseL6Filters: true, OnlyReadGuaranteedDurable: true})
	if err != nil {
		_ = it.Close()
		return fmt.Errorf("apply: %w", err)
	}
	n := b.Len()
	a := &applier{
		it:       it,
		dur:      dur,
		prev:     prev,
		o:        newOverlay(s.overlaySize(n)),
		addrs:    map[[16]byte]*addrSum{},
		heads:    map[[17]byte]*head{},
		urls:     map[string]*urlSum{},
		ctx:      ctx,
		newAddrs: map[[16]byte]struct{}{},
		newURLs:  map[string]struct{}{},

		store:          s,
		listChanged:    map[[16]byte]bool{},
		urlListChanged: map[string]bool{},
	}
	err = a.merge(b, bp)
	if cerr := it.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("apply: %w", cerr)
	}
	if cerr := dur.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("apply: %w", cerr)
	}
	if err != nil {
		return err
	}
	if n > 0 {
		s.slotsPerRecord = float64(len(a.o.slots)) / float64(n)
	}
	if !a.stamped.IsZero() {
		s.lastStamp = a.stamped
	}
	p := &pending{o: a.o, sorted: make(chan struct{}), done: make(chan struct{})}
	s.older, s.last = prev, p
	go func() {
		p.err = s.commit(ctx, a, p, prev, sync)
		close(p.done)
		done(p.err)
	}()
	return nil
}

// overlaySize is the number of slots to make room for in the overlay of a
// batch of n records: as many per record as the last batch used, and a
// little more (a batch of an import is like the one before it), or four
// per record for the first. Too few costs the overlay's map a few
// rehashes; too many costs memory cleared for nothing and a sparser map.
func (s *Store) overlaySize(n int) int {
	if s.slotsPerRecord == 0 {
		return 4 * n
	}
	return int(s.slotsPerRecord*float64(n)*1.125) + 16
}

// merge merges b, planned as bp, into the applier's overlay.
func (a *applier) merge(b *intel.Batch, bp *batchPlan) error {
	if err := a.prefetch(b, bp); err != nil {
		return fmt.Errorf("apply: read: %w", err)
	}
	if err := a.apply(b); err != nil {
		return err
	}
	if b.HasNetworkData() {
		v, err := networkVersion(a)
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		a.set(keyNetVersion, binary.AppendUvarint(nil, v+1))
	}
	if len(a.crossed) > 0 {
		if err := a.crossedHeads(); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	return a.ctx.Err()
}

// apply runs the stages of the batch's record kinds, in this order (a
// stage may read what an earlier one wrote: resolutions copy the zone of
// the batch's DomainInfo), then writes the heads and summaries the stages
// changed. Each stage is one method per record kind: address records and
// events in stages.go, address and URL lists in liststages.go, domains and
// resolutions in domainstages.go, domain, web-address and file objects in
// objstages.go, network records in netstages.go. The keys a stage reads
// are planned in plan.go.
func (a *applier) apply(b *intel.Batch) error {
	steps := []struct {
		what string
		fn   func(*intel.Batch) error
	}{
		{"sightings", a.sightings},
		{"listings", a.listings},
		{"hosted URLs", a.hostedURLs},
		{"files", a.files},
		{"domains", a.domains},
		{"resolutions", a.resolutions},
		{"masks", a.masks},
		{"spam events", a.spam},
		{"phishing events", a.phishing},
		{"reports", a.reports},
		{"objects", a.objects},
		{"network records", a.network},
	}
	for _, st := range steps {
		if err := st.fn(b); err != nil {
			if ctxErr := a.ctx.Err(); ctxErr != nil && err == ctxErr {
				return err
			}
			return fmt.Errorf("apply %s: %w", st.what, err)
		}
	}
	a.writeHeads()
	a.writeNetIndex()
	if err := a.writeSummaries(a.store); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

func (a *applier) tick() error {
	a.n++
	if a.n&1023 == 0 {
		return a.ctx.Err()
	}
	return nil
}

func (a *applier) sum(ip netip.Addr) (*addrSum, error) {
	k := addr16(ip)
	if s := a.addrs[k]; s != nil {
		return s, nil
	}
	s := &addrSum{}
	if _, err := getFn(a, addrKey(tAddr, ip), func(v []byte) error { return decAddrSum(&dec{s: string(v)}, s) }); err != nil {
		return nil, fmt.Errorf("summary of %s: %w", ip, err)
	}
	s.last0, s.hits0 = s.last, s.hits // netindex.go
	a.addrs[k] = s
	return s, nil
}

func (a *applier) url(key string) (*urlSum, error) {
	if u := a.urls[key]; u != nil {
		return u, nil
	}
	u := &urlSum{sum: intel.URLSummary{URL: key}}
	if _, err := getFn(a, strKey(tURL, key), func(v []byte) error { return decURLSum(&dec{s: string(v)}, u) }); err != nil {
		return nil, fmt.Errorf("summary of URL %q: %w", key, err)
	}
	a.urls[key] = u
	return u, nil
}
