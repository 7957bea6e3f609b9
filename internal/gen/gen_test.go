package gen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func makeWorld(t testing.TB, o Options) ([]byte, Examples) {
	t.Helper()
	var buf bytes.Buffer
	ex, err := Write(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), ex
}

func TestDeterministic(t *testing.T) {
	o := Options{Size: 5000, Seed: 7, Now: testNow}
	a, exA := makeWorld(t, o)
	b, exB := makeWorld(t, o)
	ha, hb := sha256.Sum256(a), sha256.Sum256(b)
	if ha != hb {
		t.Fatalf("two worlds of the same options differ: %s vs %s", hex.EncodeToString(ha[:]), hex.EncodeToString(hb[:]))
	}
	ja, _ := json.Marshal(exA)
	jb, _ := json.Marshal(exB)
	if !bytes.Equal(ja, jb) {
		t.Errorf("examples differ: %s vs %s", ja, jb)
	}
	c, _ := makeWorld(t, Options{Size: 5000, Seed: 8, Now: testNow})
	if bytes.Equal(a, c) {
		t.Error("worlds of different seeds are identical")
	}
}

// special lists IANA special-purpose and other non-public ranges.
var special = []string{
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16",
	"192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
	"::/8", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
	"3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "ff00::/8",
}

func isSpecial(a netip.Addr) bool {
	for _, s := range special {
		if netip.MustParsePrefix(s).Contains(a) {
			return true
		}
	}
	return false
}

// collector keeps everything applied, by address.
type collector struct {
	store.Intel
	b   intel.Batch
	res map[string][]netip.Addr
}

func (c *collector) Apply(_ context.Context, b *intel.Batch) error {
	c.b.Sightings = append(c.b.Sightings, b.Sightings...)
	c.b.Listings = append(c.b.Listings, b.Listings...)
	c.b.HostedURLs = append(c.b.HostedURLs, b.HostedURLs...)
	c.b.Files = append(c.b.Files, b.Files...)
	c.b.Masks = append(c.b.Masks, b.Masks...)
	c.b.Resolutions = append(c.b.Resolutions, b.Resolutions...)
	c.b.ReportLinks = append(c.b.ReportLinks, b.ReportLinks...)
	c.b.SpamEvents = append(c.b.SpamEvents, b.SpamEvents...)
	c.b.PhishingEvents = append(c.b.PhishingEvents, b.PhishingEvents...)
	c.b.Countries = append(c.b.Countries, b.Countries...)
	c.b.WhoisNets = append(c.b.WhoisNets, b.WhoisNets...)
	c.b.ASRanges = append(c.b.ASRanges, b.ASRanges...)
	c.b.Allows = append(c.b.Allows, b.Allows...)
	c.b.NetListings = append(c.b.NetListings, b.NetListings...)
	c.b.Reports = append(c.b.Reports, b.Reports...)
	if c.res == nil {
		c.res = map[string][]netip.Addr{}
	}
	for _, r := range b.Resolutions {
		c.res[r.Domain] = append(c.res[r.Domain], r.IP)
	}
	return nil
}

func (c *collector) DomainIPs(_ context.Context, d string, limit int) ([]netip.Addr, error) {
	return c.res[d], nil
}

