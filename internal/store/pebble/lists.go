package pebble

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var (
	_ store.ListsReader        = (*Store)(nil)
	_ store.SummaryListsReader = (*Store)(nil)
)

// AddressWithLists implements store.SummaryListsReader: the summary's item
// counts (addrSum.lens, which Apply keeps exact: the lists' heads depend
// on them) say which lists are empty, and those are not read.
func (s *Store) AddressWithLists(ctx context.Context, ip netip.Addr, lim store.ListLimits, dst *store.AddressLists) (intel.AddressSummary, error) {
	sum, lens, err := s.address(ctx, ip)
	if err != nil {
		return intel.AddressSummary{}, err
	}
	for i, l := range []*int{&lim.HostedURLs, &lim.Files, &lim.Resolutions, &lim.Masks} {
		if lens[listNo(addrLists[i])] == 0 {
			*l = 0
		}
	}
	return sum, s.AddressLists(ctx, ip, lim, dst)
}

// addrLists are the four lists of an address in the order of ListLimits'
// fields.
var addrLists = [4]byte{lHosted, lFiles, lRes, lMasks}

// AddressLists implements store.ListsReader: the four lists of the address
// read with one iterator, from their heads (see heads.go) or, for a list
// whose head cannot serve the limit, from its index, into dst's slices;
// the items' strings and small lists are decoded into memory kept in
// dst.Scratch (a *listScratch) and reused by the next read into dst.
func (s *Store) AddressLists(ctx context.Context, ip netip.Addr, lim store.ListLimits, dst *store.AddressLists) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ip = intel.NormIP(ip)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
	sc, _ := dst.Scratch.(*listScratch)
	if sc == nil {
		sc = &listScratch{}
		dst.Scratch = sc
	}
	sc.reset()
	dst.Files, dst.Masks, dst.Resolutions, dst.HostedURLs = dst.Files[:0], dst.Masks[:0], dst.Resolutions[:0], dst.HostedURLs[:0]
	if lim.Files <= 0 && lim.Masks <= 0 && lim.Resolutions <= 0 && lim.HostedURLs <= 0 {
		return nil
	}
	// One iterator: each list from its head when the head can serve the
	// limit (a seek in the head table, in key order), else from the index
	// (the iterator re-bounded to the list).
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: headLower, UpperBound: headUpper})
	if err != nil {
		return fmt.Errorf("lists of %s: %w", ip, err)
	}
	defer it.Close()
	onHeads := true
	open := func(list byte, limit int) (listIter, error) {
		if !onHeads {
			it.SetBounds(headLower, headUpper)
			onHeads = true
		}
		l, ok, err := seekHeadList(it, list, o, limit)
		if err == nil && !ok {
			onHeads = false
			l, err = listOn(it, list, o, listSortLen(list), limit)
		}
		if err != nil {
			return listIter{}, fmt.Errorf("lists of %s: %w", ip, err)
		}
		return l, nil
	}
	// The four lists are read by four blocks of one shape, not a generic
	// helper taking the reader as a function value: through that indirect
	// call l escapes, and every lookup would allocate four list iterators.
	var l listIter
	if lim.Files > 0 {
		if l, err = open(lFiles, lim.Files); err != nil {
			return err
		}
		if dst.Files, err = readFiles(&l, ip, lim.Files, dst.Files, sc); err != nil {
			return err
		}
	}
	if lim.Masks > 0 {
		if l, err = open(lMasks, lim.Masks); err != nil {
			return err
		}
		if dst.Masks, err = readMasks(&l, ip, lim.Masks, dst.Masks, sc); err != nil {
			return err
		}
	}
	if lim.Resolutions > 0 {
		if l, err = open(lRes, lim.Resolutions); err != nil {
			return err
		}
		if dst.Resolutions, err = readResolutions(&l, ip, lim.Resolutions, dst.Resolutions, sc); err != nil {
			return err
		}
	}
	if lim.HostedURLs > 0 {
		if l, err = open(lHosted, lim.HostedURLs); err != nil {
			return err
		}
		dst.HostedURLs, err = readHosted(&l, ip, lim.HostedURLs, dst.HostedURLs, sc)
	}
	return err
}

// listScratch is the memory AddressLists decodes strings, category lists
// and string lists into, kept in store.AddressLists.Scratch between reads.
// After a read it is sized for that read, so that the next read of a
// similar address allocates nothing.
type listScratch struct {
	bytes []byte
	cats  []intel.Category
	strs  []string
	need  int // bytes the last read copied
}

// reset makes the memory free for a new read, growing the byte buffer to
// what the last read needed.
func (sc *listScratch) reset() {
	if cap(sc.bytes) < sc.need {
		sc.bytes = make([]byte, 0, sc.need+sc.need/4)
	}
	sc.bytes, sc.cats, sc.strs, sc.need = sc.bytes[:0], sc.cats[:0], sc.strs[:0], 0
}

// lend hands the free memory to a decoder (nothing when sc is nil).
func (sc *listScratch) lend(d *itemDec) {
	if sc == nil {
		return
	}
	d.mem.b, d.catPool, d.mem.strs = sc.bytes, sc.cats, sc.strs
	d.mem.n = 0
}

// keep takes the memory back from the decoder, after what it used.
func (sc *listScratch) keep(d *itemDec) {
	if sc == nil {
		return
	}
	sc.bytes, sc.cats, sc.strs = d.mem.b, d.catPool, d.mem.strs
	sc.need += d.mem.n
}
