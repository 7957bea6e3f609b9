package pebble

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// Head pages. For each of the four lists of an address that holds at
// least headMin items, one value holds
// the first headItems entries of the list's index in index order, so that
// a read of at most headItems items is one point read and one pass over
// one value instead of an iterator walk:
//
//	L list addr16 -> head
//
// A head is the format byte headFormat, a flags byte (headAll: the head
// holds every item of the list), the item count (uvarint), then per item
// its sort key (fixed length for the list), its item key and its value
// (each a uvarint length and the bytes): exactly what the index entry
// I list addr16 sort item -> value holds.
//
// Invariant: a list of at least headMin items has a head, a shorter one
// none; the head is a prefix of the list's index: its first n entries,
// n <= headItems, and headAll is set iff n is the list's length. A read of
// limit items is served from the head when limit <= n or headAll;
// otherwise (or without a head) it walks the index.
//
// Short lists have no head because most lists are short (one or two items
// after an import of feeds) and a head copies its items: heads for every
// list doubled the bytes of the lists written by an import, and made it
// 10-15 % slower, for reads that a walk of a few entries serves about as
// fast. The item count of each list is kept in the address summary
// (addrSum.lens), so Apply knows whether a list has a head without a read.
const (
	tHead      = 'L'
	headItems  = 100
	headMin    = 8 // lists shorter than this have no head
	headFormat = 1
	headAll    = 1 // flags bit
)

func headKey(list byte, owner []byte) []byte {
	k := make([]byte, 0, 2+len(owner))
	k = append(k, tHead, list)
	return append(k, owner...)
}

// listSortLen is the length of a list's sort key.
func listSortLen(list byte) int {
	if list == lMasks {
		return 1
	}
	return recencyKeyLen
}

// isAddrList reports whether list is one of the four lists of an address,
// the lists with heads.
func isAddrList(list byte) bool {
	return list == lHosted || list == lFiles || list == lRes || list == lMasks
}

// headItem is one entry of a head; the slices are not modified once set.
type headItem struct {
	sort, item, val []byte
}

// head is a decoded head, as the applier keeps it during a batch.
type head struct {
	all     bool
	items   []headItem
	changed bool
}

// compareEntry orders entries as their index keys: sort key, then item key
// (sort keys of a list have one length).
func compareEntry(sort, item []byte, e *headItem) int {
	if c := bytes.Compare(sort, e.sort); c != 0 {
		return c
	}
	return bytes.Compare(item, e.item)
}

// headReader reads a head value item by item without copying.
type headReader struct {
	s       []byte
	sortLen int
	left    int // items not read yet
}

// openHead checks a head's header; it returns the reader of its items and
// whether the head holds every item of the list.
func openHead(v []byte, sortLen int) (headReader, bool, error) {
	if len(v) < 3 || v[0] != headFormat || v[1]&^headAll != 0 {
		return headReader{}, false, errCorrupt
	}
	n, k := binary.Uvarint(v[2:])
	if k <= 0 || n > headItems {
		return headReader{}, false, errCorrupt
	}
	return headReader{s: v[2+k:], sortLen: sortLen, left: int(n)}, v[1]&headAll != 0, nil
}

// next returns the next item (views of the value); ok is false at the end.
func (r *headReader) next() (sort, item, val []byte, ok bool, err error) {
	if r.left == 0 {
		return nil, nil, nil, false, nil
	}
	s := r.s
	if len(s) < r.sortLen {
		return nil, nil, nil, false, errCorrupt
	}
	sort, s = s[:r.sortLen], s[r.sortLen:]
	field := func() []byte {
		if s == nil {
			return nil
		}
		n, k := binary.Uvarint(s)
		if k <= 0 || n > uint64(len(s)-k) {
			s = nil
			return nil
		}
		f := s[k : k+int(n)]
		s = s[k+int(n):]
		return f
	}
	item = field()
	val = field()
	if s == nil {
		return nil, nil, nil, false, errCorrupt
	}
	r.s = s
	r.left--
	return sort, item, val, true, nil
}

// decodeHead decodes a whole head value; the items are views of v.
func decodeHead(v []byte, sortLen int) (*head, error) {
	r, all, err := openHead(v, sortLen)
	if err != nil {
		return nil, err
	}
	h := &head{all: all, items: make([]headItem, 0, r.left+1)}
	for {
		sort, item, val, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if n := len(h.items); n > 0 && compareEntry(sort, item, &h.items[n-1]) <= 0 {
			return nil, errCorrupt
		}
		h.items = append(h.items, headItem{sort, item, val})
	}
	if len(r.s) != 0 {
		return nil, errCorrupt
	}
	return h, nil
}

