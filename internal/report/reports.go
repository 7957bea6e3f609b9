package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

// ReportRef is an item of RelatedAptReports.
type ReportRef struct {
	ID    string
	Type  string // intel.ReportAPT, ReportCrimeware or ReportICS
	Title string
	// Published and Updated are the report's dates (zero when unknown);
	// the TIP JSON does not show them, STIX report objects do.
	Published time.Time
	Updated   time.Time
}

// reports reads the linked reports (at most MaxReports), skipping ids the
// store does not know, newest Published first (then by id).
func (b *Builder) reports(ctx context.Context, ids []string) ([]intel.Report, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := store.ReportsByID(ctx, b.Store, ids[:min(len(ids), MaxReports)])
	if err != nil {
		return nil, err
	}
	sortReports(out)
	return out, nil
}

// sortReports orders reports newest Published first, then by ID.
func sortReports(out []intel.Report) {
	slices.SortStableFunc(out, func(a, b intel.Report) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func reportRefs(reports []intel.Report) []score.ReportRef {
	if len(reports) == 0 {
		return nil
	}
	out := make([]score.ReportRef, len(reports))
	for i := range reports {
		r := &reports[i]
		d := r.Updated
		if d.IsZero() {
			d = r.Published
		}
		out[i] = score.ReportRef{ID: r.ID, Type: r.Type, Date: d, Source: r.Source}
	}
	return out
}

// industries is the sorted union of the reports' industries.
func industries(reports []intel.Report) []string {
	var out []string
	for i := range reports {
		for _, s := range reports[i].Industries {
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}

// refsOf lists reports as the answer's references, in their order (nil
// for none), and reports whether one of them is an APT report.
func refsOf(reports []intel.Report) (refs []ReportRef, apt bool) {
	if len(reports) == 0 {
		return nil, false
	}
	refs = make([]ReportRef, 0, len(reports))
	for i := range reports {
		rep := &reports[i]
		apt = apt || rep.Type == intel.ReportAPT
		refs = append(refs, ReportRef{ID: rep.ID, Type: rep.Type, Title: rep.Title,
			Published: rep.Published, Updated: rep.Updated})
	}
	return refs, apt
}
