package pebble

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"io"
	"net/netip"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// readVal is a value read for the batch, or its absence.
type readVal struct {
	v     []byte
	found bool
}

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
		if v, del, merged, ok := a.prev.o.written(string(key)); ok && !merged {
			return readVal{v: v, found: !del}, nil
		} else if ok {
			// A merge operand (hashindex.go): the value is the
			// database's followed by it.
			r, err := a.readDB(key)
			if err != nil {
				return readVal{}, err
			}
			return readVal{v: append(r.v[:len(r.v):len(r.v)], v...), found: true}, nil
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

// mergeOperand merges operand into key (a K key, see hashindex.go), which Apply
// never reads.
func (a *applier) mergeOperand(key, operand []byte) { a.o.merge(key, operand) }

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
	it := a.it
	if intelTable(key[0]) && a.store.recent.usable() && !a.store.recent.mayHold(key) {
		it = a.dur
	}
	if !it.SeekPrefixGE(key) || !bytes.Equal(it.Key(), key) {
		return readVal{}, it.Error()
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return readVal{}, err
	}
	return readVal{v: bytes.Clone(v), found: true}, nil
}

// sortKeys sorts keys bytewise. Most keys of a batch differ in their
// first eight bytes: they are compared as a number first, without reading
// the keys' bytes again.
func sortKeys(keys [][]byte) {
	type prefixed struct {
		p uint64 // the first eight bytes, big-endian, zeros after a shorter key
		k []byte
	}
	ps := make([]prefixed, len(keys))
	for i, k := range keys {
		var b [8]byte
		copy(b[:], k)
		ps[i] = prefixed{binary.BigEndian.Uint64(b[:]), k}
	}
	slices.SortFunc(ps, func(x, y prefixed) int {
		if x.p != y.p {
			return cmp.Compare(x.p, y.p)
		}
		return bytes.Compare(x.k, y.k)
	})
	for i := range ps {
		keys[i] = ps[i].k
	}
}

// fetch reads keys that are not read yet, in key order, so that each seek
// lands at or after the previous one.
func (a *applier) fetch(keys [][]byte) error {
	sortKeys(keys)
	return a.fetchSorted(keys)
}

// fetchSorted is fetch of keys sorted already.
func (a *applier) fetchSorted(keys [][]byte) error {
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
// sighting days has none. Likewise, every link is written with its
// owner's object summary, so the links of an object without a summary
// before the batch do not exist.
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
	case key[1] == lLinks:
		return a.newObject(key[2:])
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
