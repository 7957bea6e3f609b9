package postgres

import (
	"context"
	"net/netip"

	"github.com/jackc/pgx/v5"

	"github.com/tipd/tipd/internal/intel"
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
	ip = intel.NormIP(ip)
	if !ip.IsValid() {
		return nil
	}
	var b pgx.Batch
	var reads []func(pgx.Rows) error
	queueList(&b, &reads, hostedSQL, ip, lim.HostedURLs, &dst.HostedURLs, scanHosted(ip))
	queueList(&b, &reads, filesSQL, ip, lim.Files, &dst.Files, scanFile(&ip))
	queueList(&b, &reads, resolutionsSQL, ip, lim.Resolutions, &dst.Resolutions, scanResolution(ip))
	queueList(&b, &reads, masksSQL, ip, lim.Masks, &dst.Masks, scanMask(ip))
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

// queueList queues one list query (when limit > 0) and the read that
// appends its rows to *dst.
func queueList[T any](b *pgx.Batch, reads *[]func(pgx.Rows) error, sql string, ip netip.Addr, limit int, dst *[]T, scan pgx.RowToFunc[T]) {
	if limit <= 0 {
		return
	}
	b.Queue(sql, ip, limit)
	*reads = append(*reads, func(rows pgx.Rows) (err error) {
		*dst, err = pgx.AppendRows(*dst, rows, scan)
		return err
	})
}
