package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// arrayParser is a minimal stream format: a JSON array of objects
// {"ip": "...", "day": "2026-11-20"}, each one sighting.
type arrayParser struct{}

func (arrayParser) Parse([]byte, int, *intel.Batch) error {
	return errors.New("not line-oriented")
}

func (arrayParser) ParseStream(r io.Reader, emit func(int, func(*intel.Batch) error) error) error {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("want a JSON array")
	}
	for n := 1; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("object %d: %w", n, err)
		}
		err := emit(n, func(b *intel.Batch) error {
			var rec struct{ IP, Day string }
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
			if rec.IP == "" {
				return nil // nothing to import
			}
			ip, err := netip.ParseAddr(rec.IP)
			if err != nil {
				return fmt.Errorf("bad address %q", rec.IP)
			}
			b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Hits: 1})
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func newArray() importer.Parser { return arrayParser{} }

func arrayDoc(n int, badAt int) string {
	var b strings.Builder
	b.WriteString("[\n")
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(",\n")
		}
		switch i {
		case badAt:
			b.WriteString(`{"ip":"45.95.147.300"}`)
		default:
			fmt.Fprintf(&b, `{"ip":"45.95.147.%d"}`, i%250)
		}
	}
	b.WriteString("\n]\n")
	return b.String()
}

func TestImportStream(t *testing.T) {
	in := arrayDoc(20, 7)
	st := &sink{}
	o := importer.Options{BatchSize: 3}
	sum, err := importer.Import(context.Background(), st, strings.NewReader(in), newArray, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 20 || sum.Applied != 19 || sum.Skipped != 1 || len(st.b.Sightings) != 19 {
		t.Errorf("got read %d applied %d skipped %d stored %d, want 20 19 1 19", sum.Read, sum.Applied, sum.Skipped, len(st.b.Sightings))
	}
	if len(sum.Bad) != 1 || sum.Bad[0].Where() != "object 7" || !strings.Contains(sum.Bad[0].Reason, "45.95.147.300") {
		t.Errorf("got bad %+v, want object 7", sum.Bad)
	}
	if st.batches != 7 {
		t.Errorf("got %d batches, want 7 (19 records by 3)", st.batches)
	}
}

func TestImportStreamTruncated(t *testing.T) {
	in := arrayDoc(10, 0)
	in = in[:strings.Index(in, `{"ip":"45.95.147.6"}`)+8] // cut inside object 6
	st := &sink{}
	o := importer.Options{BatchSize: 2}
	sum, err := importer.Import(context.Background(), st, strings.NewReader(in), newArray, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Applied != 5 || sum.Skipped != 1 || len(sum.Bad) != 1 || sum.Bad[0].Line != 6 {
		t.Errorf("got %+v, want 5 applied and object 6 bad", sum)
	}
	if len(st.b.Sightings) != 5 {
		t.Errorf("got %d sightings stored, want 5", len(st.b.Sightings))
	}
}

func TestImportStreamStrict(t *testing.T) {
	for _, viaFile := range []bool{true, false} {
		t.Run(fmt.Sprintf("file=%v", viaFile), func(t *testing.T) {
			for _, c := range []struct {
				doc     string
				wantErr bool
			}{{arrayDoc(30, 21), true}, {arrayDoc(30, 0), false}} {
				tmp := t.TempDir()
				o := importer.Options{Strict: true, BatchSize: 4, TempDir: tmp}
				st := &sink{}
				var r io.Reader = struct{ *strings.Reader }{strings.NewReader(c.doc)}
				if viaFile {
					p := writeFile(t, "bundle.json", c.doc, true)
					in, err := importer.OpenInput(p)
					if err != nil {
						t.Fatal(err)
					}
					defer in.Close()
					r, o.File = in, p
				}
				sum, err := importer.Import(context.Background(), st, r, newArray, o)
				if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
					t.Errorf("temporary files left: %v", ents)
				}
				if c.wantErr {
					var le *importer.LineError
					if !errors.As(err, &le) || le.Line != 21 || !strings.Contains(err.Error(), "object 21: bad address") {
						t.Fatalf("got %v, want a LineError for object 21", err)
					}
					if st.batches != 0 {
						t.Errorf("strict import of a bad document applied %d batches", st.batches)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if sum.Applied != 30 || len(st.b.Sightings) != 30 {
					t.Errorf("got %d applied, %d stored; want 30", sum.Applied, len(st.b.Sightings))
				}
			}
		})
	}
}

func TestImportStreamCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := importer.Import(ctx, &sink{}, strings.NewReader(arrayDoc(5000, 0)), newArray, importer.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// linkSink records report links too.
type linkSink struct {
	sink
	links []intel.ReportLink
}

func (s *linkSink) Apply(ctx context.Context, b *intel.Batch) error {
	s.links = append(s.links, b.ReportLinks...)
	return s.sink.Apply(ctx, b)
}

// domainLinks emits report links naming domains.
type domainLinks struct{ arrayParser }

func (domainLinks) Parse(line []byte, _ int, b *intel.Batch) error {
	b.ReportLinks = append(b.ReportLinks, intel.ReportLink{ReportID: "rpt-1", Domain: string(line)})
	return nil
}

func TestImportReportLinkDomainJoin(t *testing.T) {
	a1, a2 := netip.MustParseAddr("45.95.147.10"), netip.MustParseAddr("45.95.147.11")
	st := &linkSink{sink: sink{domains: map[string][]netip.Addr{"c2.badcorp.example": {a1, a2}}}}
	o := importer.Options{}
	newP := func() importer.Parser { return struct{ importer.Parser }{domainLinks{}} }
	sum, err := importer.Import(context.Background(), st, strings.NewReader("c2.badcorp.example\nunknown.example\n"), newP, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.links) != 2 || st.links[0].IP != a1 || st.links[1].IP != a2 || st.links[0].ReportID != "rpt-1" {
		t.Errorf("got links %+v, want rpt-1 on both addresses", st.links)
	}
	if sum.Unplaced != 1 {
		t.Errorf("got %d unplaced, want 1", sum.Unplaced)
	}
}
