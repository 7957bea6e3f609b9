package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Change stamps. The summary of every address and web address carries the
// stamp of its latest change, and the change log holds, per stamp, the
// owners that carry it:
//
//	c 'a' stamp(8) -> entries: family(1) addr, ...   addresses (family 4 or 6)
//	c 'u' stamp(8) -> entries: uvarint len, url, ...  web addresses
//	c 'o' stamp(8) -> entries: uvarint len, kind(1) key, ...  objects
//	c 'O' kind(1) key -> stamp(8)                     an object's stamp (older stores)
//
// A file's entry (format 11) is its hash as bytes after the kind byte
// fileRaw: 33 bytes for a SHA-256 instead of 65 (stores written before
// hold the hex, and a value holds entries of one form). stamp is the
// big-endian microseconds since 1970, so the log is in stamp order; the
// entries of one stamp are sorted (bytewise, which for the address form is
// netip.Addr.Compare order: IPv4 before IPv6, and for the object form the
// order of kind, then key, in either form of a file's entry: see
// cmpEntryKey). Apply gives
// one stamp to every owner whose summary or lists the batch changed: it
// writes one log value with all of them and removes each from the log
// value of its previous stamp (the one in its summary), so the log holds
// every owner exactly once, under its latest stamp, and a scan of it costs
// what it returns. One value per batch instead of one key per owner keeps
// the log's cost to an import small. M stamp holds the latest stamp given,
// so that stamps increase across restarts even if the clock goes back.
//
// An object is changed when the batch rewrites its summary (ObjectInfo,
// ObjectListing, DomainWhois, list counts, a file's FileHashes, a list
// item the summary holds) or an item of a list it owns in keys (see
// markObject). An object's stamp is in its summary: the last stampLen
// bytes (see objcodec.go); a changed object gets the batch's stamp in its
// summary, which the first round of the planned reads has read, so stamps
// cost objects neither a key nor a read of their own. Stores written
// before kept a file's FileHashes under F hash with a stamp of its own (the
// later of the two counts until the summary takes the FileHashes in), and
// older ones the stamp under c 'O' instead, with values ending without
// one: for an object with such a value the key is read too (and removed
// once the stamp is in the object's values).
const (
	tChange   = 'c'
	cAddress  = 'a'
	cURL      = 'u'
	cObject   = 'o'
	cObjStamp = 'O'
)

var keyStamp = []byte{tMeta, 's', 't', 'a', 'm', 'p'}

func changeKind(kind store.ChangeKind) (byte, error) {
	switch kind {
	case store.ChangedAddresses:
		return cAddress, nil
	case store.ChangedURLs:
		return cURL, nil
	case store.ChangedObjects:
		return cObject, nil
	}
	return 0, intel.Invalid("unknown change kind %d", kind)
}

// appendStamp appends the index form of a stamp.
func appendStamp(dst []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t.UnixMicro()))
}

// appendChangeAddr appends the log entry of an address.
func appendChangeAddr(dst []byte, ip netip.Addr) []byte {
	if ip.Is4() {
		a := ip.As4()
		return append(append(dst, 4), a[:]...)
	}
	a := ip.As16()
	return append(append(dst, 6), a[:]...)
}

// appendChangeURL appends the log entry of a web address.
func appendChangeURL(dst []byte, url string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(url))), url...)
}

// appendChangeObject appends the log entry of an object given as its kind
// byte and key (the form of applier.objs keys): that string in the form
// of a web address's entry, so that entries order by kind, then key; a
// file's hash as bytes after fileRaw.
func appendChangeObject(dst []byte, obj string) []byte {
	if len(obj) > 1 && obj[0] == byte(intel.ObjectFile) && len(obj)%2 == 1 && len(obj) <= 1+2*hashLens[2] {
		orig, n := len(dst), len(obj)/2
		dst = append(binary.AppendUvarint(dst, uint64(1+n)), fileRaw)
		var bad byte
		for j := range n {
			hi, lo := unhexTable[obj[1+2*j]], unhexTable[obj[2+2*j]]
			bad |= hi | lo
			dst = append(dst, hi<<4|lo)
		}
		if bad < 16 {
			return dst
		}
		dst = dst[:orig]
	}
	return appendChangeURL(dst, obj)
}

