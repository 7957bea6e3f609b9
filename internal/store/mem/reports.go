package mem

import (
	"cmp"
	"context"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Reports implements store.Intel. The in-memory store has no date index: it
// filters every report (it holds test and demo data only).
func (s *Store) Reports(ctx context.Context, from, to time.Time, limit int) ([]intel.Report, error) {
	return s.ReportsAfter(ctx, from, to, store.ReportCursor{}, limit)
}

// ReportsAfter implements store.Intel, filtering every report.
func (s *Store) ReportsAfter(ctx context.Context, from, to time.Time, after store.ReportCursor, limit int) ([]intel.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	s.mu.RLock()
	var out []intel.Report
	for _, r := range s.reports {
		if r.Published.IsZero() || r.Published.Before(from) || !r.Published.Before(to) || !after.Before(r.Published, r.ID) {
			continue
		}
		out = append(out, cloneReport(r))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b intel.Report) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ReportAddresses implements store.Intel.
func (s *Store) ReportAddresses(ctx context.Context, id string, limit int) ([]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	s.mu.RLock()
	out := slices.SortedFunc(maps.Keys(s.reportAddrs[id]), netip.Addr.Compare)
	s.mu.RUnlock()
	return out[:min(len(out), limit)], nil
}

// cloneReport copies the slices of a report.
func cloneReport(r intel.Report) intel.Report {
	r.Tags = slices.Clone(r.Tags)
	r.Industries = slices.Clone(r.Industries)
	r.Geo = slices.Clone(r.Geo)
	r.Actors = slices.Clone(r.Actors)
	r.Indicators = slices.Clone(r.Indicators)
	return r
}

// ReportObjects implements store.Intel: a walk of the owners of the
// report lists.
func (s *Store) ReportObjects(ctx context.Context, id string, limit int) ([]store.ObjectRef, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	s.mu.RLock()
	var out []store.ObjectRef
	var lists []intel.LinkList
	for o, items := range s.objects.links {
		if _, ok := items[id]; ok && slices.Contains(store.ReportLists, o.list) {
			out = append(out, store.ObjectRef{Kind: o.list.Owner(), Key: o.owner})
			lists = append(lists, o.list)
		}
	}
	s.mu.RUnlock()
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(lists[a], lists[b]); c != 0 {
			return c
		}
		return strings.Compare(out[a].Key, out[b].Key)
	})
	sorted := make([]store.ObjectRef, 0, min(len(out), limit))
	for _, i := range idx[:min(len(idx), limit)] {
		sorted = append(sorted, out[i])
	}
	return sorted, nil
}

// reportFiles are the files of a report.
type reportFiles struct {
	yara string
	pdf  []byte
}

// setReportFiles keeps the files of r (about to replace the stored report
// of its id) apart from it, replacing those of the report it replaces, and
// clears them in r.
func (s *Store) setReportFiles(r *intel.Report) {
	if r.YARA == "" && len(r.PDF) == 0 {
		delete(s.reportFiles, r.ID)
	} else {
		s.reportFiles[r.ID] = reportFiles{yara: r.YARA, pdf: slices.Clone(r.PDF)}
	}
	r.YARA, r.PDF = "", nil
}

var _ store.ReportFilesReader = (*Store)(nil)

// ReportYARAOf implements store.ReportFilesReader.
func (s *Store) ReportYARAOf(ctx context.Context, ids []string) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]string{}
	for _, id := range ids {
		if f := s.reportFiles[id]; f.yara != "" {
			out[id] = f.yara
		}
	}
	return out, nil
}

// ReportPDF implements store.ReportFilesReader.
func (s *Store) ReportPDF(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.reportFiles[id].pdf), nil
}