// encodeHead encodes h.
func encodeHead(dst []byte, h *head) []byte {
	size := 3 + binary.MaxVarintLen64
	for i := range h.items {
		e := &h.items[i]
		size += len(e.sort) + len(e.item) + len(e.val) + 2*binary.MaxVarintLen64
	}
	dst = slices.Grow(dst, size)
	var flags byte
	if h.all {
		flags |= headAll
	}
	dst = append(dst, headFormat, flags)
	dst = binary.AppendUvarint(dst, uint64(len(h.items)))
	for i := range h.items {
		e := &h.items[i]
		dst = append(dst, e.sort...)
		dst = binary.AppendUvarint(dst, uint64(len(e.item)))
		dst = append(dst, e.item...)
		dst = binary.AppendUvarint(dst, uint64(len(e.val)))
		dst = append(dst, e.val...)
	}
	return dst
}

// listNo is the place of an address list in addrSum.lens.
func listNo(list byte) int {
	switch list {
	case lHosted:
		return 0
	case lFiles:
		return 1
	case lRes:
		return 2
	}
	return 3 // lMasks
}

// headOf returns the head of a list that had one before the batch,
// decoded once per batch.
func (a *applier) headOf(list byte, owner []byte) (*head, error) {
	var k [17]byte
	k[0] = list
	copy(k[1:], owner)
	if h := a.heads[k]; h != nil {
		return h, nil
	}
	v, found, err := a.get(headKey(list, owner))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("list %c of %s: no head: %w", list, netip.AddrFrom16([16]byte(owner)).Unmap(), errCorrupt)
	}
	h, err := decodeHead(v, listSortLen(list))
	if err != nil {
		return nil, err
	}
	a.heads[k] = h
	return h, nil
}

// headChange brings the head of a list up to date with one changed item:
// its index entry moved from oldSort (nil when the item is new) to
// newSort, or kept its sort key and got a new value. A list that had
// fewer than headMin items before the batch has no head to keep: its items
// are counted, and if it reaches headMin its head is made at the end of
// the batch (see crossedHeads).
func (a *applier) headChange(list byte, owner, oldSort, item, newSort, newVal []byte, isNew bool) error {
	sum, err := a.sum(netip.AddrFrom16([16]byte(owner)).Unmap())
	if err != nil {
		return err
	}
	i := listNo(list)
	if isNew {
		sum.lens[i]++
	}
	if sum.lens0[i] < headMin {
		if isNew && sum.lens[i] == headMin {
			a.crossed = append(a.crossed, headKey(list, owner))
		}
		return nil
	}
	h, err := a.headOf(list, owner)
	if err != nil {
		return err
	}
	return h.change(oldSort, item, newSort, newVal)
}

// crossedHeads writes the heads of the lists that reached headMin items in
// the batch, made from their entries before the batch (see scan) merged
// with the batch's writes of their index.
func (a *applier) crossedHeads() error {
	// The batch's index writes of the lists, sorted.
	crossed := make(map[string]bool, len(a.crossed))
	for _, hk := range a.crossed {
		crossed[string(indexPrefix(hk[1], hk[2:]))] = true
	}
	var writes []*slot
	const prefixLen = 2 + 16
	for i := range a.o.slots {
		w := &a.o.slots[i]
		if w.flags&fWritten != 0 && len(w.key) > prefixLen && w.key[0] == tIndex && crossed[w.key[:prefixLen]] {
			writes = append(writes, w)
		}
	}
	slices.SortFunc(writes, func(a, b *slot) int { return strings.Compare(a.key, b.key) })
	slices.SortFunc(a.crossed, bytes.Compare)
	for _, hk := range a.crossed {
		list, owner := hk[1], hk[2:]
		prefix := indexPrefix(list, owner)
		sl := listSortLen(list)
		w := writesUnder(writes, prefix)
		h := &head{all: true}
		add := func(k, v []byte) error {
			if len(k) < len(prefix)+sl {
				return errCorrupt
			}
			k = k[len(prefix):]
			if len(h.items) == headItems {
				h.all = false
				return nil
			}
			h.items = append(h.items, headItem{k[:sl], k[sl:], v})
			return nil
		}
		// Merge the entries before the batch with w, in key order; a key
		// the batch wrote is taken from the batch.
		err := a.scan(prefix, func(k, v []byte) error {
			for len(w) > 0 && w[0].key < string(k) {
				if w[0].flags&fDel == 0 {
					if err := add([]byte(w[0].key), w[0].v); err != nil {
						return err
					}
				}
				w = w[1:]
			}
			if len(w) > 0 && w[0].key == string(k) {
				return nil // the batch's write comes next
			}
			return add(bytes.Clone(k), bytes.Clone(v))
		})
		if err != nil {
			return err
		}
		for _, x := range w {
			if x.flags&fDel == 0 {
				if err := add([]byte(x.key), x.v); err != nil {
					return err
				}
			}
		}
		a.set(hk, encodeHead(nil, h))
	}
	return nil
}

