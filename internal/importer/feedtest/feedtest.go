// Package feedtest runs feed fixtures end to end for the importers' tests:
// it imports a file with importer.Import into an in-memory store, builds
// the report of an address as the API does (network data refreshed from
// the store, a fixed clock) and decodes the rendered TIP JSON into the
// fields a user sees.
package feedtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
)

// Now is the fixed present of the end-to-end tests.
var Now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// World is a store and a report builder over it.
type World struct {
	Store store.Intel
	Net   *netdata.Holder
}

// New returns an empty in-memory world.
func New() *World {
	return &World{Store: mem.New(), Net: netdata.NewHolder()}
}

// Import imports path with parsers made by mk and refreshes the network
// data; with gz the file is gzip-compressed into a temporary copy first.
func (w *World) Import(t testing.TB, path string, gz bool, mk func() importer.Parser, o importer.Options) importer.Summary {
	t.Helper()
	if gz {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		path = filepath.Join(t.TempDir(), filepath.Base(path)+".gz")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err := importer.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if gz != in.Compressed() {
		t.Fatalf("%s: compressed = %v, want %v", path, in.Compressed(), gz)
	}
	o.File = path
	o.Now = func() time.Time { return Now }
	ctx := context.Background()
	sum, err := importer.Import(ctx, w.Store, in, mk, o)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	if err := w.Net.Refresh(ctx, w.Store, true); err != nil {
		t.Fatal(err)
	}
	return sum
}

// Report is the part of an address's TIP JSON report the tests look at.
type Report struct {
	Zone          string
	IpGeneralInfo struct {
		Status      string
		ThreatScore int
		Categories  []string
	}
	RelatedObjects struct{ HasRedZone bool }
	HostedUrls     []struct {
		Zone           string
		Url            string
		IsUrlTruncated bool
		FirstSeen      *string
		LastSeen       *string
	}
	FeedMasks []struct {
		Zone           string
		Status         *string
		NormalizedMask string
		FeedNames      []string
		MaskType       string
	}
	IPPhishingInfo struct {
		PhishingAttacks      int64    `json:"phishing_attacks"`
		LastAttackDate       *string  `json:"last_attack_date"`
		AttackedOrganization []string `json:"attacked_organization"`
	}
	FilesDownloadedFromIp []json.RawMessage
}

// IP builds and renders the full report of ip; it returns the decoded
// fields and the JSON.
func (w *World) IP(t testing.TB, ip string) (Report, []byte) {
	t.Helper()
	b := &report.Builder{Store: w.Store, Net: w.Net, Now: func() time.Time { return Now }}
	r, err := b.IP(context.Background(), netip.MustParseAddr(ip), report.AllIPSections, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := render.IPJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	var out Report
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("report of %s: %v\n%s", ip, err, data)
	}
	return out, data
}

// Snapshot renders the reports of ips, to compare before and after a
// re-import.
func (w *World) Snapshot(t testing.TB, ips ...string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(ips))
	for _, ip := range ips {
		_, data := w.IP(t, ip)
		out[ip] = string(data)
	}
	return out
}

// SameSnapshots fails t where two snapshots differ.
func SameSnapshots(t testing.TB, before, after map[string]string) {
	t.Helper()
	for ip, b := range before {
		if a := after[ip]; a != b {
			t.Errorf("re-import changed the report of %s:\nbefore %s\nafter  %s", ip, b, a)
		}
	}
}

// Str is *s, or "null".
func Str(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}