// fileRaw is the kind byte of a file's log entry whose key is its hash as
// bytes: ObjectFile with the high bit set, so that such entries sort after
// those of the other kinds as ObjectFile's do, and among themselves as
// their hex does (upper-case hex digits sort as the values they write).
const fileRaw = byte(intel.ObjectFile) | 0x80

// hexEntry returns the entry a store before format 11 wrote for the
// object of entry e (its hash in hex), or nil when e is not a file's
// entry with the hash as bytes.
func hexEntry(e []byte) []byte {
	_, k := binary.Uvarint(e)
	if k <= 0 || len(e) <= k || e[k] != fileRaw {
		return nil
	}
	return appendChangeURL(nil, string(byte(intel.ObjectFile))+upperHex(string(e[k+1:])))
}

// cmpEntryKey compares the keys (entryKey) of two entries of a kind of
// log, reading a file's hash as bytes as its hex would read.
func cmpEntryKey(kind byte, x, y []byte) int {
	if kind != cObject || len(x) == 0 || len(y) == 0 || x[0] != fileRaw && y[0] != fileRaw {
		return bytes.Compare(x, y)
	}
	var xb, yb [1 + 2*32]byte
	return bytes.Compare(hexKey(xb[:0], x), hexKey(yb[:0], y))
}

