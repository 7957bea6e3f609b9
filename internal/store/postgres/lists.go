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
	reads := queueLists(&b, ip, lim, dst)
	if len(reads) == 0 {
		return nil
	}
	br := s.pool.SendBatch(ctx, &b)
	err := readLists(br, reads)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return wrapErr(ctx, "lists of "+ip.String(), err)
	}
	return nil
}

var _ store.SummaryListsReader = (*Store)(nil)

// AddressWithLists implements store.SummaryListsReader: the summary's
// queries (its row, the listings, the report links and the phishing
// regions of the address, four index range scans) and the lists' in one
// batch, one round trip.
func (s *Store) AddressWithLists(ctx context.Context, ip netip.Addr, lim store.ListLimits, dst *store.AddressLists) (intel.AddressSummary, error) {
	dst.HostedURLs, dst.Files, dst.Resolutions, dst.Masks = dst.HostedURLs[:0], dst.Files[:0], dst.Resolutions[:0], dst.Masks[:0]
	if err := ctx.Err(); err != nil {
		return intel.AddressSummary{}, err
	}
	ip = intel.NormIP(ip)
	sum := intel.AddressSummary{IP: ip}
	if !ip.IsValid() {
		return sum, nil
	}
	var b pgx.Batch
	queueAddress(&b, ip)
	reads := queueLists(&b, ip, lim, dst)
	br := s.pool.SendBatch(ctx, &b)
	err := readAddress(br, &sum)
	if err == nil {
		err = readLists(br, reads)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return intel.AddressSummary{}, wrapErr(ctx, "address "+ip.String(), err)
	}
	return sum, nil
}

// queueLists queues the queries of the lists lim asks for and returns
// their reads, in order.
func queueLists(b *pgx.Batch, ip netip.Addr, lim store.ListLimits, dst *store.AddressLists) []func(pgx.Rows) error {
	var reads []func(pgx.Rows) error
	queueList(b, &reads, hostedSQL, ip, lim.HostedURLs, &dst.HostedURLs, scanHosted(ip))
	queueList(b, &reads, filesSQL, ip, lim.Files, &dst.Files, scanFile(&ip))
	queueList(b, &reads, resolutionsSQL, ip, lim.Resolutions, &dst.Resolutions, scanResolution(ip))
	queueList(b, &reads, masksSQL, ip, lim.Masks, &dst.Masks, scanMask(ip))
	return reads
}

// readLists reads the results of queueLists' queries.
func readLists(br pgx.BatchResults, reads []func(pgx.Rows) error) error {
	for _, read := range reads {
		rows, err := br.Query()
		if err == nil {
			err = read(rows)
		}
		if err != nil {
			return err
		}
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
