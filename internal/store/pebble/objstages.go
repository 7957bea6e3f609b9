package pebble

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// The objects stage of Apply: ObjectInfo, ObjectListing, DomainWhois,
// FileHashes and Link records. Summaries of the objects the batch touches
// are kept decoded in applier.objs and written once at the end of the
// stage. A FileHashes record merges into the summary of each of its
// hashes' files. Every link is written together with its owner's summary
// (whose list counts it changes; the summary holds the items of a short
// list itself, see inline.go), so the link keys of an object without a
// summary before the batch are known to be absent (see knownAbsent).

// objectSummaryKeys appends the keys of the first round of the planned
// reads that the object records read: the summaries of their objects (a
// file's holds the FileHashes under its hash) and, if the store may hold
// FileHashes under F keys (legacy), those of the files among them.
func objectSummaryKeys(keys [][]byte, b *intel.Batch, legacy bool) [][]byte {
	start := len(keys)
	var ka batchArena
	for i := range b.ObjectInfos {
		keys = append(keys, ka.object(b.ObjectInfos[i].Kind, b.ObjectInfos[i].Key))
	}
	for i := range b.ObjectListings {
		keys = append(keys, ka.object(b.ObjectListings[i].Kind, b.ObjectListings[i].Key))
	}
	for i := range b.Whois {
		keys = append(keys, ka.object(intel.ObjectHost, b.Whois[i].Domain))
	}
	for i := range b.Links {
		l := &b.Links[i]
		if i > 0 && l.Owner == b.Links[i-1].Owner && l.List.Owner() == b.Links[i-1].List.Owner() {
			continue // fetch drops duplicates too; this spares the key
		}
		keys = append(keys, ka.object(l.List.Owner(), l.Owner))
	}
	// The records of a batch's FileHashes go to the summary of their
	// SHA-256 and, for their MD5 and SHA-1, to the hash index, unread;
	// or, for an MD5 or SHA-1 whose summary the batch reads anyway (its
	// other records touch the object), to that summary, with what the
	// index holds (hashindex.go).
	var touched map[string]bool // the files of the keys above, by the records' own strings
	touch := func(kind intel.ObjectKind, key string) {
		if kind == intel.ObjectFile {
			if touched == nil {
				touched = map[string]bool{}
			}
			touched[key] = true
		}
	}
	if len(b.FileHashes) > 0 {
		for i := range b.ObjectInfos {
			touch(b.ObjectInfos[i].Kind, b.ObjectInfos[i].Key)
		}
		for i := range b.ObjectListings {
			touch(b.ObjectListings[i].Kind, b.ObjectListings[i].Key)
		}
		for i := range b.Links {
			touch(b.Links[i].List.Owner(), b.Links[i].Owner)
		}
	}
	for i := range b.FileHashes {
		r := &b.FileHashes[i]
		for _, h := range [...]string{r.MD5, r.SHA1} {
			if h = strings.ToUpper(h); h != "" && touched[h] {
				if k, ok := hashIndexKey(ka.bytes(1+len(h)/2), h); ok {
					keys = append(keys, k)
				}
			}
		}
		if h := r.SHA256; h != "" {
			keys = append(keys, ka.object(intel.ObjectFile, strings.ToUpper(h)))
		}
	}
	if legacy {
		for _, k := range keys[start:] {
			if k[1] == byte(intel.ObjectFile) {
				keys = append(keys, hashesKey(string(k[2:])))
			}
		}
	}
	return keys
}

// hasHashKeys reports whether db holds a FileHashes value under an F key
// (stores written before file summaries held them).
func hasHashKeys(db *pebble.DB) (bool, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{tHashes}, UpperBound: []byte{tHashes + 1}})
	if err != nil {
		return false, err
	}
	found := it.First()
	if err := it.Close(); err != nil {
		return false, err
	}
	return found, nil
}

// links adds the primary keys of the batch's links to the second round,
// but for the links of an owner whose list is known to have no keys
// (newObject: a new object, a list its summary holds or counts no item
// of), which are neither read nor made.
func (p *plan) links(b *intel.Batch) {
	var owner []byte
	for i := range b.Links {
		r := &b.Links[i]
		owner = linkOwner(owner[:0], r.List, r.Owner)
		if p.a.newObject(owner) {
			continue
		}
		pk := primaryKey(lLinks, owner, []byte(r.Item))
		p.keys = append(p.keys, pk)
		p.items = append(p.items, itemRef{pk, len(owner)})
	}
}