// hexKey appends to dst an object entry's key with a file's hash in hex.
func hexKey(dst, key []byte) []byte {
	if key[0] != fileRaw {
		return append(dst, key...)
	}
	const digits = "0123456789ABCDEF"
	dst = append(dst, byte(intel.ObjectFile))
	for _, c := range key[1:] {
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}

// objStampKey is the key of the latest stamp of an object given as its
// kind byte and key.
func objStampKey(obj string) []byte {
	return append([]byte{tChange, cObjStamp}, obj...)
}

func changeLogKey(kind byte, t time.Time) []byte {
	return appendStamp([]byte{tChange, kind}, t)
}

// logEntries splits a log value into its entries (views of v).
func logEntries(kind byte, v []byte) ([][]byte, error) {
	var out [][]byte
	for len(v) > 0 {
		var n int
		if kind == cAddress { // the others: uvarint length, bytes
			switch v[0] {
			case 4:
				n = 5
			case 6:
				n = 17
			default:
				return nil, errCorrupt
			}
		} else {
			l, k := binary.Uvarint(v)
			if k <= 0 || l > uint64(len(v)-k) {
				return nil, errCorrupt
			}
			n = k + int(l)
		}
		if n > len(v) {
			return nil, errCorrupt
		}
		out = append(out, v[:n])
		v = v[n:]
	}
	return out, nil
}

// entryKey is the part of an entry that orders it: the address form, or
// the web address (object kind and key) without its length.
func entryKey(kind byte, e []byte) []byte {
	if kind != cAddress {
		_, k := binary.Uvarint(e)
		return e[k:]
	}
	return e
}

// changeOf decodes an entry.
func changeOf(kind byte, at time.Time, e []byte) (store.Change, error) {
	ch := store.Change{At: at}
	switch kind {
	case cURL:
		ch.URL = string(entryKey(kind, e))
		return ch, nil
	case cObject:
		k := entryKey(kind, e)
		if len(k) == 0 {
			return ch, errCorrupt
		}
		if k[0] == fileRaw {
			ch.Kind, ch.Key = intel.ObjectFile, upperHex(string(k[1:]))
			return ch, nil
		}
		ch.Kind, ch.Key = intel.ObjectKind(k[0]), string(k[1:])
		return ch, nil
	}
	switch {
	case len(e) == 5 && e[0] == 4:
		ch.IP = netip.AddrFrom4([4]byte(e[1:]))
	case len(e) == 17 && e[0] == 6:
		ch.IP = netip.AddrFrom16([16]byte(e[1:]))
	default:
		return ch, errCorrupt
	}
	return ch, nil
}

// nextStamp returns a stamp later than every earlier one. The caller holds
// applyMu.
func (s *Store) nextStamp() (time.Time, error) {
	if !s.stampLoaded {
		v, found, err := get(s.db, keyStamp)
		if err != nil {
			return time.Time{}, fmt.Errorf("read the latest change stamp: %w", err)
		}
		if found {
			if len(v) != 8 {
				return time.Time{}, fmt.Errorf("read the latest change stamp: %w", errCorrupt)
			}
			s.lastStamp = time.UnixMicro(int64(binary.BigEndian.Uint64(v))).UTC()
		}
		s.stampLoaded = true
	}
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(s.lastStamp) {
		t = s.lastStamp.Add(time.Microsecond)
	}
	return t, nil
}

// writeSummaries writes the summary of every address and web address the
// batch touched and gives the batch's change stamp to those whose summary
// or lists it changed. A summary the batch left as it was is not written
// again. The stamp is the last field of a summary, so a changed summary is
// encoded once and its stamp replaced in place.
func (a *applier) writeSummaries(s *Store) error {
	var at time.Time
	stamp := func() error {
		if at.IsZero() {
			t, err := s.nextStamp()
			if err != nil {
				return err
			}
			at = t
			a.set(keyStamp, appendStamp(nil, at))
		}
		return nil
	}
	// write writes the summary v of key unless the batch left it as it was
	// (listChanged: an item of its lists changed), stamped and logged.
	write := func(key, v []byte, listChanged bool, changed *time.Time, log *changeLog, entry func() []byte) error {
		if !listChanged && a.sameValue(key, v) {
			return nil
		}
		if err := stamp(); err != nil {
			return err
		}
		log.add(entry(), *changed)
		v = replaceStamp(v, *changed, at)
		*changed = at
		a.set(key, v)
		return nil
	}
	var addrLog, urlLog changeLog
	for k, sum := range a.addrs {
		entry := func() []byte { return appendChangeAddr(nil, netip.AddrFrom16(k).Unmap()) }
		if err := write(append([]byte{tAddr}, k[:]...), encAddrSum(nil, sum), a.listChanged[k], &sum.changed, &addrLog, entry); err != nil {
			return err
		}
	}
	for k, u := range a.urls {
		entry := func() []byte { return appendChangeURL(nil, k) }
		if err := write(strKey(tURL, k), encURLSum(nil, u), a.urlListChanged[k], &u.changed, &urlLog, entry); err != nil {
			return err
		}
	}
	var objLog changeLog
	if len(a.objChanged) > 0 {
		if err := stamp(); err != nil {
			return err
		}
		if err := a.stampObjects(at, &objLog); err != nil {
			return err
		}
	}
	if at.IsZero() {
		return nil
	}
	a.stamped = at
	if err := a.writeLog(cAddress, at, &addrLog); err != nil {
		return err
	}
	if err := a.writeLog(cURL, at, &urlLog); err != nil {
		return err
	}
	return a.writeLog(cObject, at, &objLog)
}

// markObject records that the batch changed a stored value of the object
// of summary s (every changed object's summary is decoded: its stamp is
// read from it and written into it).
func (a *applier) markObject(s *objSum) {
	if !s.changed {
		s.changed = true
		a.objChanged = append(a.objChanged, s)
	}
}

// stampObjects gives the stamp at to every changed object: it finds their
// previous stamps (see prevStamp), logs them and writes the new ones into
// the object's summary or FileHashes value, whichever the batch writes
// (the summary if it writes neither: the object changed by a link item).
func (a *applier) stampObjects(at time.Time, log *changeLog) error {
	objs := a.objChanged
	slices.SortFunc(objs, func(x, y *objSum) int { return strings.Compare(x.key, y.key) })
	// The values that may hold the previous stamps: summaries and
	// FileHashes the batch has not read (the batch decoded every summary:
	// only FileHashes under F keys), then the stamp keys of objects whose
	// values predate stamps in values.
	var keys [][]byte
	if a.store.hashKeys.Load() {
		for _, s := range objs {
			for _, k := range a.stampHolders(s.key) {
				if _, _, ok := a.before(k); !ok {
					keys = append(keys, k)
				}
			}
		}
	}
	if err := a.fetch(keys); err != nil {
		return fmt.Errorf("change stamps of objects: %w", err)
	}
	keys = keys[:0]
	prevs := make([]time.Time, len(objs))
	legacy := make([]bool, len(objs))
	for i, s := range objs {
		var err error
		if prevs[i], legacy[i], err = a.prevStamp(s); err != nil {
			return err
		}
		if legacy[i] {
			keys = append(keys, objStampKey(s.key))
		}
	}
	if err := a.fetch(keys); err != nil {
		return fmt.Errorf("change stamps of objects: %w", err)
	}
	for i, s := range objs {
		prev := prevs[i]
		if legacy[i] {
			k := objStampKey(s.key)
			v, found, _ := a.before(k)
			if found {
				if len(v) != 8 {
					return fmt.Errorf("change stamp of an object: %w", errCorrupt)
				}
				if t := time.UnixMicro(int64(binary.BigEndian.Uint64(v))).UTC(); t.After(prev) {
					prev = t
				}
				a.del(k) // the stamp is in the object's values from now on
			}
		}
		log.add(appendChangeObject(a.o.ar.bytes(binary.MaxVarintLen64+len(s.key)), s.key), prev)
		if err := a.writeStamp(s, at); err != nil {
			return err
		}
	}
	return nil
}

// stampHolders are the keys of the values of an object (kind byte and key)
// that hold its change stamp: its summary and, for a file in a store that
// may hold FileHashes under F keys, the FileHashes under its hash.
func (a *applier) stampHolders(obj string) [][]byte {
	ks := [][]byte{append([]byte{tObject}, obj...)}
	if len(obj) > 1 && intel.ObjectKind(obj[0]) == intel.ObjectFile && a.store.hashKeys.Load() {
		ks = append(ks, hashesKey(obj[1:]))
	}
	return ks
}

// prevStamp is the change stamp of the object of summary s before the
// batch: the later of those its summary and FileHashes value hold (each
// stamping writes the new stamp into one of them). legacy reports that one of them was
// written before values held stamps, so that the stamp key of the object
// (which the batch must have read) counts too. The values must have been
// read.
func (a *applier) prevStamp(s *objSum) (prev time.Time, legacy bool, err error) {
	if !a.store.hashKeys.Load() {
		// The summary is the only holder, and the batch decoded it.
		if !s.found {
			return prev, false, nil
		}
		return s.stamp, !s.stamped, nil
	}
	for i, k := range a.stampHolders(s.key) {
		v, found, ok := a.before(k)
		if !ok {
			return prev, false, fmt.Errorf("change stamp of an object: %q not read", k)
		}
		if !found {
			continue
		}
		var t time.Time
		var stamped bool
		if i == 0 {
			t, stamped = s.stamp, s.stamped // decoded from v
		} else {
			var h intel.FileHashes
			if t, stamped, err = decHashesStamp(&dec{s: string(v)}, &h); err != nil {
				return prev, false, fmt.Errorf("hashes of %q: %w", s.key[1:], err)
			}
		}
		legacy = legacy || !stamped
		if t.After(prev) {
			prev = t
		}
	}
	return prev, legacy, nil
}

// writeStamp writes the stamp at into the values of an object the batch
// wrote, or into its summary.
func (a *applier) writeStamp(s *objSum, at time.Time) error {
	if s.wrote != nil {
		setValueStamp(s.wrote, at)
		return nil
	}
	s.stamp = at
	v, err := encObjSum(nil, s)
	if err != nil {
		return fmt.Errorf("summary of %q: %w", s.key[1:], err)
	}
	a.set(append([]byte{tObject}, s.key...), v)
	s.wrote = v
	if s.legacy != nil {
		a.del(hashesKey(s.key[1:])) // the summary holds its FileHashes now
	}
	return nil
}

// changeLog collects the owners a batch stamps: their entries, and the
// entries to remove from the log value of each previous stamp.
type changeLog struct {
	entries [][]byte
	old     map[time.Time][][]byte
}

func (l *changeLog) add(entry []byte, previous time.Time) {
	l.entries = append(l.entries, entry)
	if !previous.IsZero() {
		if l.old == nil {
			l.old = map[time.Time][][]byte{}
		}
		l.old[previous] = append(l.old[previous], entry)
	}
}

// writeLog writes the log value of stamp at and takes the stamped owners
// out of the values of their previous stamps.
func (a *applier) writeLog(kind byte, at time.Time, l *changeLog) error {
	if len(l.entries) == 0 {
		return nil
	}
	order := func(x, y []byte) int { return cmpEntryKey(kind, entryKey(kind, x), entryKey(kind, y)) }
	slices.SortFunc(l.entries, order)
	a.set(changeLogKey(kind, at), slices.Concat(l.entries...))
	for prev, gone := range l.old {
		key := changeLogKey(kind, prev)
		v, found, err := a.get(key)
		if err != nil {
			return fmt.Errorf("change log: %w", err)
		}
		if !found {
			continue // not expected; nothing to take out
		}
		entries, err := logEntries(kind, v)
		if err != nil {
			return fmt.Errorf("change log of %s: %w", prev, err)
		}
		drop := make(map[string]bool, len(gone))
		for _, g := range gone {
			drop[string(g)] = true
			if h := hexEntry(g); h != nil { // the value may be older than format 11
				drop[string(h)] = true
			}
		}
		kept := entries[:0:0]
		for _, e := range entries {
			if !drop[string(e)] {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 {
			a.del(key)
		} else {
			a.set(key, slices.Concat(kept...))
		}
	}
	return nil
}

// replaceStamp replaces the trailing encoded stamp old of a summary by new.
func replaceStamp(v []byte, old, new time.Time) []byte {
	var buf [24]byte
	e := enc{b: buf[:0]}
	e.time(old)
	v = v[:len(v)-len(e.b)]
	e.b = e.b[:0]
	e.time(new)
	return append(v, e.b...)
}

// sameValue reports whether key held v before the batch.
func (a *applier) sameValue(key, v []byte) bool {
	old, found, _ := a.before(key)
	return found && bytes.Equal(old, v)
}

// markList records that the batch changed an item of the list of owner.
func (a *applier) markList(list byte, owner []byte) {
	switch list {
	case lHosted, lFiles, lRes, lMasks:
		if len(owner) == 16 {
			a.listChanged[[16]byte(owner)] = true
		}
	case lURLFiles:
		if n := len(owner); n > 0 && owner[n-1] == 0 {
			a.urlListChanged[string(owner[:n-1])] = true
		}
	}
}

// Changes implements store.Intel: a scan of the change log from the
// cursor's stamp, decoding the values it reads; every entry of the log is
// current, so the cost is bounded by limit (and the size of one batch).
func (s *Store) Changes(ctx context.Context, kind store.ChangeKind, after store.Change, limit int) ([]store.Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := changeKind(kind)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	// The cursor: entries of stamp after.At sorting after cursorKey, then
	// later stamps. Without a key every entry of after.At is behind.
	var cursorKey []byte
	switch {
	case kind == store.ChangedAddresses && after.IP.IsValid():
		cursorKey = appendChangeAddr(nil, after.IP.WithZone("").Unmap())
	case kind == store.ChangedURLs && after.URL != "":
		cursorKey = []byte(after.URL)
	case kind == store.ChangedObjects && after.Kind != 0:
		cursorKey = append([]byte{byte(after.Kind)}, after.Key...)
	}
	lower := []byte{tChange, c}
	at := after.At.Truncate(time.Microsecond)
	switch {
	case cursorKey != nil:
		lower = changeLogKey(c, at)
	case !after.At.IsZero():
		lower = changeLogKey(c, at.Add(time.Microsecond))
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: []byte{tChange, c + 1}})
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer it.Close()
	var out []store.Change
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		if len(k) != 10 {
			return nil, fmt.Errorf("changes: %w", errCorrupt)
		}
		stamp := time.UnixMicro(int64(binary.BigEndian.Uint64(k[2:10]))).UTC()
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, fmt.Errorf("changes: %w", err)
		}
		entries, err := logEntries(c, v)
		if err != nil {
			return nil, fmt.Errorf("changes at %s: %w", stamp, err)
		}
		if cursorKey != nil && stamp.Equal(at) {
			i, found := slices.BinarySearchFunc(entries, cursorKey, func(e, key []byte) int {
				return cmpEntryKey(c, entryKey(c, e), key)
			})
			if found {
				i++
			}
			entries = entries[i:]
		}
		for _, e := range entries {
			if len(out) == limit {
				break
			}
			ch, err := changeOf(c, stamp, e)
			if err != nil {
				return nil, fmt.Errorf("changes at %s: %w", stamp, err)
			}
			out = append(out, ch)
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	return out, nil
}