// change applies one changed item to the head. The head holds the index
// entries up to its last one (bound); the item leaves the head and enters
// it again at its new position if that is not after bound, so the head
// stays a prefix of the index. An item that moves past bound while the
// head does not hold every item leaves the head, which then shrinks, and
// reads of more items than it holds walk the index. Under the merge rules
// (in package intel) that does not happen to recency sort keys:
// LastSeen and Hits of an item are maxima of what was merged, so an item
// only moves towards the front. Severity keys move forward too (the zone
// is the more severe one), except for a mask without a zone merged with a
// Green one: an empty zone ranks like Grey, above Green, so that mask
// moves back and may leave its head.
func (h *head) change(oldSort, item, newSort, newVal []byte) error {
	var bound headItem
	if n := len(h.items); n > 0 {
		bound = h.items[n-1]
	}
	if oldSort != nil {
		i, found := slices.BinarySearchFunc(h.items, headItem{sort: oldSort, item: item}, cmpHeadItem)
		if found {
			h.items = slices.Delete(h.items, i, i+1)
			h.changed = true
		}
	}
	if !h.all && (bound.sort == nil || compareEntry(newSort, item, &bound) > 0) {
		return nil
	}
	i, found := slices.BinarySearchFunc(h.items, headItem{sort: newSort, item: item}, cmpHeadItem)
	if found {
		return errCorrupt // an item key twice in one list
	}
	h.items = slices.Insert(h.items, i, headItem{bytes.Clone(newSort), bytes.Clone(item), newVal})
	if len(h.items) > headItems {
		h.items = h.items[:headItems]
		h.all = false
	}
	h.changed = true
	return nil
}

// writeHeads writes every head the batch changed, once.
func (a *applier) writeHeads() {
	for k, h := range a.heads {
		if h.changed {
			a.set(headKey(k[0], k[1:]), encodeHead(nil, h))
		}
	}
}

// openHeadList opens a read of at most limit items of a list from its
// head with a point read; ok is false when the head cannot serve the read
// (it holds fewer than limit items but not every item): the caller then
// walks the index. The caller closes c (nil when there is nothing to
// close) after reading l, whose items are views of the value.
func openHeadList(r reader, list byte, owner []byte, limit int) (l listIter, c io.Closer, ok bool, err error) {
	if limit <= 0 {
		return listIter{}, nil, true, nil
	}
	var kb [2 + 16]byte
	v, c, err := r.Get(append(append(kb[:0], tHead, list), owner...))
	if errors.Is(err, pebble.ErrNotFound) {
		return listIter{}, nil, false, nil // a short list: no head
	}
	if err != nil {
		return listIter{}, nil, false, err
	}
	if l, ok, err = headListOf(v, list, limit); err != nil || !ok {
		c.Close()
		return listIter{}, nil, false, err
	}
	return l, c, true, nil
}

// seekHeadList is openHeadList with it, an iterator bounded to the head
// table: the four heads of an address, read in key order (lFiles, lMasks,
// lRes, lHosted), are four seeks forward on one iterator, which measured
// faster than four point reads. l's items are views of the iterator's
// memory, valid until it moves.
func seekHeadList(it *pebble.Iterator, list byte, owner []byte, limit int) (l listIter, ok bool, err error) {
	if limit <= 0 {
		return listIter{}, true, nil
	}
	var kb [2 + 16]byte
	k := append(append(kb[:0], tHead, list), owner...)
	if !it.SeekGE(k) || !bytes.Equal(it.Key(), k) {
		if err := it.Error(); err != nil {
			return listIter{}, false, err
		}
		return listIter{}, false, nil // a short list: no head
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return listIter{}, false, err
	}
	return headListOf(v, list, limit)
}

// headBounds are the bounds of the head table.
var headLower, headUpper = []byte{tHead}, []byte{tHead + 1}

// headListOf is the read of at most limit items from the head v of list;
// ok is false if the head cannot serve it.
func headListOf(v []byte, list byte, limit int) (listIter, bool, error) {
	hr, all, err := openHead(v, listSortLen(list))
	if err != nil {
		return listIter{}, false, err
	}
	if !all && hr.left < limit {
		return listIter{}, false, nil
	}
	return listIter{head: hr, inHead: true, limit: limit}, true, nil
}

func cmpHeadItem(e, t headItem) int { return -compareEntry(t.sort, t.item, &e) }
