package pebble

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/merge"
)

var _ store.ListsReader = (*Store)(nil)

// AddressLists implements store.ListsReader: the four lists of the address
// read with one iterator, re-bounded from list to list, into dst's slices.
func (s *Store) AddressLists(ctx context.Context, ip netip.Addr, lim store.ListLimits, dst *store.AddressLists) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ip = merge.NormIP(ip)
	var owner [16]byte
	o := addrOwner(owner[:0], ip)
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
	if dst.HostedURLs, err = readHosted(l, ip, lim.HostedURLs, dst.HostedURLs); err != nil {
		return err
	}
	if l, err = open(lFiles, recencyKeyLen, lim.Files); err != nil {
		return err
	}
	if dst.Files, err = readFiles(l, ip, lim.Files, dst.Files); err != nil {
		return err
	}
	if l, err = open(lRes, recencyKeyLen, lim.Resolutions); err != nil {
		return err
	}
	if dst.Resolutions, err = readResolutions(l, ip, lim.Resolutions, dst.Resolutions); err != nil {
		return err
	}
	if l, err = open(lMasks, 1, lim.Masks); err != nil {
		return err
	}
	if dst.Masks, err = readMasks(l, ip, lim.Masks, dst.Masks); err != nil {
		return err
	}
	return nil
}
