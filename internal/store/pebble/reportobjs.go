package pebble

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// tReportObj indexes the object links of the report lists by report:
//
//	J id 0x00 list(1) owner      -> (empty)
//
// Apply writes the key when it adds a link of intel.LinkHostReports,
// LinkURLReports or LinkFileReports (whose items are report ids); the
// upgrade "report-objects" writes the keys of links stored before the
// index existed, walking their primary keys in bounded batches and
// recording the last key walked under keyReportObjs, so that an
// interrupted upgrade resumes where it stopped; a store created by this
// version is marked done when it is created.
const tReportObj = 'J'

const upgradeReportObjs = "report-objects"

// keyReportObjs holds the state of the report-objects upgrade: absent
// (not started), backfillRunning followed by the last primary key walked,
// or backfillDone.
var keyReportObjs = []byte{tMeta, 'r', 'o', 'b', 'j', 's'}

// reportObjKey is the index key of a link of a report list.
func reportObjKey(id string, list intel.LinkList, owner string) []byte {
	k := make([]byte, 0, 3+len(id)+len(owner))
	k = append(k, tReportObj)
	k = append(k, id...)
	k = append(k, 0, byte(list))
	return append(k, owner...)
}

// isReportList reports whether the items of list are report ids.
func isReportList(list intel.LinkList) bool { return slices.Contains(store.ReportLists, list) }

// ReportObjects implements store.Intel: a prefix scan of the report's
// index keys, which sort by list, then owner.
func (s *Store) ReportObjects(ctx context.Context, id string, limit int) ([]store.ObjectRef, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	prefix := append(append([]byte{tReportObj}, id...), 0)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEndInPlace(slices.Clone(prefix))})
	if err != nil {
		return nil, fmt.Errorf("report %q objects: %w", id, err)
	}
	var out []store.ObjectRef
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		if len(k) < len(prefix)+1 {
			continue
		}
		list := intel.LinkList(k[len(prefix)])
		if !isReportList(list) {
			continue // another id that extends this one after a 0x00
		}
		out = append(out, store.ObjectRef{Kind: list.Owner(), Key: string(k[len(prefix)+1:])})
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("report %q objects: %w", id, err)
	}
	return out, nil
}

var _ store.ReportObjectsReader = (*Store)(nil)

// ReportObjectsOf implements store.ReportObjectsReader: one iterator over
// the index, one seek per report.
func (s *Store) ReportObjectsOf(ctx context.Context, ids []string, limit int) (map[string][]store.ObjectRef, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string][]store.ObjectRef{}
	if limit <= 0 || len(ids) == 0 {
		return out, nil
	}
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tReportObj}, UpperBound: []byte{tReportObj + 1}})
	if err != nil {
		return nil, fmt.Errorf("report objects: %w", err)
	}
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		prefix := append(append([]byte{tReportObj}, id...), 0)
		var objs []store.ObjectRef
		for ok := it.SeekGE(prefix); ok && len(objs) < limit; ok = it.Next() {
			k := it.Key()
			if !bytes.HasPrefix(k, prefix) {
				break
			}
			if len(k) > len(prefix) && isReportList(intel.LinkList(k[len(prefix)])) {
				list := intel.LinkList(k[len(prefix)])
				objs = append(objs, store.ObjectRef{Kind: list.Owner(), Key: string(k[len(prefix)+1:])})
			}
		}
		if len(objs) > 0 {
			out[id] = objs
		}
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("report objects: %w", err)
	}
	return out, nil
}

// reportObjsDone reports whether the report-objects upgrade is done.
func (s *Store) reportObjsDone() (bool, error) {
	v, found, err := get(s.db, keyReportObjs)
	if err != nil {
		return false, fmt.Errorf("read upgrade state: %w", err)
	}
	return found && len(v) == 1 && v[0] == backfillDone, nil
}

// backfillReportObjs runs the report-objects upgrade from where it
// stopped; progress is called after each batch with the number of links
// read in this run.
func (s *Store) backfillReportObjs(ctx context.Context, progress func(int64)) error {
	v, _, err := get(s.db, keyReportObjs)
	if err != nil {
		return err
	}
	var resume []byte
	if len(v) > 1 && v[0] == backfillRunning {
		resume = append(v[1:len(v):len(v)], 0) // just after the last key walked
	}
	var n int64
	for _, list := range store.ReportLists {
		lower := []byte{tPrimary, lLinks, byte(list)}
		upper := []byte{tPrimary, lLinks, byte(list) + 1}
		if resume != nil {
			if bytes.Compare(resume, upper) >= 0 {
				continue // walked already
			}
			if bytes.Compare(resume, lower) > 0 {
				lower = resume
			}
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			last, read, err := s.reportObjsBatch(ctx, list, lower, upper)
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
	}
	return s.db.Set(keyReportObjs, []byte{backfillDone}, pebble.Sync)
}

// reportObjsBatch indexes at most backfillBatch links of list from lower
// on, and records the last primary key read.
func (s *Store) reportObjsBatch(ctx context.Context, list intel.LinkList, lower, upper []byte) (last []byte, n int, err error) {
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, 0, err
	}
	defer it.Close()
	b := s.db.NewBatch()
	defer b.Close()
	for ok := it.First(); ok && n < backfillBatch; ok = it.Next() {
		k := it.Key() // P k list owner 0x00 item
		rest := k[3:]
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return nil, 0, errCorrupt
		}
		if err := b.Set(reportObjKey(string(rest[i+1:]), list, string(rest[:i])), nil, nil); err != nil {
			return nil, 0, err
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
	if err := b.Set(keyReportObjs, append([]byte{backfillRunning}, last...), nil); err != nil {
		return nil, 0, err
	}
	return last, n, b.Commit(pebble.Sync)
}
