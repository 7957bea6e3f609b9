package pdns

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/intel"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestGolden(t *testing.T) {
	p := New(importer.ParserConfig{})
	b, bad := importtest.ParseFile(t, filepath.Join("testdata", "cof.jsonl"), p)
	if len(bad) > 0 {
		t.Fatalf("bad lines: %v", bad)
	}
	importtest.Golden(t, "cof.golden", b, *update)
	want := []importer.Ignored{{What: "rrtype CNAME", N: 1}, {What: "rrtype MX", N: 1}, {What: "rrtype NS", N: 1}}
	if got := p.Ignored(); !reflect.DeepEqual(got, want) {
		t.Errorf("got ignored %v, want %v", got, want)
	}
	gz, _ := importtest.ParseFile(t, filepath.Join("testdata", "cof.jsonl.gz"), New(importer.ParserConfig{}))
	if !reflect.DeepEqual(gz, b) {
		t.Errorf("cof.jsonl.gz parses differently from cof.jsonl")
	}
}

func TestMixed(t *testing.T) {
	_, bad := importtest.ParseFile(t, filepath.Join("testdata", "mixed.jsonl"), New(importer.ParserConfig{}))
	importtest.CheckBad(t, bad, map[int]string{
		3:  `missing field "rrname"`,
		4:  `bad A rdata "45.95.147.300": not an address`,
		5:  `bad A rdata "2a0e:97c0:3e4::1": wrong address family`,
		6:  `time_last 2025-11-24T16:00:00Z before time_first 2025-11-25`,
		7:  `missing field "time_first"`,
		8:  `bad count "-4"`,
		9:  `bad rdata: want a string or a list of strings`,
		10: `bad rrname "45.95.147.23": an address`,
		11: `not a COF JSON object`,
		12: `empty rdata`,
		15: `not a COF JSON object`,
	})
}

func TestDailyPeak(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, c := range []struct {
		hits        int64
		first, last string
		peak        int64
		date        string
	}{
		{12, "2026-11-28T00:00:00Z", "2026-11-28T23:59:59Z", 12, "2026-11-28"},
		{100, "2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z", 4, "2026-11-30"}, // 30 days: 3.33 -> 4
		{5, "2026-11-01T23:00:00Z", "2026-11-02T01:00:00Z", 3, "2026-11-02"},   // two days
		{0, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 0, ""},
	} {
		peak, date := DailyPeak(c.hits, at(c.first), at(c.last))
		gotDate := ""
		if !date.IsZero() {
			gotDate = date.Format(time.DateOnly)
		}
		if peak != c.peak || gotDate != c.date {
			t.Errorf("DailyPeak(%d, %s, %s) = %d, %q; want %d, %q", c.hits, c.first, c.last, peak, gotDate, c.peak, c.date)
		}
	}
}

