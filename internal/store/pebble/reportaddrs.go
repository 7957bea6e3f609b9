package pebble

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/cockroachdb/pebble/v2"
)

// The in-place upgrade "report-addresses" fills the index of report links
// by report (tReportAddr, reports.go) of a store written before it
// existed: it walks the address summaries in key order, in bounded
// batches, and writes one index key per report id a summary holds. After
// each batch it records the last summary key walked under
// keyReportAddrs, so that an interrupted upgrade resumes where it stopped
// (the keys are empty and written again to the same effect); once done, it
// records that. A store created by this version is marked done when it is
// created. Imports may run meanwhile: they write the index themselves.
const upgradeReportAddrs = "report-addresses"

// keyReportAddrs holds the state of the report-addresses upgrade: absent
// (not started), backfillRunning followed by the last summary key walked,
// or backfillDone.
var keyReportAddrs = []byte{tMeta, 'r', 'l', 'i', 'n', 'k', 's'}

// reportAddrsDone reports whether the report-addresses upgrade is done.
func (s *Store) reportAddrsDone() (bool, error) {
	v, found, err := get(s.db, keyReportAddrs)
	if err != nil {
		return false, fmt.Errorf("read upgrade state: %w", err)
	}
	return found && len(v) == 1 && v[0] == backfillDone, nil
}

// backfillReportAddrs runs the report-addresses upgrade from where it
// stopped; progress is called after each batch with the number of
// address summaries read in this run.
func (s *Store) backfillReportAddrs(ctx context.Context, progress func(int64)) error {
	v, _, err := get(s.db, keyReportAddrs)
	if err != nil {
		return err
	}
	lower := []byte{tAddr}
	if len(v) > 1 && v[0] == backfillRunning {
		lower = append(v[1:len(v):len(v)], 0) // just after the last key walked
	}
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		last, read, err := s.reportAddrsBatch(ctx, lower)
		if err != nil {
			return err
		}
		if read == 0 {
			break
		}
		n += int64(read)
		progress(n)
		lower = append(last, 0)
	}
	return s.db.Set(keyReportAddrs, []byte{backfillDone}, pebble.Sync)
}

// reportAddrsBatch indexes the report ids of at most backfillBatch address
// summaries from lower on, and records the last summary key read.
func (s *Store) reportAddrsBatch(ctx context.Context, lower []byte) (last []byte, n int, err error) {
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: []byte{tAddr + 1}})
	if err != nil {
		return nil, 0, err
	}
	defer it.Close()
	b := s.db.NewBatch()
	defer b.Close()
	for ok := it.First(); ok && n < backfillBatch; ok = it.Next() {
		k := it.Key()
		if len(k) != 17 {
			return nil, 0, errCorrupt
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, 0, err
		}
		var sum addrSum
		if err := decAddrSum(&dec{s: string(v)}, &sum); err != nil {
			return nil, 0, fmt.Errorf("summary of %s: %w", netip.AddrFrom16([16]byte(k[1:])), err)
		}
		ip := netip.AddrFrom16([16]byte(k[1:])).Unmap()
		for _, id := range sum.reportIDs {
			if err := b.Set(reportAddrKey(id, ip), nil, nil); err != nil {
				return nil, 0, err
			}
		}
		last = append(last[:0], k...)
		n++
	}
	if err := it.Error(); err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return nil, 0, nil
	}
	if err := b.Set(keyReportAddrs, append([]byte{backfillRunning}, last...), nil); err != nil {
		return nil, 0, err
	}
	return last, n, b.Commit(pebble.Sync)
}