// newObject reports whether the link primary key k (after its table and
// list bytes: LinkList, owner, 0x00, item) is known to be absent: its
// object had no summary before the batch, or its summary counts no item
// of the link's list (every link is written with its owner's summary,
// which counts it), or holds the list's items itself (inline.go). Only a
// summary the batch has read is looked at.
func (a *applier) newObject(k []byte) bool {
	if len(k) < 2 {
		return false
	}
	i := bytes.IndexByte(k[1:], 0)
	if i < 0 {
		return false
	}
	list := intel.LinkList(k[0])
	if !list.Valid() {
		return false
	}
	a.kbuf = append(append(a.kbuf[:0], tObject, byte(list.Owner())), k[1:1+i]...)
	_, found, ok := a.before(a.kbuf)
	switch {
	case !ok:
		return false
	case !found:
		return true // no summary before the batch
	}
	s := a.objs[string(a.kbuf[1:])]
	if s == nil {
		var err error
		if s, err = a.obj(intel.ObjectKind(a.kbuf[1]), string(a.kbuf[2:])); err != nil {
			return false
		}
	}
	return s.count(list).Items == 0 || s.inlined(list) != nil
}

// obj returns the summary of an object as the batch sees it, decoded once
// per batch (see loadObj).
func (a *applier) obj(kind intel.ObjectKind, key string) (*objSum, error) {
	a.obuf = append(append(a.obuf[:0], byte(kind)), key...)
	if s := a.objs[string(a.obuf)]; s != nil {
		return s, nil
	}
	k := a.o.ar.str(a.obuf)
	s, err := a.loadObj(kind, k)
	if err != nil {
		return nil, err
	}
	if a.objs == nil {
		a.objs = map[string]*objSum{}
	}
	a.objs[k] = s
	return s, nil
}

// loadObj reads and decodes the summary of an object. Of a file in a
// store that may hold FileHashes under F keys, the FileHashes under its
// hash are moved into the summary (and the later of the two stamps kept):
// writeObjects writes the summary with them and removes the F key if the
// summary changes otherwise, and leaves both as they are if not.
// k is the object's kind byte and key.
func (a *applier) loadObj(kind intel.ObjectKind, k string) (*objSum, error) {
	key := k[1:]
	s := a.newObjSum()
	v, found, err := a.get(objectKey(kind, key))
	if err == nil && found {
		err = decObjSum(&dec{s: string(v), names: a.store.names, own: key}, s)
	}
	s.key = k
	if err != nil {
		return nil, fmt.Errorf("summary of %s %q: %w", kind, key, err)
	}
	// Summaries are written at the end of the batch (writeObjects), so
	// what the batch sees now is the value before it.
	s.old, s.found = v, found
	if kind != intel.ObjectFile || !a.store.hashKeys.Load() || s.hasHashes {
		return s, nil
	}
	v, hfound, err := a.get(hashesKey(key))
	if err != nil || !hfound {
		return s, err
	}
	stamp, stamped, err := decHashesStamp(&dec{s: string(v)}, &s.hashes)
	if err != nil {
		return nil, fmt.Errorf("hashes of %s: %w", key, err)
	}
	s.hasHashes = true
	if stamp.After(s.stamp) {
		s.stamp = stamp
	}
	s.stamped = stamped && (s.stamped || !found)
	old, err := encObjSum(nil, s)
	if err != nil {
		return nil, fmt.Errorf("summary of %s %q: %w", kind, key, err)
	}
	s.legacy = valueContent(old, true)
	return s, nil
}

// newObjSum returns an empty summary, one of a slab allocated at once (a
// batch decodes a summary per object it touches).
func (a *applier) newObjSum() *objSum {
	if len(a.objSlab) == 0 {
		a.objSlab = make([]objSum, 64)
	}
	s := &a.objSlab[0]
	a.objSlab = a.objSlab[1:]
	s.names = a.store.names
	return s
}