// TestEndToEnd imports the fixture into the mem store and checks what a
// user sees in IpDnsResolutions.
func TestEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	newParser := func() importer.Parser { return New(importer.ParserConfig{}) }
	path := filepath.Join("testdata", "cof.jsonl")
	sum := w.Import(t, path, newParser, importer.Options{Feed: "Example pDNS"})
	if sum.Read != 5 || sum.Skipped != 0 || sum.Records != 16 { // 6 resolutions, 6 address links of the domains, 4 subdomain links
		t.Errorf("got %d read, %d skipped, %d records; want 5, 0, 16", sum.Read, sum.Skipped, sum.Records)
	}
	r := w.Report(t, "45.95.147.10")
	if len(r.Resolutions) != 1 {
		t.Fatalf("got %d resolutions, want 1", len(r.Resolutions))
	}
	res := r.Resolutions[0]
	day := time.Date(2025, 11, 28, 0, 0, 0, 0, time.UTC)
	if res.Domain != "c2.badcorp.example" || !res.FirstSeen.Equal(time.Unix(1764288000, 0)) ||
		!res.LastSeen.Equal(time.Unix(1764331200, 0)) || res.Hits != 12 || res.DailyPeak != 12 || !res.PeakDate.Equal(day) {
		t.Errorf("got resolution %+v, want c2.badcorp.example, 12 hits, peak 12 on 2025-11-28", res)
	}
	if res.Source.Feed != "Example pDNS" || res.Source.File != "cof.jsonl" {
		t.Errorf("got source %+v, want feed Example pDNS, file cof.jsonl", res.Source)
	}
	// A list rdata: each address gets the record; 100 hits over 30 days.
	r = w.Report(t, "45.95.147.12")
	if len(r.Resolutions) != 1 || r.Resolutions[0].Domain != "www.shop.example" || r.Resolutions[0].DailyPeak != 4 ||
		r.Resolutions[0].PeakDate.Format(time.DateOnly) != "2025-11-30" {
		t.Errorf("got %+v, want www.shop.example with peak 4 on 2025-11-30", r.Resolutions)
	}
	// The A record with a mapped address and count 0 joins the other.
	r = w.Report(t, "45.95.147.14")
	if len(r.Resolutions) != 1 || r.Resolutions[0].Hits != 0 || r.Resolutions[0].DailyPeak != 0 {
		t.Errorf("got %+v, want one resolution with 0 hits", r.Resolutions)
	}
	r = w.Report(t, "2a0e:97c0:3e4::25")
	if len(r.Resolutions) != 1 || r.Resolutions[0].Domain != "mail.shop.example" {
		t.Errorf("got %+v, want mail.shop.example", r.Resolutions)
	}
	// The domain lookup: the domain's addresses, the other direction of
	// the same records, with their counts and peaks.
	l := w.Links(t, intel.LinkHostIPv4, "c2.badcorp.example")
	if len(l) != 2 || l[1].Item != "45.95.147.14" || l[0].Item != "45.95.147.10" || l[0].Hits != 12 || l[0].DailyPeak != 12 || !l[0].PeakDate.Equal(day) ||
		!l[0].LastSeen.Equal(time.Unix(1764331200, 0)) {
		t.Errorf("c2.badcorp.example: got IPv4 links %+v, want 45.95.147.10 with 12 hits, peak 12 on 2025-11-28, then 45.95.147.14", l)
	}
	if got := w.LinkItems(t, intel.LinkHostIPv6, "mail.shop.example"); !slices.Equal(got, []string{"2a0e:97c0:3e4::25"}) {
		t.Errorf("mail.shop.example: got IPv6 links %v", got)
	}
	if got := w.LinkItems(t, intel.LinkSubdomains, "shop.example"); !slices.Contains(got, "www.shop.example") {
		t.Errorf("shop.example: got subdomains %v, want www.shop.example among them", got)
	}

	ips := []string{"45.95.147.10", "45.95.147.11", "45.95.147.12", "45.95.147.13", "45.95.147.14", "2a0e:97c0:3e4::25"}
	before := w.Dump(t, ips...)
	w.Import(t, path, newParser, importer.Options{Feed: "Example pDNS"})
	importtest.SameSnapshots(t, before, w.Dump(t, ips...))
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"cof.jsonl", "mixed.jsonl"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var b intel.Batch
		if err := New(importer.ParserConfig{}).Parse(line, 1, &b); err != nil {
			return
		}
		for _, r := range b.Resolutions {
			if !r.IP.IsValid() || r.IP.Is4In6() || r.Domain == "" || r.LastSeen.Before(r.FirstSeen) ||
				r.Hits < 0 || r.DailyPeak > r.Hits || r.DailyPeak < 0 {
				t.Fatalf("bad resolution %+v", r)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "cof.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	p := New(importer.ParserConfig{})
	b.SetBytes(int64(len(data) / len(lines)))
	importtest.BenchParse(b, p, lines, 0)
}
