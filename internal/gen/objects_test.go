package gen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store/mem"
)

// lookupWorld imports a world into a memory store and returns a report
// builder over it with the world's clock.
func lookupWorld(t *testing.T, data []byte) *report.Builder {
	t.Helper()
	ctx := context.Background()
	st := mem.New()
	o := importer.Options{Feed: "demo", File: "world.jsonl", BatchSize: 1000}
	sum, err := importer.Import(ctx, st, bytes.NewReader(data), func() importer.Parser { return jsonl.New(o.ParserConfig()) }, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 0 || sum.Unplaced != 0 {
		t.Fatalf("got %d bad lines %v and %d unplaced records, want none", sum.Skipped, sum.Bad, sum.Unplaced)
	}
	net := netdata.NewHolder()
	if err := net.Refresh(ctx, st, true); err != nil {
		t.Fatal(err)
	}
	return &report.Builder{Store: st, Net: net, Now: func() time.Time { return testNow }}
}

// objectAnswer is the JSON answer of a domain, web address or file with
// every section, and its zone.
func objectAnswer(t *testing.T, b *report.Builder, kind, v string) (map[string]any, intel.Zone) {
	t.Helper()
	ctx := context.Background()
	var body []byte
	var zone intel.Zone
	var err error
	switch kind {
	case "domain":
		var r *report.DomainReport
		if r, err = b.Domain(ctx, v, report.AllDomainSections, 0); err == nil {
			zone = r.Zone
			body, err = render.DomainJSON(r)
		}
	case "url":
		var r *report.URLReport
		if r, err = b.URL(ctx, v, report.AllURLSections, 0); err == nil {
			zone = r.Zone
			body, err = render.URLJSON(r)
		}
	default:
		var r *report.FileReport
		if r, err = b.File(ctx, v, report.AllFileSections, 0); err == nil {
			zone = r.Zone
			body, err = render.FileJSON(r)
		}
	}
	if err != nil {
		t.Fatalf("%s %s: %v", kind, v, err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m, zone
}

// filled reports whether a JSON value holds data: not null, "", 0, false,
// an empty list or an object of such values.
func filled(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case float64:
		return x != 0
	case bool:
		return x
	case []any:
		return len(x) > 0
	case map[string]any:
		for _, y := range x {
			if filled(y) {
				return true
			}
		}
	}
	return false
}

// TestObjectExamples imports the world and looks up every object example:
// each answers the zone it is an example of, every zone a kind has has an
// example, and every section of each lookup holds data for at least one
// example (the Red ones nearly all).
var allZones = []intel.Zone{intel.ZoneRed, intel.ZoneOrange, intel.ZoneYellow, intel.ZoneGreen, intel.ZoneGrey}

func TestObjectExamples(t *testing.T) {
	for _, size := range []int{5, 2000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { testObjectExamples(t, size) })
	}
}

func testObjectExamples(t *testing.T, size int) {
	var buf bytes.Buffer
	_, ex, err := WriteWorld(&buf, Options{Size: size, Seed: 3, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	b := lookupWorld(t, buf.Bytes())
	for _, k := range []struct {
		kind  string
		m     map[intel.Zone][]string
		zones []intel.Zone
	}{
		{"domain", ex.Domains, allZones},
		{"url", ex.URLs, allZones},
		{"hash", ex.Hashes, []intel.Zone{intel.ZoneRed, intel.ZoneYellow, intel.ZoneGreen, intel.ZoneGrey}},
	} {
		sections := map[string]bool{}
		for z, vs := range k.m {
			if !slices.Contains(k.zones, z) {
				t.Errorf("%s example in zone %s, which %ss do not have", k.kind, z, k.kind)
			}
			for _, v := range vs {
				ans, got := objectAnswer(t, b, k.kind, v)
				if got != z {
					t.Errorf("%s %s: got zone %s, want %s", k.kind, v, got, z)
				}
				for s, x := range ans {
					if _, ok := sections[s]; !ok {
						sections[s] = false
					}
					sections[s] = sections[s] || filled(x)
				}
			}
		}
		for _, z := range k.zones {
			if len(k.m[z]) == 0 {
				t.Errorf("no %s example for %s", k.kind, z)
			}
		}
		for s, ok := range sections {
			if !ok && s != "LicenseInfo" {
				t.Errorf("%s lookups: section %s empty for every example", k.kind, s)
			}
		}
	}
}

func TestObjectExamplesFile(t *testing.T) {
	dir := t.TempDir()
	_, ex, err := WriteWorldDir(dir, Options{Size: 100, Seed: 1, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ObjectExamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	var got ObjectExamples
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(ex) {
		t.Errorf("%s = %s, want %v", ObjectExamplesFile, data, ex)
	}
	for _, v := range ex.Domains[intel.ZoneRed] {
		if !strings.HasSuffix(v, ".example") && !strings.HasSuffix(v, ".test") {
			t.Errorf("domain example %s is not under .example or .test", v)
		}
	}
}
