package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
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

	// Owners with a changed list item, and the batch's change stamp once
	// given (see changes.go).
	store          *Store
	listChanged    map[[16]byte]bool
	urlListChanged map[string]bool
	stamped        time.Time
}

type readVal struct {
	v     []byte
	found bool
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

// ApplyAsync implements store.Pipeliner: Apply, returning once the batch is
// merged. The commit (sorting the batch's keys, building the Pebble batch,
// the WAL write and sync, the memtable insert) runs on a goroutine of its
// own while the caller's next batch merges; at most one commit runs
// while a batch merges, and commits run in the order of the calls.
func (s *Store) ApplyAsync(ctx context.Context, b *intel.Batch, done func(error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
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
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{UseL6Filters: true})
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	n := b.Len()
	a := &applier{
		it:       it,
		prev:     prev,
		o:        newOverlay(4 * n),
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
	err = a.merge(b)
	if cerr := it.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("apply: %w", cerr)
	}
	if err != nil {
		return err
	}
	if !a.stamped.IsZero() {
		s.lastStamp = a.stamped
	}
	p := &pending{o: a.o, sorted: make(chan struct{}), done: make(chan struct{})}
	s.older, s.last = prev, p
	go func() {
		p.err = s.commit(ctx, a, p, prev)
		close(p.done)
		done(p.err)
	}()
	return nil
}

// merge merges b into the applier's overlay.
func (a *applier) merge(b *intel.Batch) error {
	if err := a.prefetch(b); err != nil {
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

// commit writes the merged batch after prev (the batch it was merged on
// top of, nil if none) has committed.
func (s *Store) commit(ctx context.Context, a *applier, p *pending, prev *pending) error {
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
	if err := batch.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("apply: commit: %w", err)
	}
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

// unsafeBytes views a string as bytes that are only read.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Get returns the value of key as the batch sees it: its own writes first,
// then what was read before it, else a read from the database now (for
// keys the plan does not cover). The value must not be modified.
func (a *applier) Get(key []byte) ([]byte, io.Closer, error) {
	v, found, err := a.get(key)
	if err == nil && !found {
		err = pebble.ErrNotFound
	}
	return v, io.NopCloser(nil), err
}

func (a *applier) get(key []byte) ([]byte, bool, error) {
	if s, ok := a.o.lookup(key); ok {
		if s.flags&fWritten != 0 {
			return s.v, s.flags&fDel == 0, nil
		}
		return s.read, s.flags&fFound != 0, nil
	}
	if a.knownAbsent(key) {
		return nil, false, nil
	}
	r, err := a.readStore(key)
	if err != nil {
		return nil, false, err
	}
	a.o.recordRead(key, r.v, r.found)
	return r.v, r.found, nil
}

// before returns the value of key before the batch, if the batch read it.
func (a *applier) before(key []byte) (v []byte, found, ok bool) {
	s, ok := a.o.lookup(key)
	if !ok || s.flags&fRead == 0 {
		return nil, false, false
	}
	return s.read, s.flags&fFound != 0, true
}

// readStore reads one key as the database holds it once the pending batch
// before this one (if any) has committed.
func (a *applier) readStore(key []byte) (readVal, error) {
	if a.prev != nil {
		if v, del, ok := a.prev.o.written(string(key)); ok {
			return readVal{v: v, found: !del}, nil
		}
	}
	return a.readDB(key)
}

func (a *applier) set(key, val []byte) {
	if val == nil {
		val = []byte{}
	}
	a.o.write(key, val, false)
}

func (a *applier) del(key []byte) { a.o.write(key, nil, true) }

// scan calls fn with every key starting with prefix and its value, in key
// order, as the database holds them once the pending batch before this one
// (if any) has committed. fn must copy what it keeps.
func (a *applier) scan(prefix []byte, fn func(k, v []byte) error) error {
	var pw []*slot // the pending batch's writes under prefix
	if a.prev != nil {
		<-a.prev.sorted
		pw = writesUnder(a.prev.writes, prefix)
	}
	ok := a.it.SeekGE(prefix) && bytes.HasPrefix(a.it.Key(), prefix)
	for ok || len(pw) > 0 {
		var c int
		switch {
		case !ok:
			c = 1
		case len(pw) == 0:
			c = -1
		default:
			c = bytes.Compare(a.it.Key(), unsafeBytes(pw[0].key))
		}
		if c < 0 {
			v, err := a.it.ValueAndErr()
			if err != nil {
				return err
			}
			if err := fn(a.it.Key(), v); err != nil {
				return err
			}
		} else if w := pw[0]; w.flags&fDel == 0 {
			if err := fn(unsafeBytes(w.key), w.v); err != nil {
				return err
			}
		}
		if c <= 0 {
			ok = a.it.Next() && bytes.HasPrefix(a.it.Key(), prefix)
		}
		if c >= 0 {
			pw = pw[1:]
		}
	}
	return a.it.Error()
}

// readDB reads one key with the applier's iterator. Values are copied:
// values read from the pending batch (readStore) are shared with it, and
// no value read is ever modified.
func (a *applier) readDB(key []byte) (readVal, error) {
	if !a.it.SeekPrefixGE(key) || !bytes.Equal(a.it.Key(), key) {
		return readVal{}, a.it.Error()
	}
	v, err := a.it.ValueAndErr()
	if err != nil {
		return readVal{}, err
	}
	return readVal{v: bytes.Clone(v), found: true}, nil
}

// fetch reads keys that are not read yet, in key order, so that each seek
// lands at or after the previous one.
func (a *applier) fetch(keys [][]byte) error {
	slices.SortFunc(keys, bytes.Compare)
	for i, k := range keys {
		if i > 0 && bytes.Equal(k, keys[i-1]) {
			continue
		}
		if _, ok := a.o.lookup(k); ok {
			continue
		}
		r, err := a.readStore(k)
		if err != nil {
			return err
		}
		a.o.recordRead(k, r.v, r.found)
	}
	return nil
}

// knownAbsent reports whether key belongs to an address or URL that had no
// summary before the batch: every key owned by an address is written
// together with its summary, and every item of a URL's file list with the
// URL's summary, so such keys do not exist in the database. Of an address
// with a summary, the summary as it was before the batch tells more: a list
// it counts no items of has no keys, and a sighting day outside its
// sighting days has none.
func (a *applier) knownAbsent(key []byte) bool {
	switch {
	case len(key) < 2:
		return false
	case key[0] == tSighting:
		if len(key) != 1+16+8 {
			return false
		}
		if a.newAddr(key[1:]) {
			return true
		}
		s := a.sumBefore(key[1:])
		day := binary.BigEndian.Uint64(key[17:])
		return s != nil && (s.days0[0] == 0 || day < s.days0[0] || day > s.days0[1])
	case key[0] == tSpam || key[0] == tPhish:
		return a.newAddr(key[1:])
	case key[0] == tHead:
		return a.newAddr(key[2:])
	case key[0] != tPrimary:
		return false
	case key[1] == lHosted || key[1] == lFiles || key[1] == lRes || key[1] == lMasks:
		if a.newAddr(key[2:]) {
			return true
		}
		s := a.sumBefore(key[2:])
		return s != nil && s.lens0[listNo(key[1])] == 0
	case key[1] == lURLFiles:
		if i := bytes.IndexByte(key[2:], 0); i >= 0 {
			_, ok := a.newURLs[string(key[2:2+i])]
			return ok
		}
	}
	return false
}

// newAddr reports whether the address whose 16 bytes k starts with had no
// summary before the batch.
func (a *applier) newAddr(k []byte) bool {
	if len(k) < 16 {
		return false
	}
	_, ok := a.newAddrs[[16]byte(k[:16])]
	return ok
}

// sumBefore returns the decoded summary of the address whose 16 bytes k
// starts with if the batch has it at hand (read in the plan), without
// reading; nil otherwise. Only its fields ending in 0 describe the
// database before the batch.
func (a *applier) sumBefore(k []byte) *addrSum {
	if len(k) < 16 {
		return nil
	}
	a16 := [16]byte(k[:16])
	if s := a.addrs[a16]; s != nil {
		return s
	}
	var key [17]byte
	key[0] = tAddr
	copy(key[1:], a16[:])
	if _, found, _ := a.before(key[:]); !found {
		return nil
	}
	s, err := a.sum(netip.AddrFrom16(a16))
	if err != nil {
		return nil
	}
	return s
}

// itemRef is the primary key of a list item and the length of its owner.
type itemRef struct {
	pk       []byte
	ownerLen int
}

// prefetch reads what applying b will read (see applier).
func (a *applier) prefetch(b *intel.Batch) error {
	var keys [][]byte
	b.EachAddress(func(ip netip.Addr) { keys = append(keys, addrKey(tAddr, intel.NormIP(ip))) })
	for i := range b.HostedURLs {
		keys = append(keys, strKey(tURL, b.HostedURLs[i].URL))
	}
	for i := range b.Files {
		keys = append(keys, strKey(tURL, intel.URLKey(b.Files[i].URL)))
	}
	for i := range b.Resolutions {
		keys = append(keys, strKey(tDomain, b.Resolutions[i].Domain))
	}
	for i := range b.Domains {
		keys = append(keys, strKey(tDomain, b.Domains[i].Domain))
	}
	for i := range b.NetListings {
		keys = append(keys, netListingKey(&b.NetListings[i]))
	}
	if err := a.fetch(keys); err != nil {
		return err
	}

	// Keys owned by addresses and URLs without a summary are not read
	// (see knownAbsent).
	for i := range a.o.slots {
		k, f := a.o.slots[i].key, a.o.slots[i].flags
		switch {
		case f&fFound != 0:
		case k[0] == tAddr:
			a.newAddrs[[16]byte([]byte(k[1:]))] = struct{}{}
		case k[0] == tURL:
			a.newURLs[k[1:]] = struct{}{}
		}
	}
	keys = keys[:0]
	var items []itemRef
	owned := func(k []byte) {
		if !a.knownAbsent(k) {
			keys = append(keys, k)
		}
	}
	item := func(list byte, ip netip.Addr, it ...string) {
		owner := addrOwner(nil, ip)
		pk := primaryKey(list, owner, []byte(strings.Join(it, "\x00")))
		owned(pk)
		if !a.knownAbsent(pk) {
			// The head, if the list has one (see heads.go).
			if s, err := a.sum(ip); err == nil && s.lens[listNo(list)] >= headMin {
				keys = append(keys, headKey(list, owner))
			}
		}
		items = append(items, itemRef{pk, len(owner)})
	}
	for i := range b.Sightings {
		r := &b.Sightings[i]
		ip := intel.NormIP(r.IP)
		owned(sightingKey(ip, intel.Day(r.Day)))
	}
	for i := range b.HostedURLs {
		r := &b.HostedURLs[i]
		item(lHosted, intel.NormIP(r.IP), r.URL)
	}
	for i := range b.Files {
		r := &b.Files[i]
		item(lFiles, intel.NormIP(r.IP), r.MD5, r.URL)
		key := intel.URLKey(r.URL)
		owner := strOwner(nil, key)
		pk := primaryKey(lURLFiles, owner, []byte(r.MD5))
		if !a.knownAbsent(pk) {
			keys = append(keys, pk)
		}
		items = append(items, itemRef{pk, len(owner)})
	}
	for i := range b.Resolutions {
		r := &b.Resolutions[i]
		item(lRes, intel.NormIP(r.IP), r.Domain)
	}
	for i := range b.Masks {
		r := &b.Masks[i]
		item(lMasks, intel.NormIP(r.IP), r.Mask, r.MaskType)
	}
	for i := range b.SpamEvents {
		r := &b.SpamEvents[i]
		ip := intel.NormIP(r.IP)
		owned(eventKey(tSpam, ip, r.ID))
	}
	for i := range b.PhishingEvents {
		r := &b.PhishingEvents[i]
		ip := intel.NormIP(r.IP)
		owned(eventKey(tPhish, ip, r.ID))
	}
	if err := a.fetch(keys); err != nil {
		return err
	}

	// The index entries of the items that exist.
	keys = keys[:0]
	for _, it := range items {
		v, found, _ := a.before(it.pk)
		if !found {
			continue
		}
		owner, item := it.pk[2:2+it.ownerLen], it.pk[2+it.ownerLen:]
		keys = append(keys, indexKey(it.pk[1], owner, v, item))
	}
	return a.fetch(keys)
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

// upsert merges one item into a list: it finds the item's current index
// entry through the primary key, lets merge compute the new sort key and
// value from the old value (nil when new), and moves the index entry if the
// sort key changed. It returns the old sort key (nil when new) and the new.
func (a *applier) upsert(list byte, owner, item []byte, merge func(old []byte) (sort, val []byte, err error)) (oldSort, newSort []byte, err error) {
	pk := primaryKey(list, owner, item)
	oldSort, found, err := a.get(pk)
	if err != nil {
		return nil, nil, err
	}
	var oldVal, oldIK []byte
	if found {
		oldIK = indexKey(list, owner, oldSort, item)
		oldVal, found, err = a.get(oldIK)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			oldSort = nil
		}
	}
	newSort, newVal, err := merge(oldVal)
	if err != nil {
		return nil, nil, err
	}
	if found && bytes.Equal(oldSort, newSort) {
		if !bytes.Equal(oldVal, newVal) {
			a.set(oldIK, newVal)
			a.markList(list, owner)
			if isAddrList(list) {
				if err := a.headChange(list, owner, oldSort, item, newSort, newVal, false); err != nil {
					return nil, nil, err
				}
			}
		}
		return oldSort, newSort, nil
	}
	a.markList(list, owner)
	if isAddrList(list) {
		if err := a.headChange(list, owner, oldSort, item, newSort, newVal, !found); err != nil {
			return nil, nil, err
		}
	}
	if found {
		a.del(oldIK)
	}
	a.set(pk, newSort)
	a.set(indexKey(list, owner, newSort, item), newVal)
	return oldSort, newSort, nil
}

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
	if err := a.writeSummaries(a.store); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

func (a *applier) sightings(b *intel.Batch) error {
	for _, r := range b.Sightings {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip, d := r.IP, r.Day
		k := sightingKey(ip, d)
		old, found, err := a.get(k)
		if err != nil {
			return err
		}
		var oldHits int64
		if found {
			oldHits, _ = binary.Varint(old)
		}
		a.set(k, binary.AppendVarint(nil, r.Hits))
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		s.hits += r.Hits - oldHits
		s.seen(d)
		s.sighted(binary.BigEndian.Uint64(k[17:]))
	}
	return nil
}

func (a *applier) listings(b *intel.Batch) error {
	for _, r := range b.Listings {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		s, err := a.sum(r.IP)
		if err != nil {
			return err
		}
		r.IP = netip.Addr{}
		i, found := slices.BinarySearchFunc(s.listings, r, func(x, y intel.Listing) int {
			if c := strings.Compare(x.Feed, y.Feed); c != 0 {
				return c
			}
			return strings.Compare(string(x.Category), string(y.Category))
		})
		if found {
			s.listings[i].Merge(r)
		} else {
			s.listings = slices.Insert(s.listings, i, r)
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)
	}
	return nil
}

func (a *applier) hostedURLs(b *intel.Batch) error {
	var owner []byte
	for _, r := range b.HostedURLs {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip := r.IP
		owner = addrOwner(owner[:0], ip)
		var m intel.HostedURL
		wasRed := false
		_, _, err := a.upsert(lHosted, owner, []byte(r.URL), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m = r
			} else {
				if err := decHosted(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				wasRed = m.Zone == intel.ZoneRed
				m.Merge(r)
			}
			return recencyKey(nil, m.LastSeen, m.Hits), encHosted(nil, &m), nil
		})
		if err != nil {
			return err
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		if !wasRed && m.Zone == intel.ZoneRed {
			s.redURLs++
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)

		u, err := a.url(r.URL)
		if err != nil {
			return err
		}
		u.sum.AddHosted(r, !u.hosted)
		u.hosted = true
	}
	return nil
}

func (a *applier) files(b *intel.Batch) error {
	var owner, item []byte
	for _, r := range b.Files {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip := r.IP
		owner = addrOwner(owner[:0], ip)
		item = append(append(append(item[:0], r.MD5...), 0), r.URL...)
		var m intel.FileDownload
		wasRed := false
		_, _, err := a.upsert(lFiles, owner, item, func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m = r
			} else {
				if err := decFile(&dec{s: string(old)}, &m, false); err != nil {
					return nil, nil, err
				}
				wasRed = m.Zone == intel.ZoneRed
				m.Merge(r)
			}
			return recencyKey(nil, m.LastSeen, m.Hits), encFile(nil, &m, false), nil
		})
		if err != nil {
			return err
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		if !wasRed && m.Zone == intel.ZoneRed {
			s.redFiles++
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)

		key := intel.URLKey(r.URL)
		var f intel.FileDownload
		oldSort, _, err := a.upsert(lURLFiles, strOwner(nil, key), []byte(r.MD5), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				f = r
			} else {
				if err := decFile(&dec{s: string(old)}, &f, true); err != nil {
					return nil, nil, err
				}
				f.MergeByMD5(r)
			}
			return recencyKey(nil, f.LastSeen, f.Hits), encFile(nil, &f, true), nil
		})
		if err != nil {
			return err
		}
		if oldSort == nil {
			u, err := a.url(key)
			if err != nil {
				return err
			}
			u.sum.Files++
		}
	}
	return nil
}

