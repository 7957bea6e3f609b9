package pebble

import (
	"slices"
	"strings"
)

// overlay is what one Apply knows of the keys it touched: the value each
// had before the batch, when read, and the batch's own write, if any. One
// map from key to a slot of a slice, so that a read of the batch's view
// is one lookup, and the writes are collected from the slice, not the map.
type overlay struct {
	idx   map[string]int32
	slots []slot
	nw    int // written slots
	// ar holds the slots' keys, and the batch's keys and values that its
	// stages cut from it (batcharena.go).
	ar batchArena
}

type slot struct {
	key   string
	read  []byte // the value before the batch, when fRead and fFound
	v     []byte // the batch's write, when fWritten and not fDel
	flags uint8
}

const (
	fRead    = 1 << iota // the value before the batch is known
	fFound               // the key existed before the batch
	fWritten             // the batch wrote the key
	fDel                 // the batch's write deletes the key
	fMerge               // the batch's write is a merge operand (hashindex.go)
)

func newOverlay(n int) *overlay {
	return &overlay{idx: make(map[string]int32, n), slots: make([]slot, 0, n)}
}

// lookup returns the slot of key, if the batch has one.
func (o *overlay) lookup(key []byte) (*slot, bool) {
	i, ok := o.idx[string(key)]
	if !ok {
		return nil, false
	}
	return &o.slots[i], true
}

// written returns the batch's write of key: its value (or the operand it
// merges into the key's value, merged), whether it deletes the key, and
// whether the batch wrote the key at all.
func (o *overlay) written(key string) (v []byte, del, merged, ok bool) {
	i, found := o.idx[key]
	if !found || o.slots[i].flags&fWritten == 0 {
		return nil, false, false, false
	}
	s := &o.slots[i]
	return s.v, s.flags&fDel != 0, s.flags&fMerge != 0, true
}

// recordRead records the value of key before the batch (found or not).
// The key must have no slot yet.
func (o *overlay) recordRead(key []byte, v []byte, found bool) {
	f := uint8(fRead)
	if found {
		f |= fFound
	}
	k := o.ar.str(key) // one copy for the map and the slot
	o.idx[k] = int32(len(o.slots))
	o.slots = append(o.slots, slot{key: k, read: v, flags: f})
}

// write records the batch's write of key: v, or a deletion.
func (o *overlay) write(key []byte, v []byte, del bool) {
	f := uint8(fWritten) // a merge operand written before is replaced
	if del {
		f |= fDel
		v = nil
	}
	if i, ok := o.idx[string(key)]; ok {
		s := &o.slots[i]
		if s.flags&fWritten == 0 {
			o.nw++
		}
		s.v = v
		s.flags = s.flags&(fRead|fFound) | f
		return
	}
	o.nw++
	k := o.ar.str(key)
	o.idx[k] = int32(len(o.slots))
	o.slots = append(o.slots, slot{key: k, v: v, flags: f})
}

// merge records the batch's merge of operand into key: one operand per key
// and batch, the concatenation of the batch's operands (the merge of K
// keys concatenates, see hashindex.go). After a write or deletion of the
// key in the batch, the write becomes the value merged. The batch keeps
// operand (its capacity cut, so that a later merge copies it).
func (o *overlay) merge(key []byte, operand []byte) {
	operand = operand[:len(operand):len(operand)]
	if i, ok := o.idx[string(key)]; ok {
		s := &o.slots[i]
		switch {
		case s.flags&fWritten == 0:
			o.nw++
			s.v = operand
			s.flags |= fWritten | fMerge
		case s.flags&fDel != 0:
			s.v = operand
			s.flags &^= fDel
		default:
			s.v = append(s.v[:len(s.v):len(s.v)], operand...)
		}
		return
	}
	o.nw++
	k := o.ar.str(key)
	o.idx[k] = int32(len(o.slots))
	o.slots = append(o.slots, slot{key: k, v: operand, flags: fWritten | fMerge})
}

// eachWrite calls fn with the key of every written slot.
func (o *overlay) eachWrite(fn func(key string)) {
	for i := range o.slots {
		if o.slots[i].flags&fWritten != 0 {
			fn(o.slots[i].key)
		}
	}
}

// sortedWrites returns the written slots, in key order.
func (o *overlay) sortedWrites() []*slot {
	out := make([]*slot, 0, o.nw)
	for i := range o.slots {
		if o.slots[i].flags&fWritten != 0 {
			out = append(out, &o.slots[i])
		}
	}
	slices.SortFunc(out, func(a, b *slot) int { return strings.Compare(a.key, b.key) })
	return out
}
