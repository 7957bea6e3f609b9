package pebble

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/tipd/tipd/internal/intel"
)

// Source names (format 10). A source is a feed, a file and an import time
// (intel.Source); every record an import writes carries the same one, and
// an object summary holds it once per section or list item that the
// import fed (the later ones as srcRepeat). Written in full, a source is
// about 35 bytes with short file names, more with dated ones, of the 200
// to 300 bytes a file's summary or a hash index record takes. The store
// therefore numbers the feed-and-file pairs it meets, in a table of its
// own, with the import time of the first source of the pair it met:
//
//	V id(4, big-endian) -> feed, file (strings as enc.str writes them), base time (enc.time)
//
// and object summaries and hash index records write a source whose pair
// has a number as nameRef, the number, and its import time as the
// difference from the pair's base time (seconds and nanoseconds, two
// signed varints): 5 bytes for the records of the import that numbered
// the pair, instead of 35 and more. Every other value writes sources in
// full, as before.
//
// A pair gets its number before any value refers to it: names.id writes
// and syncs the V key first, so a reference in a value that a crash kept
// always has its pair. Numbers are never reused nor removed. The table is
// read whole at open and kept in memory; it stops growing at maxNames
// pairs (a few MiB), after which new pairs are written in full: a
// deployment that names each day's file differently (feed_2026-12-07.csv)
// adds a pair a day and feed, a feed fetched under one name adds one.
//
// Encodings are deterministic: a pair with a number is always written by
// reference. Apply numbers a pair when it first encodes a value that holds
// it, so in a store of this format a value holds a pair in full only when
// the table was full when it was written, and then for good; a store of an
// older format compares summaries by what they hold (Store.olderValues).
// A summary's bytes therefore change only when what it holds does
// (applier.writeObjects compares them).

const tName = 'V' // V id(4) -> feed, file: a source's feed-and-file pair (names.go)

// nameRef stands for "a source whose feed and file are the pair numbered
// next (a uvarint), then its import time less the pair's base time". It is the uvarint 1 written in
// two bytes, which no source starts with (a feed's length is written in
// the shortest form; srcRepeat is 0 in two bytes).
const nameRef = "\x81\x00"

// maxNames is how many pairs the table holds at most.
var maxNames = 1 << 16

// names is a store's table of feed-and-file pairs. Readers (decoders,
// encoders, the database's merger in flushes and compactions) read the
// table without a lock; an addition writes the pair's key, then publishes
// a new table. No lock is held by anything a write may wait for: the
// write of a pair can stall until a flush has run, and a flush runs the
// merger, which reads the table.
type names struct {
	db    *pebble.DB
	addMu sync.Mutex // serialises additions
	t     atomic.Pointer[nameTable]
}

// nameTable is one version of the table, never changed once published.
type nameTable struct {
	// byID holds the pair of number i+1 at i; ids numbers them.
	byID []nameEntry
	ids  map[namePair]uint32
}

type namePair struct{ feed, file string }

// nameEntry is a numbered pair and its base time.
type nameEntry struct {
	namePair
	base timeParts
}

// timeParts is a time as enc.time writes it: seconds since 0001-01-01
// and nanoseconds, both 0 for the zero time.
type timeParts struct{ sec, ns int64 }

func partsOf(t time.Time) timeParts {
	if t.IsZero() {
		return timeParts{}
	}
	return timeParts{t.Unix() + unixToInternal, int64(t.Nanosecond())}
}

// timeOf is the time of p, ok false if p is none.
func timeOf(p timeParts) (time.Time, bool) {
	switch {
	case p == timeParts{}:
		return time.Time{}, true
	case p.sec <= 0 || p.ns < 0 || p.ns >= 1e9:
		return time.Time{}, false
	}
	return time.Unix(p.sec-unixToInternal, p.ns).UTC(), true
}

func nameKey(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{tName}, id)
}

// loadNames reads the table of db.
func loadNames(db *pebble.DB) (*names, error) {
	n := &names{db: db}
	t := &nameTable{ids: map[namePair]uint32{}}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{tName}, UpperBound: []byte{tName + 1}})
	if err != nil {
		return nil, fmt.Errorf("read source names: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 5 || binary.BigEndian.Uint32(k[1:]) != uint32(len(t.byID)+1) {
			_ = it.Close()
			return nil, fmt.Errorf("read source names: key %x out of sequence", k)
		}
		d := dec{s: string(it.Value())}
		p := namePair{d.str(), d.str()}
		base := d.time()
		if d.err != nil || d.s != "" {
			_ = it.Close()
			return nil, fmt.Errorf("read source names: value of %x: %w", k, errCorrupt)
		}
		t.byID = append(t.byID, nameEntry{p, partsOf(base)})
		t.ids[p] = uint32(len(t.byID))
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("read source names: %w", err)
	}
	n.t.Store(t)
	return n, nil
}

// id returns the number of the pair of src's feed and file and its base
// time, numbering the pair (with src's import time as its base) when it
// has none and add is set (and the table is not full); ok is false if the
// pair has no number.
func (n *names) id(src intel.Source, add bool) (id uint32, base timeParts, ok bool) {
	if n == nil {
		return 0, base, false
	}
	p := namePair{src.Feed, src.File}
	t := n.t.Load()
	if id, ok := t.ids[p]; ok || !add || n.db == nil {
		if ok {
			base = t.byID[id-1].base
		}
		return id, base, ok
	}
	n.addMu.Lock()
	defer n.addMu.Unlock()
	old := n.t.Load()
	if id, ok := old.ids[p]; ok {
		return id, old.byID[id-1].base, true
	}
	if len(old.byID) >= maxNames {
		return 0, base, false
	}
	id = uint32(len(old.byID) + 1)
	e := enc{}
	e.str(src.Feed)
	e.str(src.File)
	e.time(src.Imported)
	if err := n.db.Set(nameKey(id), e.b, pebble.Sync); err != nil {
		// Written in full instead; the next value tries again.
		return 0, base, false
	}
	ent := nameEntry{p, partsOf(src.Imported)}
	t = &nameTable{byID: append(old.byID[:len(old.byID):len(old.byID)], ent), ids: make(map[namePair]uint32, len(old.ids)+1)}
	for q, i := range old.ids {
		t.ids[q] = i
	}
	t.ids[p] = id
	n.t.Store(t)
	return id, ent.base, true
}

// entry returns the pair numbered id and its base time.
func (n *names) entry(id uint64) (nameEntry, bool) {
	if n == nil {
		return nameEntry{}, false
	}
	byID := n.t.Load().byID
	if id == 0 || id > uint64(len(byID)) {
		return nameEntry{}, false
	}
	return byID[id-1], true
}
