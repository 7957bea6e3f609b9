package pebble

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/merge"
)

var _ store.ListsReader = (*Store)(nil)

// AddressLists implements store.ListsReader: the four lists of the address
// read with one iterator, re-bounded from list to list, into dst's slices;
// the items' strings and small lists are decoded into memory kept in
// dst.Scratch (a *listScratch) and reused by the next read into dst.
func (s *Store) AddressLists(ctx context.Context, ip netip.Addr, lim store.ListLimits, dst *store.AddressLists) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ip = merge.NormIP(ip)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
	sc, _ := dst.Scratch.(*listScratch)
	if sc == nil {
		sc = &listScratch{}
		dst.Scratch = sc
	}
	sc.reset()
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{})
	if err != nil {
		return fmt.Errorf("lists of %s: %w", ip, err)
	}
	defer it.Close()
	open := func(list byte, sortLen, limit int) (*listIter, error) {
		l, err := listOn(it, list, o, sortLen, limit)
		if err != nil {
			return nil, fmt.Errorf("lists of %s: %w", ip, err)
		}
		return &l, nil
	}
	var l *listIter
	if l, err = open(lHosted, recencyKeyLen, lim.HostedURLs); err != nil {
		return err
	}
	if dst.HostedURLs, err = readHosted(l, ip, lim.HostedURLs, dst.HostedURLs, sc); err != nil {
		return err
	}
	if l, err = open(lFiles, recencyKeyLen, lim.Files); err != nil {
		return err
	}
	if dst.Files, err = readFiles(l, ip, lim.Files, dst.Files, sc); err != nil {
		return err
	}
	if l, err = open(lRes, recencyKeyLen, lim.Resolutions); err != nil {
		return err
	}
	if dst.Resolutions, err = readResolutions(l, ip, lim.Resolutions, dst.Resolutions, sc); err != nil {
		return err
	}
	if l, err = open(lMasks, 1, lim.Masks); err != nil {
		return err
	}
	if dst.Masks, err = readMasks(l, ip, lim.Masks, dst.Masks, sc); err != nil {
		return err
	}
	return nil
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
	d.ar.b, d.catPool, d.strPool = sc.bytes, sc.cats, sc.strs
	d.ar.n = 0
}

// keep takes the memory back from the decoder, after what it used.
func (sc *listScratch) keep(d *itemDec) {
	if sc == nil {
		return
	}
	sc.bytes, sc.cats, sc.strs = d.ar.b, d.catPool, d.strPool
	sc.need += d.ar.n
}