func (a *applier) objects(b *intel.Batch) error {
	for _, r := range b.ObjectInfos {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		s, err := a.obj(r.Kind, r.Key)
		if err != nil {
			return err
		}
		s.info.Merge(r)
	}
	for _, r := range b.ObjectListings {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		s, err := a.obj(r.Kind, r.Key)
		if err != nil {
			return err
		}
		r.Kind, r.Key = 0, ""
		i, found := slices.BinarySearchFunc(s.listings, r, func(x, y intel.ObjectListing) int {
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
	}
	for _, r := range b.Whois {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		s, err := a.obj(intel.ObjectHost, r.Domain)
		if err != nil {
			return err
		}
		s.whois = &r
	}
	if err := a.fileHashes(b); err != nil {
		return err
	}
	if err := a.links(b); err != nil {
		return err
	}
	return a.writeObjects()
}

// fileHashes merges each FileHashes record into the summary of its
// SHA-256's file, and into the hash index under its MD5 and SHA-1
// (hashindex.go).
func (a *applier) fileHashes(b *intel.Batch) error {
	for _, r := range b.FileHashes {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		for i, h := range [...]string{r.MD5, r.SHA1, r.SHA256} {
			if h == "" {
				continue
			}
			var s *objSum
			if i < 2 {
				k, ok := hashIndexKey(a.o.ar.bytes(1+len(h)/2), h)
				if !ok {
					return fmt.Errorf("file hashes: %q is not a hash", h)
				}
				var err error
				if s, err = a.weakSummary(h, k); err != nil {
					return err
				}
				if s == nil {
					a.mergeOperand(k, indexRecord(a.o.ar.bytes(indexRecordSize(&r)), r, i, a.store.names, true))
					continue
				}
			} else {
				var err error
				if s, err = a.obj(intel.ObjectFile, h); err != nil {
					return err
				}
			}
			if !s.hasHashes {
				// Encoded as the summary of h writes it (h as hashOwn).
				s.hashes, s.hasHashes, s.hashesEnc = r, true, encodedHashes(&r, a.store.names, h)
				continue
			}
			s.hashes.Merge(r)
			s.hashesEnc = nil
		}
	}
	return nil
}

// encodedHashes is r encoded for a summary's hashes section.
func encodedHashes(r *intel.FileHashes, n *names, own string) []byte {
	e := enc{b: make([]byte, 0, 112+len(r.Source.Feed)+len(r.Source.File)), names: n, add: true, own: own}
	encFileHashes(&e, r)
	return e.b
}

// weakSummary returns the summary of the file of an MD5 or SHA-1 if the
// batch read it and the hash's key in the hash index (objectSummaryKeys),
// with the records the index held folded into its FileHashes and the key
// deleted; nil if not: the records then go to the index. The records in a
// summary are older than those under the index key, so moving them keeps
// their order. A change of the summary's FileHashes does not stamp the
// object (see writeObjects).
func (a *applier) weakSummary(h string, k []byte) (*objSum, error) {
	if a.indexReads == 0 {
		return nil, nil
	}
	v, found, ok := a.before(k)
	if !ok {
		return nil, nil
	}
	if _, _, ok := a.before(objectKey(intel.ObjectFile, h)); !ok {
		return nil, nil
	}
	s, err := a.obj(intel.ObjectFile, h)
	if err != nil || s.weak {
		return s, err
	}
	s.weak = true
	if found {
		if _, err := foldHashRecords(v, hashNumber(h), h, &s.hashes, a.store.names); err != nil {
			return nil, fmt.Errorf("hashes of %s: %w", h, err)
		}
		s.hasHashes, s.hashesEnc = true, nil
		a.del(k)
	}
	return s, nil
}

// links merges each link into its list and the counts of its owner's
// summary. It is upsert (liststages.go) for links, without its per-item
// closure and with its key buffers reused (the overlay copies keys): the
// sort key and value of a link share one allocation.
func (a *applier) links(b *intel.Batch) error {
	var owner, pk, ik []byte
	for i := range b.Links {
		if err := a.tick(); err != nil {
			return err
		}
		r := b.Links[i]
		r.Normalize()
		if inlineList(r.List) {
			s, err := a.obj(r.List.Owner(), r.Owner)
			if err != nil {
				return err
			}
			if a.inlineLink(s, r) {
				continue
			}
		}
		owner = linkOwner(owner[:0], r.List, r.Owner)
		pk = append(append(append(pk[:0], tPrimary, lLinks), owner...), r.Item...)
		item := pk[2+len(owner):]
		oldSort, found, err := a.get(pk)
		var oldVal []byte
		if err == nil && found {
			ik = append(append(append(append(ik[:0], tIndex, lLinks), owner...), oldSort...), item...)
			oldVal, found, err = a.get(ik)
		}
		if err != nil {
			return fmt.Errorf("link %d of %q: %w", r.List, r.Owner, err)
		}
		m := r
		var oldHits int64
		if found {
			m = intel.Link{List: r.List}
			if err := decLink(&dec{s: string(oldVal)}, &m); err != nil {
				return fmt.Errorf("link %d of %q: %w", r.List, r.Owner, err)
			}
			oldHits = m.Hits
			m.Merge(r)
		}
		buf := linkSortKey(make([]byte, 0, 64), &m)
		n := len(buf)
		buf = encLink(buf, &m)
		newSort, newVal := buf[:n:n], buf[n:]
		s, err := a.obj(r.List.Owner(), r.Owner)
		if err != nil {
			return err
		}
		switch {
		case found && bytes.Equal(oldSort, newSort):
			if !bytes.Equal(oldVal, newVal) {
				a.set(ik, newVal)
				a.markObject(s)
			}
		default:
			a.markObject(s)
			if found {
				a.del(ik)
			} else if isReportList(r.List) {
				a.set(reportObjKey(r.Item, r.List, r.Owner), nil)
			}
			a.set(pk, newSort)
			ik = append(append(append(append(ik[:0], tIndex, lLinks), owner...), newSort...), item...)
			a.set(ik, newVal)
		}
		c := s.countRef(r.List)
		if !found {
			c.Items++
		}
		c.Hits += m.Hits - oldHits
		c.MaxZone = countZone(c.MaxZone, m.Zone)
	}
	return nil
}

// countZone is the more severe of two zones, "" (no zone) yielding to
// any: the most severe zone of a list counts Green and Grey items too.
func countZone(a, b intel.Zone) intel.Zone {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return intel.MaxZone(a, b)
}

// sameSummary reports whether v, a summary's new value, holds what its
// value before the batch held in another encoding: in a store written by
// an older format (see storeFormat) a summary unchanged by a batch is not
// rewritten, nor its object stamped, because this build encodes it
// differently.
func (a *applier) sameSummary(s *objSum, v []byte) bool {
	if !a.store.olderValues {
		return false
	}
	old := objSum{key: s.key}
	if decObjSum(&dec{s: string(s.old), names: a.store.names, own: s.key[1:]}, &old) != nil {
		return false
	}
	old.stamp = s.stamp
	w, err := encObjSum(nil, &old)
	return err == nil && bytes.Equal(valueContent(w, true), valueContent(v, true))
}

// hashesOnly reports whether the summary s of an MD5 or SHA-1, encoded as
// v, differs from what it was before the batch in its FileHashes alone,
// which do not stamp the object (hashindex.go).
func (a *applier) hashesOnly(s *objSum, v []byte) bool {
	old := objSum{key: s.key, names: a.store.names}
	if s.found && decObjSum(&dec{s: string(s.old), names: a.store.names, own: s.key[1:]}, &old) != nil {
		return false
	}
	old.hashes, old.hasHashes, old.stamp = s.hashes, s.hasHashes, s.stamp
	w, err := encObjSum(nil, &old)
	return err == nil && bytes.Equal(valueContent(w, true), valueContent(v, true))
}

// writeObjects writes the summaries the batch touched, unless a summary
// is as it was. A summary is written with the stamp it had; a changed one
// gets the batch's stamp in stampObjects. A summary that took in the
// FileHashes of an F key (see loadObj) is compared with its content then,
// and written without the key.
func (a *applier) writeObjects() error {
	for k, s := range a.objs {
		key := append(append(a.o.ar.bytes(1+len(k)), tObject), k...)
		v, err := encObjSum(nil, s)
		if err != nil {
			return fmt.Errorf("summary of %q: %w", k[1:], err)
		}
		if s.legacy != nil {
			if !bytes.Equal(s.legacy, valueContent(v, true)) {
				a.set(key, v)
				s.wrote = v
				a.del(hashesKey(k[1:]))
				if !s.weak || !a.hashesOnly(s, v) {
					a.markObject(s)
				}
			}
			continue
		}
		if !s.found || !bytes.Equal(valueContent(s.old, s.stamped), valueContent(v, true)) && !a.sameSummary(s, v) {
			a.set(key, v)
			s.wrote = v
			if !s.weak || !a.hashesOnly(s, v) {
				a.markObject(s)
			}
		}
	}
	return nil
}
