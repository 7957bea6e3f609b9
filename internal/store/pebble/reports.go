package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
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
// of its id) up to date.
func (a *applier) indexReport(r *intel.Report) error {
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || !from.Before(to) {
		return nil, nil
	}
	lo := binary.BigEndian.AppendUint64([]byte{tReportDate}, dateOrder(from))
	hi := binary.BigEndian.AppendUint64([]byte{tReportDate}, dateOrder(to))
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	// Collect ids newest first; after limit, go on while the date is the
	// same, so that ties are cut by id as the contract says.
	var ids []string
	var lastDate []byte
	for ok := it.Last(); ok; ok = it.Prev() {
		k := it.Key()
		if len(k) < 9 {
			_ = it.Close()
			return nil, fmt.Errorf("reports: %w", errCorrupt)
		}
		if len(ids) >= limit && !bytes.Equal(k[1:9], lastDate) {
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