func (a *applier) resolutions(b *intel.Batch) error {
	var owner []byte
	for _, r := range b.Resolutions {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip := r.IP
		zone, cats, err := a.domainZone(r.Domain)
		if err != nil {
			return err
		}
		r.Zone, r.Categories = zone, cats
		owner = addrOwner(owner[:0], ip)
		var m intel.Resolution
		oldSort, newSort, err := a.upsert(lRes, owner, []byte(r.Domain), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m = r
			} else {
				if err := decResolution(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				m.Merge(r)
				m.Zone, m.Categories = zone, cats
			}
			return recencyKey(nil, m.LastSeen, m.Hits), encResolution(nil, &m), nil
		})
		if err != nil {
			return err
		}
		if !bytes.Equal(oldSort, newSort) {
			dOwner := strOwner(nil, r.Domain)
			if oldSort != nil {
				a.del(indexKey(lDomainIPs, dOwner, oldSort, owner))
			}
			a.set(indexKey(lDomainIPs, dOwner, newSort, owner), nil)
		}
		s, err := a.sum(ip)
		if err != nil {
			return err
		}
		s.seen(r.FirstSeen)
		s.seen(r.LastSeen)
	}
	return nil
}

func (a *applier) domains(b *intel.Batch) error {
	for _, r := range b.Domains {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		k := strKey(tDomain, r.Domain)
		old := intel.DomainInfo{Domain: r.Domain}
		found, err := getFn(a, k, func(v []byte) error { return decDomain(&dec{s: string(v)}, &old) })
		if err != nil {
			return err
		}
		if found {
			m := old
			m.Merge(r)
			r = m
		}
		a.set(k, encDomain(nil, &r))
		if r.Zone != old.Zone || !slices.Equal(r.Categories, old.Categories) {
			if err := a.restampResolutions(r.Domain, r.Zone, r.Categories); err != nil {
				return fmt.Errorf("domain %q: %w", r.Domain, err)
			}
		}
	}
	return nil
}

