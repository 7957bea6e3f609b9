package pebble

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
)

// Object implements store.Objects: one point read of the object's
// summary.
func (s *Store) Object(ctx context.Context, kind intel.ObjectKind, key string) (intel.ObjectSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.ObjectSummary{}, err
	}
	out := intel.ObjectSummary{Kind: kind, Key: key, Info: intel.ObjectInfo{Kind: kind, Key: key}}
	var sum objSum
	found, err := getFn(s.db, objectKey(kind, key), func(v []byte) error { return decObjSum(&dec{s: string(v), names: s.names, own: key}, &sum) })
	if err != nil {
		return intel.ObjectSummary{}, fmt.Errorf("%s %q: %w", kind, key, err)
	}
	if !found {
		return out, nil
	}
	out.Info = sum.info
	out.Info.Kind, out.Info.Key = kind, key
	out.Listings = sum.listings
	for i := range out.Listings {
		out.Listings[i].Kind, out.Listings[i].Key = kind, key
	}
	if sum.whois != nil {
		out.Whois = *sum.whois
	}
	out.Lists = sum.counts()
	return out, nil
}

// Links implements store.Objects: a scan of at most limit entries of the
// list's index, which holds the items of one owner in the list's order.
// A list that may be held inline (inline.go) is first looked for in the
// owner's summary, one point read: it holds the list's items, or counts
// none (every link is written with its owner's summary), or the list is
// in the index.
func (s *Store) Links(ctx context.Context, list intel.LinkList, owner string, limit int) ([]intel.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !list.Valid() || limit <= 0 {
		return nil, nil
	}
	if inlineList(list) {
		var sum objSum
		found, err := getFn(s.db, objectKey(list.Owner(), owner), func(v []byte) error {
			return decObjSumFields(&dec{s: string(v), names: s.names, own: owner}, &sum, false)
		})
		if err != nil {
			return nil, fmt.Errorf("list %d of %q: %w", list, owner, err)
		}
		if found {
			if links := sum.inlined(list); links != nil {
				for i := range links {
					links[i].Owner = owner
				}
				return links[:min(limit, len(links))], nil
			}
			if sum.count(list).Items == 0 {
				return nil, nil
			}
		}
	}
	it, err := s.db.NewIterWithContext(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("list %d of %q: %w", list, owner, err)
	}
	defer it.Close()
	l, err := listOn(it, lLinks, linkOwner(nil, list, owner), linkSortLen(list), limit)
	if err != nil {
		return nil, fmt.Errorf("list %d of %q: %w", list, owner, err)
	}
	return readLinks(&l, list, owner, limit)
}

// readLinks decodes the scan l of the index of list of owner and closes
// l.
func readLinks(l *listIter, list intel.LinkList, owner string, limit int) ([]intel.Link, error) {
	var out []intel.Link
	d := itemDec{limit: limit}
	for {
		item, val, ok := l.next()
		if !ok {
			break
		}
		out = grow(out, limit)
		k := &out[len(out)-1]
		k.List, k.Owner = list, owner
		k.Item = d.item(item, val)
		if decLink(&d.dec, k); d.err != nil {
			l.fail(errCorrupt)
		}
	}
	if err := l.close(); err != nil {
		return nil, fmt.Errorf("list %d of %q: %w", list, owner, err)
	}
	return out, nil
}

// inlinedLinks reads the items of list its owner's summary holds (none
// when the list is in keys), with it re-bounded to the summary.
func inlinedLinks(it *pebble.Iterator, list intel.LinkList, owner string, names *names) ([]intel.Link, error) {
	key := objectKey(list.Owner(), owner)
	it.SetBounds(key, append(key[:len(key):len(key)], 0))
	if !it.First() {
		return nil, it.Error()
	}
	var sum objSum
	if err := decObjSumFields(&dec{s: string(it.Value()), names: names, own: owner}, &sum, false); err != nil {
		return nil, fmt.Errorf("list %d of %q: %w", list, owner, err)
	}
	links := sum.inlined(list)
	for i := range links {
		links[i].Owner = owner
	}
	return links, nil
}

// FileHashes implements store.Objects: one point read of the summary of
// the file of the hash, which holds the records that named it in a store
// written before format 9 and those that name a SHA-256; in a store
// written before summaries held them, one more of the hash's F key if the
// summary does not. Of an MD5 or SHA-1, one more of its key in the hash
// index, whose records came after those (hashindex.go).
func (s *Store) FileHashes(ctx context.Context, hash string) (intel.FileHashes, bool, error) {
	if err := ctx.Err(); err != nil {
		return intel.FileHashes{}, false, err
	}
	h, found, err := s.summaryHashes(hash)
	if err != nil || len(hash) == 64 {
		return h, found, err
	}
	k, ok := hashIndexKey(make([]byte, 0, 1+len(hash)/2), hash)
	if !ok {
		return h, found, nil
	}
	var n int
	if _, err := getFn(s.db, k, func(v []byte) (err error) {
		n, err = foldHashRecords(v, hashNumber(hash), hash, &h, s.names)
		return err
	}); err != nil {
		return intel.FileHashes{}, false, fmt.Errorf("hashes of %s: %w", hash, err)
	}
	return h, found || n > 0, nil
}

// summaryHashes returns the FileHashes the summary of the file of hash
// holds, or those under its F key.
func (s *Store) summaryHashes(hash string) (intel.FileHashes, bool, error) {
	var sum objSum
	found, err := getFn(s.db, objectKey(intel.ObjectFile, hash), func(v []byte) error {
		return decObjSumFields(&dec{s: string(v), names: s.names, own: hash}, &sum, false)
	})
	if err != nil {
		return intel.FileHashes{}, false, fmt.Errorf("hashes of %s: %w", hash, err)
	}
	if found && sum.hasHashes || !s.hashKeys.Load() {
		return sum.hashes, sum.hasHashes, nil
	}
	var h intel.FileHashes
	found, err = getFn(s.db, hashesKey(hash), func(v []byte) error { return decHashes(&dec{s: string(v)}, &h) })
	if err != nil {
		return intel.FileHashes{}, false, fmt.Errorf("hashes of %s: %w", hash, err)
	}
	return h, found, nil
}
