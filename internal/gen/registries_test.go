package gen

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/pdns"
	"github.com/tipd/tipd/internal/importer/rir"
	"github.com/tipd/tipd/internal/importer/rpsl"
	"github.com/tipd/tipd/internal/importer/warninglist"
)

// TestRegistryWriters writes every registry format twice (same bytes) and
// imports it with its parser: no bad lines.
func TestRegistryWriters(t *testing.T) {
	o := Options{Size: 3000, Seed: 7, Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		name    string
		write   func(io.Writer, Options) error
		parse   func(importer.ParserConfig) importer.Parser
		minRead int64
	}{
		{"pdns", WritePDNS, func(o importer.ParserConfig) importer.Parser { return pdns.New(o) }, 2500},
		{"delegated", WriteDelegated, func(o importer.ParserConfig) importer.Parser { return rir.NewDelegated(o) }, 2500},
		{"iptoasn", WriteIPtoASN, func(o importer.ParserConfig) importer.Parser { return rir.NewIPtoASN(o) }, 2500},
		{"warninglist", WriteWarninglist, func(o importer.ParserConfig) importer.Parser { return warninglist.New(o) }, 3000},
		{"rpsl", WriteRPSL, nil, 214},
	} {
		t.Run(c.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := c.write(&a, o); err != nil {
				t.Fatal(err)
			}
			if err := c.write(&b, o); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two writes with the same options differ")
			}
			if n := bytes.Count(a.Bytes(), []byte("\n")); n < o.Size*9/10 || n > o.Size*12/10 {
				t.Errorf("got %d lines, want about %d", n, o.Size)
			}
			newParser := func() importer.Parser { return c.parse(importer.ParserConfig{}) }
			if c.parse == nil {
				path := filepath.Join(t.TempDir(), "dump.db")
				os.WriteFile(path, a.Bytes(), 0o644)
				d := rpsl.NewDump(importer.ParserConfig{TempDir: t.TempDir()})
				defer d.Close()
				if _, _, err := importer.ScanSet(context.Background(), d, []string{path}, nil, ""); err != nil {
					t.Fatal(err)
				}
				newParser = d.NewParser
			}
			sum, err := importer.Import(context.Background(), discard{}, bytes.NewReader(a.Bytes()), newParser, importer.Options{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Skipped != 0 || sum.Read < c.minRead {
				t.Errorf("got %d read, %d skipped; want at least %d read, none skipped", sum.Read, sum.Skipped, c.minRead)
			}
		})
	}
}

var registrySize = flag.Int("registry-size", 100_000, "lines of the registry files BenchmarkRegistryImport imports")

// BenchmarkRegistryImport writes each registry format with
// -registry-size lines and imports it through the pipeline into a store
// that keeps nothing: the parsing and batching rate.
func BenchmarkRegistryImport(b *testing.B) {
	o := Options{Size: *registrySize, Seed: 1, Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		name  string
		write func(io.Writer, Options) error
		parse func(importer.ParserConfig) importer.Parser
	}{
		{"pdns", WritePDNS, func(o importer.ParserConfig) importer.Parser { return pdns.New(o) }},
		{"delegated", WriteDelegated, func(o importer.ParserConfig) importer.Parser { return rir.NewDelegated(o) }},
		{"iptoasn", WriteIPtoASN, func(o importer.ParserConfig) importer.Parser { return rir.NewIPtoASN(o) }},
		{"warninglist", WriteWarninglist, func(o importer.ParserConfig) importer.Parser { return warninglist.New(o) }},
		{"rpsl", WriteRPSL, nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := c.write(&buf, o); err != nil {
				b.Fatal(err)
			}
			lines := bytes.Count(buf.Bytes(), []byte("\n"))
			b.SetBytes(int64(buf.Len()))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				newParser := func() importer.Parser { return nil }
				if c.parse != nil {
					newParser = func() importer.Parser { return c.parse(importer.ParserConfig{}) }
				} else {
					d := rpsl.NewDump(importer.ParserConfig{TempDir: b.TempDir()})
					if err := d.Scan(context.Background(), bytes.NewReader(buf.Bytes()), "dump"); err != nil {
						b.Fatal(err)
					}
					if err := d.Prepare(); err != nil {
						b.Fatal(err)
					}
					defer d.Close()
					newParser = d.NewParser
				}
				sum, err := importer.Import(context.Background(), discard{}, bytes.NewReader(buf.Bytes()), newParser, importer.Options{})
				if err != nil || sum.Skipped != 0 {
					b.Fatalf("%v, %d skipped", err, sum.Skipped)
				}
			}
			b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
