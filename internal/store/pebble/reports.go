package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// tReportDate indexes reports by their Published date:
//
//	Q published(8) id               -> (empty)
//
// published is the Unix time in nanoseconds with the sign bit flipped, big
// endian, so that keys sort by date. Apply writes the key next to the report
// (R id) and removes the old one when a re-imported report changed its date.
// Reports without a Published date are not indexed.
const tReportDate = 'Q'

// tReportAddr indexes ReportLinks by report:
//
//	K id 0x00 family(1) addr16      -> (empty)
//
// family is 4 or 6, so that keys sort in netip.Addr.Compare order.
// Apply writes the key when it adds the report to the address's summary;
// the upgrade report-addresses (reportaddrs.go) writes the keys of links
// stored before the index existed.
const tReportAddr = 'K'

// reportAddrKey is the index key of a ReportLink.
func reportAddrKey(id string, ip netip.Addr) []byte {
	fam := byte(6)
	if ip.Is4() {
		fam = 4
	}
	k := append(strKey(tReportAddr, id), 0, fam)
	a := addr16(ip)
	return append(k, a[:]...)
}

// ReportAddresses implements store.Intel: a prefix scan of the report's
// addresses, in key order.
func (s *Store) ReportAddresses(ctx context.Context, id string, limit int) ([]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	prefix := append(strKey(tReportAddr, id), 0)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEndInPlace(slices.Clone(prefix))})
	if err != nil {
		return nil, fmt.Errorf("report %q addresses: %w", id, err)
	}
	var out []netip.Addr
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+17 {
			continue // another id that extends this one after a 0x00
		}
		out = append(out, intel.NormIP(netip.AddrFrom16([16]byte(k[len(prefix)+1:]))))
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("report %q addresses: %w", id, err)
	}
	return out, nil
}

var _ store.ReportAddressesReader = (*Store)(nil)

// ReportAddressesOf implements store.ReportAddressesReader: one iterator
// over the index, one seek per report.
func (s *Store) ReportAddressesOf(ctx context.Context, ids []string, limit int) (map[string][]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string][]netip.Addr{}
	if limit <= 0 || len(ids) == 0 {
		return out, nil
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tReportAddr}, UpperBound: []byte{tReportAddr + 1}})
	if err != nil {
		return nil, fmt.Errorf("report addresses: %w", err)
	}
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		prefix := append(strKey(tReportAddr, id), 0)
		var ips []netip.Addr
		for ok := it.SeekGE(prefix); ok && len(ips) < limit; ok = it.Next() {
			k := it.Key()
			if !bytes.HasPrefix(k, prefix) {
				break
			}
			if len(k) == len(prefix)+17 {
				ips = append(ips, intel.NormIP(netip.AddrFrom16([16]byte(k[len(prefix)+1:]))))
			}
		}
		if len(ips) > 0 {
			out[id] = ips
		}
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("report addresses: %w", err)
	}
	return out, nil
}

// reportDateKey is the index key of a report.
func reportDateKey(published time.Time, id string) []byte {
	k := make([]byte, 0, 9+len(id))
	k = append(k, tReportDate)
	k = binary.BigEndian.AppendUint64(k, dateOrder(published))
	return append(k, id...)
}

// dateOrder maps a time to an unsigned integer of the same order.
func dateOrder(t time.Time) uint64 {
	ns := t.UnixNano()
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		ns = math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		ns = math.MaxInt64
	}
	return uint64(ns) ^ (1 << 63)
}

// indexReport keeps the date index of r (about to replace the stored report
// of its id) up to date, and writes its files apart from it
// (setReportFiles).
func (a *applier) indexReport(r *intel.Report) error {
	a.setReportFiles(r)
	old, found, err := a.get(strKey(tReport, r.ID))
	if err != nil {
		return err
	}
	if found {
		var prev struct{ Published time.Time }
		if err := json.Unmarshal(old, &prev); err != nil {
			return fmt.Errorf("report %q: %w", r.ID, err)
		}
		if !prev.Published.IsZero() && !prev.Published.Equal(r.Published) {
			a.del(reportDateKey(prev.Published, r.ID))
		}
	}
	if !r.Published.IsZero() {
		a.set(reportDateKey(r.Published, r.ID), nil)
	}
	return nil
}

// Reports implements store.Intel: a backwards scan of the date index from
// to, one report read per item.
func (s *Store) Reports(ctx context.Context, from, to time.Time, limit int) ([]intel.Report, error) {
	return s.ReportsAfter(ctx, from, to, store.ReportCursor{}, limit)
}

// ReportsAfter implements store.Intel: a forward scan of the cursor's date
// for the ids after it, then a backwards scan of the date index from the
// cursor's date (or to), one report read per item.
func (s *Store) ReportsAfter(ctx context.Context, from, to time.Time, after store.ReportCursor, limit int) ([]intel.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || !from.Before(to) {
		return nil, nil
	}
	lo := binary.BigEndian.AppendUint64([]byte{tReportDate}, dateOrder(from))
	hi := binary.BigEndian.AppendUint64([]byte{tReportDate}, dateOrder(to))
	var ids []string
	if !after.IsZero() && after.Published.Before(to) {
		if after.Published.Before(from) {
			return nil, nil
		}
		// The rest of the cursor's date, ids ascending.
		d := dateOrder(after.Published)
		same := append(reportDateKey(after.Published, after.ID), 0)
		var err error
		ids, err = s.reportIDs(ctx, same, binary.BigEndian.AppendUint64([]byte{tReportDate}, d+1), true, limit)
		if err != nil {
			return nil, err
		}
		hi = binary.BigEndian.AppendUint64([]byte{tReportDate}, d)
	}
	if len(ids) < limit {
		more, err := s.reportIDs(ctx, lo, hi, false, limit-len(ids))
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	out, err := store.ReportsByID(ctx, s, ids)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	slices.SortStableFunc(out, func(a, b intel.Report) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out[:min(len(out), limit)], nil
}

// reportIDs collects the ids of the date index in [lo, hi): forward, at
// most limit; or backwards (newest first), going on after limit while the
// date is the same, so that the caller can cut ties by id.
func (s *Store) reportIDs(ctx context.Context, lo, hi []byte, forward bool, limit int) ([]string, error) {
	if bytes.Compare(lo, hi) >= 0 {
		return nil, nil
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	first, next := it.Last, it.Prev
	if forward {
		first, next = it.First, it.Next
	}
	var ids []string
	var lastDate []byte
	for ok := first(); ok; ok = next() {
		k := it.Key()
		if len(k) < 9 {
			_ = it.Close()
			return nil, fmt.Errorf("reports: %w", errCorrupt)
		}
		if len(ids) >= limit && (forward || !bytes.Equal(k[1:9], lastDate)) {
			break
		}
		lastDate = append(lastDate[:0], k[1:9]...)
		ids = append(ids, string(k[9:]))
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	return ids, nil
}
