package postgres

import (
	"context"
	"net/netip"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/store"
)

var _ store.ListsReader = (*Store)(nil)

// AddressLists implements store.ListsReader: the list queries of the
// address (those with a positive limit) sent as one batch, one round trip
// instead of four, each appended to dst's slices. Items are freshly
// allocated; dst.Scratch is not used.
func (s *Store) AddressLists(ctx context.Context, ip netip.Addr, lim store.ListLimits, dst *store.AddressLists) error {
	dst.HostedURLs, dst.Files, dst.Resolutions, dst.Masks = dst.HostedURLs[:0], dst.Files[:0], dst.Resolutions[:0], dst.Masks[:0]
	if err := ctx.Err(); err != nil {
		return err
	}
	ip = normIP(ip)
	if !ip.IsValid() {
		return nil
	}
	var b pgx.Batch
	var reads []func(pgx.Rows) error
	if lim.HostedURLs > 0 {
		b.Queue(hostedSQL, ip, lim.HostedURLs)
		reads = append(reads, func(rows pgx.Rows) (err error) {
			dst.HostedURLs, err = pgx.AppendRows(dst.HostedURLs, rows, scanHosted(ip))
			return err
		})
	}
	if lim.Files > 0 {
		b.Queue(filesSQL, ip, lim.Files)
		reads = append(reads, func(rows pgx.Rows) (err error) {
			dst.Files, err = pgx.AppendRows(dst.Files, rows, scanFile(&ip))
			return err
		})
	}
	if lim.Resolutions > 0 {
		b.Queue(resolutionsSQL, ip, lim.Resolutions)
		reads = append(reads, func(rows pgx.Rows) (err error) {
			dst.Resolutions, err = pgx.AppendRows(dst.Resolutions, rows, scanResolution(ip))
			return err
		})
	}
	if lim.Masks > 0 {
		b.Queue(masksSQL, ip, lim.Masks)
		reads = append(reads, func(rows pgx.Rows) (err error) {
			dst.Masks, err = pgx.AppendRows(dst.Masks, rows, scanMask(ip))
			return err
		})
	}
	if len(reads) == 0 {
		return nil
	}
	br := s.pool.SendBatch(ctx, &b)
	for _, read := range reads {
		rows, err := br.Query()
		if err == nil {
			err = read(rows)
		}
		if err != nil {
			br.Close()
			return wrapErr(ctx, "lists of "+ip.String(), err)
		}
	}
	if err := br.Close(); err != nil {
		return wrapErr(ctx, "lists of "+ip.String(), err)
	}
	return nil
}
