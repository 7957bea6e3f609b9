package pebble

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

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
		keys = append(keys, objectKey(b.Links[i].List.Owner(), b.Links[i].Owner))
	}
	for i := range b.FileHashes {
		r := &b.FileHashes[i]
		for _, h := range []string{r.MD5, r.SHA1, r.SHA256} {
			if h != "" {
				keys = append(keys, hashesKey(strings.ToUpper(h)))
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
// list bytes: LinkList, owner, 0x00, item) belongs to an object that had
// no summary before the batch.
func (a *applier) newObject(k []byte) bool {
	if len(k) < 2 || len(a.newObjs) == 0 {
		return false
	}
	i := bytes.IndexByte(k[1:], 0)
	if i < 0 {
		return false
	}
	a.kbuf = append(append(a.kbuf[:0], byte(intel.LinkList(k[0]).Owner())), k[1:1+i]...)
	_, ok := a.newObjs[string(a.kbuf)]
	return ok
}

// obj returns the summary of an object as the batch sees it, decoded once
// per batch.
func (a *applier) obj(kind intel.ObjectKind, key string) (*objSum, error) {
	k := string(objectKey(kind, key)[1:])
	if s := a.objs[k]; s != nil {
		return s, nil
	}
	s := &objSum{}
	if _, err := getFn(a, objectKey(kind, key), func(v []byte) error { return decObjSum(&dec{s: string(v)}, s) }); err != nil {
		return nil, fmt.Errorf("summary of %s %q: %w", kind, key, err)
	}
	if a.objs == nil {
		a.objs = map[string]*objSum{}
	}
	a.objs[k] = s
	return s, nil
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
			if found {
				m = intel.FileHashes{}
				if err := decHashes(&dec{s: string(old)}, &m); err != nil {
					return fmt.Errorf("hashes of %s: %w", h, err)
				}
				m.Merge(r)
			}
			if v := encHashes(nil, &m); !found || !bytes.Equal(old, v) {
				a.set(k, v)
				a.markObject(string(byte(intel.ObjectFile)) + h)
			}
		}
	}
	return nil
}

// links merges each link into its list and the counts of its owner's
// summary.
func (a *applier) links(b *intel.Batch) error {
	var owner []byte
	for _, r := range b.Links {
		if err := a.tick(); err != nil {
			return err
		}
		r.Normalize()
		owner = linkOwner(owner[:0], r.List, r.Owner)
		var m intel.Link
		var oldHits int64
		isNew := false
		_, _, err := a.upsert(lLinks, owner, []byte(r.Item), func(old []byte) ([]byte, []byte, error) {
			if old == nil {
				m, isNew = r, true
			} else {
				m = intel.Link{List: r.List}
				if err := decLink(&dec{s: string(old)}, &m); err != nil {
					return nil, nil, err
				}
				oldHits = m.Hits
				m.Merge(r)
			}
			return linkSortKey(nil, &m), encLink(nil, &m), nil
		})
		if err != nil {
			return fmt.Errorf("link %d of %q: %w", r.List, r.Owner, err)
		}
		s, err := a.obj(r.List.Owner(), r.Owner)
		if err != nil {
			return err
		}
		c := &s.lists[r.List]
		if isNew {
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
// is as it was.
func (a *applier) writeObjects() error {
	for k, s := range a.objs {
		key := append([]byte{tObject}, k...)
		v, err := encObjSum(nil, s)
		if err != nil {
			return fmt.Errorf("summary of %q: %w", k[1:], err)
		}
		if !a.sameValue(key, v) {
			a.set(key, v)
			a.markObject(k)
		}
	}
	return nil
}