// domainZone returns the zone and categories of a domain as the batch sees
// them (none when the domain has no DomainInfo).
func (a *applier) domainZone(domain string) (intel.Zone, []intel.Category, error) {
	var di intel.DomainInfo
	if _, err := getFn(a, strKey(tDomain, domain), func(v []byte) error { return decDomain(&dec{s: string(v)}, &di) }); err != nil {
		return "", nil, fmt.Errorf("domain %q: %w", domain, err)
	}
	return di.Zone, di.Categories, nil
}

// restampResolutions copies a domain's new zone and categories into the
// resolution items of every address the domain resolved to before the
// batch (found through the domain's address list, whose sort keys are those
// of the resolution items). Resolutions of the batch itself read the
// DomainInfo when they are merged, after this step.
func (a *applier) restampResolutions(domain string, zone intel.Zone, cats []intel.Category) error {
	prefix := indexPrefix(lDomainIPs, strOwner(nil, domain))
	type ref struct{ sort, addr []byte }
	var refs []ref
	err := a.scan(prefix, func(k, _ []byte) error {
		k = k[len(prefix):]
		if len(k) != recencyKeyLen+16 {
			return errCorrupt
		}
		k = bytes.Clone(k)
		refs = append(refs, ref{k[:recencyKeyLen], k[recencyKeyLen:]})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range refs {
		if err := a.tick(); err != nil {
			return err
		}
		ik := indexKey(lRes, r.addr, r.sort, []byte(domain))
		v, found, err := a.get(ik)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		var m intel.Resolution
		if err := decResolution(&dec{s: string(v)}, &m); err != nil {
			return err
		}
		m.Zone, m.Categories = zone, cats
		v = encResolution(nil, &m)
		a.set(ik, v)
		if err := a.headChange(lRes, r.addr, r.sort, []byte(domain), r.sort, v, false); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) masks(b *intel.Batch) error {
	var owner, item []byte
	for _, r := range b.Masks {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		ip := r.IP
		owner = addrOwner(owner[:0], ip)
		item = append(append(append(item[:0], r.Mask...), 0), r.MaskType...)
		_, _, err := a.upsert(lMasks, owner, item, func(old []byte) ([]byte, []byte, error) {
			m := r
			if old != nil {
				if err := decMask(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				m.Merge(r)
			}
			return severityKey(nil, m.Zone), encMask(nil, &m), nil
		})
		if err != nil {
			return err
		}
		// Masks do not count towards FirstSeen/LastSeen, but the address
		// has evidence: make sure its summary exists.
		if _, err := a.sum(ip); err != nil {
			return err
		}
	}
	return nil
}

// firstSeenEvent records an event ID and reports whether it was new.
func (a *applier) firstSeenEvent(table byte, ip netip.Addr, id string) (bool, error) {
	k := eventKey(table, ip, id)
	_, found, err := a.get(k)
	if err != nil || found {
		return false, err
	}
	a.set(k, nil)
	return true, nil
}

// event returns the summary of the address of a spam or phishing event
// the store has not counted yet (ok false for a known event id).
func (a *applier) event(table byte, ip netip.Addr, id string) (s *addrSum, ok bool, err error) {
	if err := a.tick(); err != nil {
		return nil, false, err
	}
	if ok, err = a.firstSeenEvent(table, ip, id); err != nil || !ok {
		return nil, false, err
	}
	s, err = a.sum(ip)
	return s, err == nil, err
}

func (a *applier) spam(b *intel.Batch) error {
	for _, r := range b.SpamEvents {
		r.Normalize()
		s, ok, err := a.event(tSpam, r.IP, r.ID)
		if err != nil {
			return err
		}
		if ok {
			s.spam.Add(r)
			s.seen(r.Time)
		}
	}
	return nil
}

func (a *applier) phishing(b *intel.Batch) error {
	for _, r := range b.PhishingEvents {
		r.Normalize()
		s, ok, err := a.event(tPhish, r.IP, r.ID)
		if err != nil {
			return err
		}
		if ok {
			s.phish.Add(r)
			s.seen(r.Time)
		}
	}
	return nil
}

func (a *applier) reports(b *intel.Batch) error {
	for _, r := range b.Reports {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		if err := a.indexReport(&r); err != nil {
			return err
		}
		if err := a.setJSON(strKey(tReport, r.ID), r); err != nil {
			return err
		}
	}
	for _, r := range b.ReportLinks {
		if err := a.tick(); err != nil {
			return err
		}
		s, err := a.sum(intel.NormIP(r.IP))
		if err != nil {
			return err
		}
		if i, found := slices.BinarySearch(s.reportIDs, r.ReportID); !found {
			s.reportIDs = slices.Insert(s.reportIDs, i, r.ReportID)
		}
	}
	return nil
}

func (a *applier) setJSON(k []byte, v any) error {
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	a.set(k, j)
	return nil
}

func (a *applier) network(b *intel.Batch) error {
	for _, r := range b.Countries {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		a.set(netKey(nCountry, r.Prefix), encNet(nil, &r, codeCountry))
	}
	for _, r := range b.ASRanges {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		a.set(netKey(nAS, r.Prefix, binary.BigEndian.AppendUint32(nil, r.ASN)...), encNet(nil, &r, codeASRange))
	}
	for _, r := range b.WhoisNets {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		a.set(netKey(nWhois, r.Prefix), encNet(nil, &r, codeWhoisNet))
	}
	for _, r := range b.NetListings {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		k := netListingKey(&r)
		var old intel.NetListing
		found, err := getFn(a, k, func(v []byte) error { return decNet(v, &old, codeNetListing) })
		if err != nil {
			return err
		}
		if found {
			old.Merge(r)
			r = old
		}
		a.set(k, encNet(nil, &r, codeNetListing))
	}
	for _, r := range b.Allows {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		a.set(netKey(nAllow, r.Prefix, []byte(r.List)...), encNet(nil, &r, codeAllow))
	}
	return nil
}

// netListingKey is the key of a network listing (its prefix masked).
func netListingKey(r *intel.NetListing) []byte {
	return netKey(nListing, r.Prefix.Masked(), append(append([]byte(r.Feed), 0), r.Category...)...)
}

func networkVersion(r reader) (uint64, error) {
	var v uint64
	_, err := getFn(r, keyNetVersion, func(b []byte) error {
		var n int
		v, n = binary.Uvarint(b)
		if n <= 0 {
			return errCorrupt
		}
		return nil
	})
	return v, err
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
