package gen

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/abusech"
	"github.com/tipd/tipd/internal/importer/filefeed"
	"github.com/tipd/tipd/internal/importer/lists"
	"github.com/tipd/tipd/internal/importer/rdap"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// feedWriters are the feed-format writers with the parser of their format.
var feedWriters = []struct {
	name  string
	write func(io.Writer, Options) error
	parse func(importer.ParserConfig) importer.Parser
	extra int // data lines beyond Size (a metadata line)
}{
	{"urlhaus", WriteURLhaus, func(o importer.ParserConfig) importer.Parser { return abusech.NewURLhaus(o) }, 0},
	{"threatfox", WriteThreatFox, func(o importer.ParserConfig) importer.Parser { return abusech.NewThreatFox(o) }, 0},
	{"threatfox-json", WriteThreatFoxJSON, func(o importer.ParserConfig) importer.Parser { return abusech.NewThreatFox(o) }, 0},
	{"feodo", WriteFeodo, func(o importer.ParserConfig) importer.Parser { return abusech.NewFeodo(o) }, 0},
	{"drop", WriteDROP, func(o importer.ParserConfig) importer.Parser { return lists.NewDROP(o) }, 0},
	{"drop-json", WriteDROPJSON, func(o importer.ParserConfig) importer.Parser { return lists.NewDROP(o) }, 1},
	{"ipset", WriteIPSet, func(o importer.ParserConfig) importer.Parser { return lists.NewIPSet(o) }, 0},
	{"openphish", WriteOpenPhish, func(o importer.ParserConfig) importer.Parser { return lists.NewOpenPhish(o) }, 0},
	{"phishtank", WritePhishTank, func(o importer.ParserConfig) importer.Parser { return lists.NewPhishTank(o) }, 0},
	{"malwarebazaar", WriteMalwareBazaar, func(o importer.ParserConfig) importer.Parser { return filefeed.NewMalwareBazaar(o) }, 0},
	{"urlhaus-payloads", WriteURLhausPayloads, func(o importer.ParserConfig) importer.Parser { return filefeed.NewPayloads(o) }, 0},
	{"rdap", WriteRDAP, func(o importer.ParserConfig) importer.Parser { return rdap.New(o) }, 0},
}

// discard is a store that keeps nothing and knows no domain.
type discard struct{ store.Intel }

func (discard) Apply(context.Context, *intel.Batch) error { return nil }
func (discard) DomainIPs(context.Context, string, int) ([]netip.Addr, error) {
	return nil, nil
}

func TestFeedWriters(t *testing.T) {
	o := Options{Size: 3000, Seed: 7, Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	for _, fw := range feedWriters {
		t.Run(fw.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := fw.write(&a, o); err != nil {
				t.Fatal(err)
			}
			if err := fw.write(&b, o); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two writes with the same options differ")
			}
			var c bytes.Buffer
			o2 := o
			o2.Seed++
			fw.write(&c, o2)
			if bytes.Equal(a.Bytes(), c.Bytes()) {
				t.Error("another seed gives the same file")
			}
			po := importer.Options{Feed: "Synthetic", Category: intel.CatScanner}
			sum, err := importer.Import(context.Background(), discard{}, bytes.NewReader(a.Bytes()),
				func() importer.Parser { return fw.parse(po.ParserConfig()) }, po)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Skipped != 0 {
				t.Errorf("got %d bad lines, want 0: %v", sum.Skipped, sum.Bad)
			}
			if sum.Read+ignored(sum) != int64(o.Size+fw.extra) {
				t.Errorf("got %d records read (%s), want %d", sum.Read, sum, o.Size+fw.extra)
			}
			text := a.String()
			if fw.name == "ipset" { // the one special-purpose address it lists on purpose
				if n := strings.Count(text, "\n"+reservedAddr+"\n"); n != 1 {
					t.Errorf("got %s %d times, want once", reservedAddr, n)
				}
				text = strings.Replace(text, "\n"+reservedAddr+"\n", "\n", 1)
			}
			if strings.Contains(text, "192.0.2.") || strings.Contains(text, "10.0.0.") {
				t.Error("the file holds special-purpose addresses")
			}
		})
	}
}

func ignored(s importer.Summary) int64 {
	var n int64
	for _, x := range s.Ignored {
		n += x.N
	}
	return n
}

// BenchmarkImportFeeds imports a generated file of each feed format
// (benchFeedLines data lines) through the pipeline into a
// store that keeps nothing: the parsing and batching rate.
func BenchmarkImportFeeds(b *testing.B) {
	o := Options{Size: benchFeedLines, Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	for _, fw := range feedWriters {
		b.Run(fw.name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := fw.write(&buf, o); err != nil {
				b.Fatal(err)
			}
			po := importer.Options{Feed: "Synthetic", Category: intel.CatScanner}
			b.SetBytes(int64(buf.Len()))
			b.ResetTimer()
			var lines int64
			for i := 0; i < b.N; i++ {
				sum, err := importer.Import(context.Background(), discard{}, bytes.NewReader(buf.Bytes()),
					func() importer.Parser { return fw.parse(po.ParserConfig()) }, po)
				if err != nil || sum.Skipped != 0 {
					b.Fatalf("%v, %s", err, sum)
				}
				lines += sum.Read + ignored(sum)
			}
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

func BenchmarkWriteURLhaus(b *testing.B) {
	o := Options{Size: 100000, Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := WriteURLhaus(io.Discard, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(o.Size)/b.Elapsed().Seconds(), "lines/s")
}

// benchFeedLines is the size of the files of BenchmarkImportFeeds.
const benchFeedLines = 1_000_000
