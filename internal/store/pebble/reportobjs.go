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
// in-place upgrade "report-objects" (reportObjsUpgrade, an indexUpgrade)
// writes the keys of links stored before the index existed.
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

// reportObjsUpgrade walks the primary keys of the links of the report
// lists (P k list owner 0x00 item) and writes their index keys.
var reportObjsUpgrade = func() indexUpgrade {
	u := indexUpgrade{state: keyReportObjs, index: func(b *pebble.Batch, k, _ []byte) error {
		if len(k) < 3 {
			return errCorrupt
		}
		rest := k[3:]
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return errCorrupt
		}
		return b.Set(reportObjKey(string(rest[i+1:]), intel.LinkList(k[2]), string(rest[:i])), nil, nil)
	}}
	for _, list := range store.ReportLists {
		u.ranges = append(u.ranges, [2][]byte{{tPrimary, lLinks, byte(list)}, {tPrimary, lLinks, byte(list) + 1}})
	}
	return u
}()
