package importer_test

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
	"github.com/tipd/tipd/internal/store/pebble"
)

// nullStore accepts every batch; it measures the pipeline alone.
type nullStore struct{ store.Intel }

func (nullStore) Apply(context.Context, *intel.Batch) error { return nil }
func (nullStore) DomainIPs(context.Context, string, int) ([]netip.Addr, error) {
	return nil, nil
}

func benchWorld(b *testing.B, size int) []byte {
	b.Helper()
	var buf bytes.Buffer
	if _, err := gen.Write(&buf, gen.Options{Size: size, Seed: 1, Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchImport(b *testing.B, newStore func() store.Intel) {
	b.Helper()
	data := benchWorld(b, 20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var records int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := newStore()
		b.StartTimer()
		defer func() {
			if c, ok := st.(interface{ Close() error }); ok {
				c.Close()
			}
		}()
		o := importer.Options{File: "world.jsonl"}
		sum, err := importer.Import(context.Background(), st, bytes.NewReader(data), func() importer.Parser { return jsonl.New(o.ParserConfig()) }, o)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Skipped > 0 {
			b.Fatalf("bad lines: %v", sum.Bad)
		}
		records += sum.Read
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkImport imports a generated world of 20,000 addresses into the
// in-memory store.
func BenchmarkImport(b *testing.B) {
	benchImport(b, func() store.Intel { return mem.New() })
}

// BenchmarkImportPipeline imports the same world into a store that keeps
// nothing: reading, parsing, joining and batching alone.
func BenchmarkImportPipeline(b *testing.B) {
	benchImport(b, func() store.Intel { return nullStore{} })
}

// BenchmarkImportPebble imports the same world into a fresh Pebble store.
func BenchmarkImportPebble(b *testing.B) {
	benchImport(b, func() store.Intel {
		st, err := pebble.Open(b.TempDir(), pebble.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return st
	})
}
