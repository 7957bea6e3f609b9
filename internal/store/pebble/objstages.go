package pebble

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// The objects stage of Apply: ObjectInfo, ObjectListing, DomainWhois,
// FileHashes and Link records. Summaries of the objects the batch touches
// are kept decoded in applier.objs and written once at the end of the
// stage; every link is written together with its owner's summary (whose
// list counts it changes), so the link keys of an object without a summary
// before the batch are known to be absent (see knownAbsent).

// objectSummaryKeys appends the keys of the first round of the planned
// reads that the object records read: the summaries of their objects and
// the FileHashes of their hashes.
func objectSummaryKeys(keys [][]byte, b *intel.Batch) [][]byte {
	for i := range b.ObjectInfos {
		keys = append(keys, objectKey(b.ObjectInfos[i].Kind, b.ObjectInfos[i].Key))
	}
	for i := range b.ObjectListings {
		keys = append(keys, objectKey(b.ObjectListings[i].Kind, b.ObjectListings[i].Key))
	}
	for i := range b.Whois {
		keys = append(keys, objectKey(intel.ObjectHost, b.Whois[i].Domain))
	}
	for i := range b.Links {
		l := &b.Links[i]
		if i > 0 && l.Owner == b.Links[i-1].Owner && l.List.Owner() == b.Links[i-1].List.Owner() {
			continue // fetch drops duplicates too; this spares the key
		}
		keys = append(keys, objectKey(l.List.Owner(), l.Owner))
	}
	for i := range b.FileHashes {
		r := &b.FileHashes[i]
		for _, h := range []string{r.MD5, r.SHA1, r.SHA256} {
			if h != "" {
				h = strings.ToUpper(h)
				// The summary too: it may hold the hash's change stamp.
				keys = append(keys, hashesKey(h), objectKey(intel.ObjectFile, h))
			}
		}
	}
	return keys
}

// links adds the primary keys of the batch's links to the second round.
func (p *plan) links(b *intel.Batch) {
	var owner []byte
	for i := range b.Links {
		r := &b.Links[i]
		owner = linkOwner(owner[:0], r.List, r.Owner)
		pk := primaryKey(lLinks, owner, []byte(r.Item))
		p.key(pk)
		p.items = append(p.items, itemRef{pk, len(owner)})
	}
}

// newObject reports whether the link primary key k (after its table and
// list bytes: LinkList, owner, 0x00, item) is known to be absent: its
// object had no summary before the batch, or its summary counts no item
// of the link's list (every link is written with its owner's summary,
// which counts it). Only a summary the batch has read is looked at.
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
	if _, ok := a.newObjs[string(a.kbuf[1:])]; ok {
		return true
	}
	s := a.objs[string(a.kbuf[1:])]
	if s == nil {
		v, found, ok := a.before(a.kbuf)
		if !ok || !found {
			return false
		}
		s = a.newObjSum()
		if decObjSum(&dec{s: string(v)}, s) != nil {
			return false
		}
		if a.objs == nil {
			a.objs = map[string]*objSum{}
		}
		a.objs[string(a.kbuf[1:])] = s
	}
	return s.lists[list].Items == 0
}

// obj returns the summary of an object as the batch sees it, decoded once
// per batch.
func (a *applier) obj(kind intel.ObjectKind, key string) (*objSum, error) {
	a.obuf = append(append(a.obuf[:0], byte(kind)), key...)
	if s := a.objs[string(a.obuf)]; s != nil {
		return s, nil
	}
	k := string(a.obuf)
	s := a.newObjSum()
	if _, err := getFn(a, objectKey(kind, key), func(v []byte) error { return decObjSum(&dec{s: string(v)}, s) }); err != nil {
		return nil, fmt.Errorf("summary of %s %q: %w", kind, key, err)
	}
	if a.objs == nil {
		a.objs = map[string]*objSum{}
	}
	a.objs[k] = s
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
		s.whois = r
	}
	if err := a.fileHashes(b); err != nil {
		return err
	}
	if err := a.links(b); err != nil {
		return err
	}
	return a.writeObjects()
}

// fileHashes stores each FileHashes record under each of its hashes,
// merged with what is stored there.
func (a *applier) fileHashes(b *intel.Batch) error {
	for _, r := range b.FileHashes {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		for _, h := range r.Hashes() {
			k := hashesKey(h)
			old, found, err := a.get(k)
			if err != nil {
				return fmt.Errorf("hashes of %s: %w", h, err)
			}
			m := r
			var stamp time.Time
			stamped := false
			if found {
				m = intel.FileHashes{}
				if stamp, stamped, err = decHashesStamp(&dec{s: string(old)}, &m); err != nil {
					return fmt.Errorf("hashes of %s: %w", h, err)
				}
				m.Merge(r)
			}
			// Written with the stamp it had; a changed value gets the
			// batch's stamp in stampObjects.
			if v := encHashes(nil, &m, stamp); !found || !bytes.Equal(valueContent(old, stamped), valueContent(v, true)) {
				a.set(k, v)
				a.markObject(string(byte(intel.ObjectFile)) + h)
			}
		}
	}
	return nil
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
		switch {
		case found && bytes.Equal(oldSort, newSort):
			if !bytes.Equal(oldVal, newVal) {
				a.set(ik, newVal)
				a.markList(lLinks, owner)
			}
		default:
			a.markList(lLinks, owner)
			if found {
				a.del(ik)
			} else if isReportList(r.List) {
				a.set(reportObjKey(r.Item, r.List, r.Owner), nil)
			}
			a.set(pk, newSort)
			ik = append(append(append(append(ik[:0], tIndex, lLinks), owner...), newSort...), item...)
			a.set(ik, newVal)
		}
		s, err := a.obj(r.List.Owner(), r.Owner)
		if err != nil {
			return err
		}
		c := &s.lists[r.List]
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

// writeObjects writes the summaries the batch touched, unless a summary
// is as it was. A summary is written with the stamp it had; a changed one
// gets the batch's stamp in stampObjects.
func (a *applier) writeObjects() error {
	for k, s := range a.objs {
		key := append([]byte{tObject}, k...)
		v, err := encObjSum(nil, s)
		if err != nil {
			return fmt.Errorf("summary of %q: %w", k[1:], err)
		}
		old, found, _ := a.before(key)
		if !found || !bytes.Equal(valueContent(old, s.stamped), valueContent(v, true)) {
			a.set(key, v)
			a.markObject(k)
		}
	}
	return nil
}
