package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// TestTAXIIObjects checks the objects of the TAXII collections: each valid
// against the OASIS schemas (as a bundle and alone), the indicator equal
// to the one of the format=stix bundle of the same report, versions equal
// to modified, and nothing for Grey or Green addresses.
func TestTAXIIObjects(t *testing.T) {
	v := newSTIXValidator(t)
	type objs struct {
		name    string
		objects []Object
		bundle  []byte
	}
	red, orange, u := redReport(), orangeReport(), urlReport()
	cases := []objs{
		{"red", IPIndicator(red, stixNow), appendIPBundle(nil, red, stixNow, goldenBundleID)},
		{"orange", IPIndicator(orange, stixNow), appendIPBundle(nil, orange, stixNow, goldenBundleID)},
		{"url", URLIndicator(u, stixNow), appendURLBundle(nil, u, stixNow, goldenBundleID)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.objects) != 3 {
				t.Fatalf("%d objects, want observable, indicator, relationship", len(tc.objects))
			}
			var b bytes.Buffer
			b.WriteString(`{"type":"bundle","id":"` + goldenBundleID + `","objects":[`)
			b.Write(Identity().JSON)
			for _, o := range tc.objects {
				b.WriteByte(',')
				b.Write(o.JSON)
				var m map[string]any
				if err := json.Unmarshal(o.JSON, &m); err != nil {
					t.Fatalf("%s: %v", o.ID, err)
				}
				if m["id"] != o.ID || m["type"] != o.Type {
					t.Errorf("object %s/%s says id %v type %v", o.ID, o.Type, m["id"], m["type"])
				}
				mod, _ := m["modified"].(string)
				if (mod == "") != o.Version.IsZero() || (mod != "" && mod != o.Version.Format("2006-01-02T15:04:05.000Z")) {
					t.Errorf("%s: version %v, modified %q", o.ID, o.Version, mod)
				}
			}
			b.WriteString("]}")
			if err := v.validate(b.Bytes()); err != nil {
				t.Errorf("objects fail the STIX 2.1 schemas: %v\n%s", err, b.Bytes())
			}
			// The indicator is the lookup bundle's, byte for byte.
			ind := string(tc.objects[1].JSON)
			if tc.objects[1].Type != "indicator" || !strings.Contains(string(tc.bundle), ind) {
				t.Errorf("the indicator differs from the bundle's:\n%s\n%s", ind, tc.bundle)
			}
		})
	}
	for _, z := range []intel.Zone{intel.ZoneGrey, intel.ZoneGreen, intel.ZoneYellow} {
		r := zoneReport(z, intel.CatAdware)
		if got := IPIndicator(r, stixNow); got != nil {
			t.Errorf("%s address: %d objects, want none", z, len(got))
		}
	}
	if got := URLIndicator(&report.URLReport{URL: "a.example/", Zone: intel.ZoneGrey}, stixNow); got != nil {
		t.Errorf("grey web address: %d objects", len(got))
	}
	// Undated evidence takes the given time, so a TAXII entry stays stable.
	r := redReport()
	r.General.FirstSeen, r.LastSeen = time.Time{}, time.Time{}
	a, b := IPIndicator(r, stixNow), IPIndicator(r, stixNow)
	if !bytes.Equal(a[1].JSON, b[1].JSON) {
		t.Errorf("two renderings differ")
	}
}
