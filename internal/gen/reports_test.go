package gen_test

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/reports"
	"github.com/tipd/tipd/internal/importer/stix"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// discard is a store that keeps nothing; every domain resolves to one
// address, so the domain join does its work.
type discard struct{ store.Intel }

func (discard) Apply(context.Context, *intel.Batch) error { return nil }
func (discard) DomainIPs(context.Context, string, int) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("45.95.147.10")}, nil
}

var reportNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestReportsDeterministic(t *testing.T) {
	o := gen.ReportOptions{Reports: 5, Seed: 3, Now: reportNow}
	for _, w := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return gen.WriteReports(b, o) },
		func(b *bytes.Buffer) error { return gen.WriteSTIX(b, o) },
	} {
		var a, b bytes.Buffer
		if err := w(&a); err != nil {
			t.Fatal(err)
		}
		if err := w(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) || a.Len() == 0 {
			t.Errorf("output differs between runs or is empty")
		}
	}
}

// BenchmarkImportReports imports 10,000 generated reports (20 addresses and
// 8 other indicators each) in each format through the pipeline.
func BenchmarkImportReports(b *testing.B) {
	o := gen.ReportOptions{Reports: 10000, Seed: 1, Now: reportNow}
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
		parse func() importer.Parser
	}{
		{"reports", func(w *bytes.Buffer) error { return gen.WriteReports(w, o) }, func() importer.Parser { return reports.New(importer.ParserConfig{}) }},
		{"stix", func(w *bytes.Buffer) error { return gen.WriteSTIX(w, o) }, func() importer.Parser { return stix.New(importer.ParserConfig{}) }},
	} {
		b.Run(f.name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := f.write(&buf); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
			b.ReportAllocs()
			for b.Loop() {
				sum, err := importer.Import(context.Background(), discard{}, bytes.NewReader(buf.Bytes()), f.parse, importer.Options{})
				if err != nil || sum.Skipped != 0 {
					b.Fatalf("%+v %v", sum, err)
				}
				b.ReportMetric(float64(sum.Records), "records/op")
			}
		})
	}
}
