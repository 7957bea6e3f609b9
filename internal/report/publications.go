package report

import (
	"context"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Publication returns one published report by its id; intel.ErrNotFound
// when unknown.
func (b *Builder) Publication(ctx context.Context, id string) (intel.Report, error) {
	return b.Store.Report(ctx, id)
}

// Publications lists the reports published in [from, to), newest first, at
// most limit (store.Intel.Reports).
func (b *Builder) Publications(ctx context.Context, from, to time.Time, limit int) ([]intel.Report, error) {
	return b.Store.Reports(ctx, from, to, limit)
}
