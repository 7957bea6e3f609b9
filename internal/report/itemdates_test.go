package report

import (
	"testing"
	"time"
)

func TestItemDates(t *testing.T) {
	d := func(day, h, m, s int) time.Time { return time.Date(2026, 11, day, h, m, s, 0, time.UTC) }
	var zero time.Time
	for _, tc := range []struct {
		name                  string
		first, last, imported time.Time
		wantFirst, wantLast   time.Time
	}{
		{"both known", d(1, 0, 0, 0), d(2, 0, 0, 0), d(3, 0, 0, 0), d(1, 0, 0, 0), d(2, 0, 0, 0)},
		{"only first", d(1, 0, 0, 0), zero, d(3, 0, 0, 0), d(1, 0, 0, 0), d(1, 0, 0, 0)},
		{"only last", zero, d(2, 0, 0, 0), d(3, 0, 0, 0), d(2, 0, 0, 0), d(2, 0, 0, 0)},
		{"undated: the import's minute", zero, zero, d(3, 12, 30, 45), d(3, 12, 30, 0), d(3, 12, 30, 0)},
		{"nothing at all", zero, zero, zero, zero, zero},
	} {
		f, l := itemDates(tc.first, tc.last, tc.imported)
		if !f.Equal(tc.wantFirst) || !l.Equal(tc.wantLast) {
			t.Errorf("%s: got %v, %v; want %v, %v", tc.name, f, l, tc.wantFirst, tc.wantLast)
		}
	}
}