func importWorld(t *testing.T, data []byte) (*collector, importer.Summary) {
	t.Helper()
	c := &collector{}
	o := importer.Options{File: "world.jsonl", BatchSize: 1000}
	sum, err := importer.Import(context.Background(), c, bytes.NewReader(data), func() importer.Parser { return jsonl.New(o.ParserConfig()) }, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, sum
}

func TestWorldImportsCleanly(t *testing.T) {
	data, _ := makeWorld(t, Options{Size: 3000, Seed: 1, Now: testNow})
	c, sum := importWorld(t, data)
	if sum.Skipped != 0 || sum.Unplaced != 0 {
		t.Fatalf("got %d bad lines %v and %d unplaced records, want none", sum.Skipped, sum.Bad, sum.Unplaced)
	}
	if sum.Read < 3000 {
		t.Errorf("got %d records, want more than the number of addresses", sum.Read)
	}
	var v4, v6 int
	check := func(what string, a netip.Addr) {
		if isSpecial(a) {
			t.Fatalf("%s %s is in special-purpose space", what, a)
		}
	}
	for _, s := range c.b.Sightings {
		check("sighting", s.IP)
	}
	for _, p := range c.b.Countries {
		check("country range", p.Prefix.Addr())
		if p.Prefix.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	for _, p := range c.b.Allows {
		check("allow", p.Prefix.Addr())
	}
	if v6*100/(v4+v6) < 5 || v6*100/(v4+v6) > 15 {
		t.Errorf("got %d IPv4 and %d IPv6 networks, want about 10%% IPv6", v4, v6)
	}
	for _, a := range c.b.ASRanges {
		if !(a.ASN >= 64512 && a.ASN <= 65534 || a.ASN >= 4200000000) {
			t.Errorf("AS%d is not private-use", a.ASN)
		}
	}
	for _, r := range c.b.Resolutions {
		if !strings.HasSuffix(r.Domain, ".example") && !strings.HasSuffix(r.Domain, ".test") {
			t.Errorf("domain %s is not under .example or .test", r.Domain)
		}
	}
	if len(c.b.Reports) < 3 || len(c.b.ReportLinks) == 0 || len(c.b.PhishingEvents) == 0 || len(c.b.SpamEvents) == 0 ||
		len(c.b.Files) == 0 || len(c.b.Masks) == 0 || len(c.b.WhoisNets) == 0 || len(c.b.NetListings) == 0 {
		t.Errorf("world lacks a kind of evidence: %d reports, %d links, %d phishing, %d spam, %d files, %d masks, %d whois, %d netlistings",
			len(c.b.Reports), len(c.b.ReportLinks), len(c.b.PhishingEvents), len(c.b.SpamEvents), len(c.b.Files),
			len(c.b.Masks), len(c.b.WhoisNets), len(c.b.NetListings))
	}
	var truncated bool
	for _, u := range c.b.HostedURLs {
		truncated = truncated || u.Truncated
	}
	if !truncated {
		t.Error("no hosted URL was truncated")
	}
}

// TestExamples checks that each example's evidence is unambiguous for its zone.
func TestExamples(t *testing.T) {
	for _, size := range []int{5, 2000} {
		data, ex := makeWorld(t, Options{Size: size, Seed: 3, Now: testNow})
		c, _ := importWorld(t, data)
		for _, z := range []intel.Zone{intel.ZoneRed, intel.ZoneOrange, intel.ZoneYellow, intel.ZoneGreen, intel.ZoneGrey} {
			if len(ex[z]) == 0 {
				t.Fatalf("size %d: no %s example", size, z)
			}
		}
		if size == 2000 {
			var has6 bool
			for _, a := range ex[intel.ZoneRed] {
				has6 = has6 || a.Is6()
			}
			if !has6 {
				t.Errorf("no IPv6 Red example in %v", ex[intel.ZoneRed])
			}
		}
		listings := map[netip.Addr][]intel.Listing{}
		for _, l := range c.b.Listings {
			listings[l.IP] = append(listings[l.IP], l)
		}
		urls := map[netip.Addr]int{}
		for _, u := range c.b.HostedURLs {
			urls[u.IP]++
		}
		any := func(a netip.Addr) bool {
			for _, s := range c.b.Sightings {
				if s.IP == a {
					return true
				}
			}
			for _, r := range c.b.Resolutions {
				if r.IP == a {
					return true
				}
			}
			return len(listings[a]) > 0 || urls[a] > 0
		}
		for _, a := range ex[intel.ZoneRed] {
			feeds := map[string]bool{}
			for _, l := range listings[a] {
				if z, _ := intel.CategoryZone(l.Category); z != intel.ZoneRed {
					t.Errorf("Red example %s has a %s listing", a, l.Category)
				}
				feeds[l.Feed] = true
			}
			if len(feeds) < 2 || urls[a] < 2 {
				t.Errorf("Red example %s: %d feeds, %d URLs; want at least 2 of each", a, len(feeds), urls[a])
			}
		}
		for _, a := range ex[intel.ZoneOrange] {
			ls := listings[a]
			if len(ls) != 1 {
				t.Fatalf("Orange example %s has %d listings, want 1", a, len(ls))
			}
			if z, _ := intel.CategoryZone(ls[0].Category); z != intel.ZoneOrange || urls[a] > 0 {
				t.Errorf("Orange example %s: %s listing, %d URLs", a, ls[0].Category, urls[a])
			}
		}
		for _, a := range ex[intel.ZoneYellow] {
			for _, l := range listings[a] {
				if z, _ := intel.CategoryZone(l.Category); z != intel.ZoneYellow {
					t.Errorf("Yellow example %s has a %s listing", a, l.Category)
				}
			}
		}
		for _, a := range ex[intel.ZoneGreen] {
			covered := false
			for _, al := range c.b.Allows {
				covered = covered || al.Prefix.Contains(a)
			}
			if !covered || len(listings[a]) > 0 {
				t.Errorf("Green example %s: allow-listed %v, %d listings", a, covered, len(listings[a]))
			}
		}
		for _, a := range ex[intel.ZoneGrey] {
			if any(a) {
				t.Errorf("Grey example %s has evidence", a)
			}
			known := false
			for _, p := range c.b.Countries {
				known = known || p.Prefix.Contains(a)
			}
			if !known {
				t.Errorf("Grey example %s has no country", a)
			}
		}
	}
}

func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ex, err := WriteDir(dir, Options{Size: 100, Seed: 1, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ExamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	var got Examples
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got[intel.ZoneRed]) == 0 || got[intel.ZoneRed][0] != ex[intel.ZoneRed][0] {
		t.Errorf("examples.json = %s, want %v", data, ex)
	}
	f, err := os.Open(filepath.Join(dir, WorldFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if !strings.HasPrefix(line, "# tipd synthetic world") {
		t.Errorf("first line %q", line)
	}
}

func TestSizeLimits(t *testing.T) {
	if _, err := Write(io.Discard, Options{Size: -1}); err == nil {
		t.Error("negative size: no error")
	}
	if _, err := Write(io.Discard, Options{Size: MaxSize + 1}); err == nil {
		t.Error("size over MaxSize: no error")
	}
}

// TestAddressesDistinct checks that a large world never repeats an address.
func TestAddressesDistinct(t *testing.T) {
	g := newWorld(Options{Size: 200000, Seed: 5, Now: testNow}, io.Discard)
	seen := make(map[netip.Addr]struct{}, g.o.Size)
	for i := 0; i < g.o.Size; i++ {
		a := g.addr(i)
		if _, dup := seen[a]; dup {
			t.Fatalf("address %d (%s) repeats", i, a)
		}
		if isSpecial(a) {
			t.Fatalf("address %s is special-purpose", a)
		}
		seen[a] = struct{}{}
	}
}

func BenchmarkWrite(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Write(io.Discard, Options{Size: 10000, Seed: 1, Now: testNow}); err != nil {
			b.Fatal(err)
		}
	}
}
