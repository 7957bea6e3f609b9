package rpsl

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/intel"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var dumpFiles = []string{"ripe.db.inetnum", "ripe.db.inet6num", "ripe.db.route", "ripe.db.aut-num",
	"ripe.db.organisation", "ripe.db.role", "ripe.db.person.gz"}

func paths(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, filepath.Join("testdata", n))
	}
	return out
}

// scanned returns a dump that scanned every file of the test dump.
func scanned(t testing.TB) *Dump {
	t.Helper()
	d := NewDump(importer.ParserConfig{TempDir: t.TempDir()})
	if _, _, err := importer.ScanSet(context.Background(), d, paths(dumpFiles...), nil, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestGolden(t *testing.T) {
	d := scanned(t)
	for _, name := range []string{"ripe.db.inetnum", "ripe.db.inet6num", "ripe.db.route"} {
		t.Run(name, func(t *testing.T) {
			b, bad := importtest.ParseFile(t, filepath.Join("testdata", name), d.NewParser())
			if len(bad) > 0 {
				t.Fatalf("bad lines: %v", bad)
			}
			importtest.Golden(t, strings.TrimPrefix(name, "ripe.db.")+".golden", b, *update)
		})
	}
}

// TestWithoutDump parses networks without their contact files: contacts
// keep their handles.
func TestWithoutDump(t *testing.T) {
	b, bad := importtest.ParseFile(t, filepath.Join("testdata", "ripe.db.inetnum"), New(importer.ParserConfig{}))
	if len(bad) > 0 {
		t.Fatalf("bad lines: %v", bad)
	}
	got := b.WhoisNets[0].Contacts
	want := []intel.Contact{
		{OrganizationID: "ORG-EH1-TEST", Role: "owner", Type: "organisation"},
		{OrganizationID: "EHA1-TEST", Role: "admin"},
		{OrganizationID: "EHA1-TEST", Role: "tech"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got contacts %+v, want %+v", got, want)
	}
}

func TestMixed(t *testing.T) {
	_, bad := importtest.ParseFile(t, filepath.Join("testdata", "mixed.db"), New(importer.ParserConfig{}))
	// Objects end where the next one starts: the pipeline hands no blank
	// lines to parsers, so an object's errors are reported on the line that
	// starts the next object (or on the last line), naming the object's
	// first line.
	importtest.CheckBad(t, bad, map[int]string{
		2:  `not an attribute line "this line is not an attribute"`,
		12: `inetnum object at line 9: invalid range "45.95.148.300 - 45.95.148.255"`,
		15: `inetnum object at line 12: missing attribute "netname"`,
		19: `inet6num object at line 15: bad created "yesterday": want RFC 3339`,
		22: `inetnum object at line 19: range "2a0e:97c0:3e6::/48" is not of the address family of inetnum`,
		25: `route object at line 22: bad origin "64512": want ASnnn`,
		29: `inetnum object at line 25: bad country "Netherlands"`,
	})
	b, _ := importtest.ParseFile(t, filepath.Join("testdata", "mixed.db"), New(importer.ParserConfig{}))
	var names []string
	for _, n := range b.WhoisNets {
		names = append(names, n.Name)
	}
	if want := []string{"GOOD-NET", "LAST-GOOD"}; !reflect.DeepEqual(names, want) {
		t.Errorf("got networks %v, want %v", names, want)
	}
}

// TestIndexRuns scans contacts in many small runs, merged on disk, with a
// handle defined twice.
func TestIndexRuns(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for f := 0; f < 3; f++ {
		var buf bytes.Buffer
		for i := f; i < 3000; i += 3 {
			fmt.Fprintf(&buf, "person: Person %d of file %d\nnic-hdl: P%d-TEST\ne-mail: p%d@mail.example\n\n", i, f, i, i)
		}
		fmt.Fprintf(&buf, "role: Duplicate from file %d\nnic-hdl: dup-test\n\n", f)
		name := filepath.Join(dir, fmt.Sprintf("ripe.db.person.%d", f))
		os.WriteFile(name, buf.Bytes(), 0o644)
		files = append(files, name)
	}
	d := NewDump(importer.ParserConfig{TempDir: dir})
	d.runLimit = 4 << 10
	defer d.Close()
	if _, _, err := importer.ScanSet(context.Background(), d, files, nil, ""); err != nil {
		t.Fatal(err)
	}
	if d.idx.closer == nil || len(d.idx.keys) < 3001/blockRecords {
		t.Fatalf("want an on-disk index, got %d blocks", len(d.idx.keys))
	}
	for i := 0; i < 3000; i++ {
		e, ok, err := d.idx.get(key(nsNic, fmt.Sprintf("p%d-test", i)))
		if err != nil || !ok || e.Name != fmt.Sprintf("Person %d of file %d", i, i%3) || e.Email != fmt.Sprintf("p%d@mail.example", i) {
			t.Fatalf("P%d-TEST: got %+v, %v, %v", i, e, ok, err)
		}
	}
	if e, ok, _ := d.idx.get(key(nsNic, "DUP-TEST")); !ok || e.Name != "Duplicate from file 0" {
		t.Errorf("got %+v, want the first definition", e)
	}
	if _, ok, _ := d.idx.get(key(nsNic, "P3000-TEST")); ok {
		t.Errorf("found an undefined handle")
	}
	if _, ok, _ := d.idx.get(key(nsOrg, "P1-TEST")); ok {
		t.Errorf("found a nic-hdl as an organisation")
	}
	d.Close()
	if _, err := os.Stat(d.dir); !os.IsNotExist(err) {
		t.Errorf("temporary directory left: %v", err)
	}
}

// TestEndToEnd imports the dump file by file after scanning it, into the
// mem store, and checks what a user sees in IpWhoIs.
func TestEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	d := scanned(t)
	importAll := func() {
		for _, p := range paths(dumpFiles...) {
			w.Import(t, p, d.NewParser, importer.Options{Feed: "Example RIR"})
		}
	}
	importAll()

	// The customer /24 inside the allocation.
	r := w.Report(t, "45.95.147.200")
	n := r.Whois.Net
	if n == nil || n.Name != "EXAMPLE-CUSTOMER-NET" || n.Type != "inetnum" || r.Whois.Type != "inetnum" ||
		n.Start.String() != "45.95.147.0" || n.End.String() != "45.95.147.255" ||
		n.Description != "Example Hosting customers\r\nAmsterdam data centre 2" || n.Country != "DE" ||
		!n.Created.Equal(time.Date(2020, 1, 15, 12, 0, 0, 0, time.UTC)) || !n.Changed.Equal(time.Date(2025, 6, 30, 6, 30, 0, 0, time.UTC)) {
		t.Errorf("45.95.147.200: got net %+v", n)
	}
	want := []intel.Contact{
		{Address: []string{"Beispielweg 2", "10115 Berlin"}, OrganizationID: "ORG-EC2-TEST", Name: "Example Customer GmbH",
			Role: "owner", Type: "organisation", Email: "it@customer.example"},
		{Address: []string{"Example Customer GmbH", "Beispielweg 2"}, OrganizationID: "JD1-TEST", Name: "Jane Doe",
			Role: "admin", Type: "person", Phone: "+49 30 000 0000", Email: "jane.doe@customer.example"},
		{Address: []string{"Examplestraat 1", "1000 AA Amsterdam"}, OrganizationID: "EHA1-TEST", Name: "Example Hosting Abuse and NOC",
			Role: "tech", Type: "role", Phone: "+31 20 000 0002", Email: "noc@hosting.example"},
		{Address: []string{"Examplestraat 1", "1000 AA Amsterdam"}, OrganizationID: "EHA1-TEST", Name: "Example Hosting Abuse and NOC",
			Role: "abuse", Type: "role", Phone: "+31 20 000 0002", Email: "abuse@hosting.example"},
		{OrganizationID: "NOPE1-TEST", Role: "abuse"},
	}
	if !reflect.DeepEqual(r.Whois.Contacts, want) {
		t.Errorf("45.95.147.200: got contacts\n%+v\nwant\n%+v", r.Whois.Contacts, want)
	}
	if r.General.CountryCode != "DE" || r.General.Status != "Known" {
		t.Errorf("45.95.147.200: got country %q status %q, want DE Known", r.General.CountryCode, r.General.Status)
	}
	if len(r.Whois.ASN) != 1 || r.Whois.ASN[0].ASN != 64513 || !reflect.DeepEqual(r.Whois.ASN[0].Description, []string{"Customer route, origin without aut-num"}) {
		t.Errorf("45.95.147.200: got AS %+v, want AS64513 with the route's descr", r.Whois.ASN)
	}

	// The range that is not a CIDR is the most specific for its addresses.
	for ip, name := range map[string]string{"45.95.147.10": "EXAMPLE-SMALL", "45.95.147.99": "EXAMPLE-SMALL",
		"45.95.147.100": "EXAMPLE-CUSTOMER-NET", "45.95.146.1": "EXAMPLE-ALLOC"} {
		if n := w.Lookup(t, ip).Whois; n == nil || n.Name != name {
			t.Errorf("%s: got %+v, want %s", ip, n, name)
		}
	}

	// The allocation: its abuse contact comes from its organisation.
	r = w.Report(t, "45.95.145.1")
	var roles []string
	for _, c := range r.Whois.Contacts {
		roles = append(roles, c.Role+":"+c.OrganizationID)
	}
	if want := []string{"owner:ORG-EH1-TEST", "admin:EHA1-TEST", "tech:EHA1-TEST", "abuse:EHA1-TEST"}; !reflect.DeepEqual(roles, want) {
		t.Errorf("45.95.145.1: got contacts %v, want %v", roles, want)
	}
	if c := r.Whois.Contacts[0]; c.Fax != "+31 20 000 0001" || len(c.Address) != 3 {
		t.Errorf("45.95.145.1: got owner %+v", c)
	}
	if len(r.Whois.ASN) != 1 || r.Whois.ASN[0].ASN != 64512 ||
		!reflect.DeepEqual(r.Whois.ASN[0].Description, []string{"EXAMPLE-HOSTING-AS", "Example Hosting B.V.", "Amsterdam"}) {
		t.Errorf("45.95.145.1: got AS %+v, want AS64512 described by its aut-num", r.Whois.ASN)
	}

	// IPv6: the /48 inside the /29.
	r = w.Report(t, "2a0e:97c0:3e4::1")
	if r.Whois.Net == nil || r.Whois.Net.Name != "EXAMPLE-V6-CUSTOMER" || r.Whois.Type != "inet6num" || len(r.Whois.Contacts) != 2 {
		t.Errorf("2a0e:97c0:3e4::1: got %+v %+v", r.Whois.Net, r.Whois.Contacts)
	}
	if r := w.Report(t, "2a0e:97c1::1"); r.Whois.Net == nil || r.Whois.Net.Name != "EXAMPLE-V6-ALLOC" || len(r.Whois.ASN) != 1 {
		t.Errorf("2a0e:97c1::1: got %+v %+v", r.Whois.Net, r.Whois.ASN)
	}

	ips := []string{"45.95.147.200", "45.95.147.10", "45.95.145.1", "2a0e:97c0:3e4::1"}
	before := w.Dump(t, ips...)
	importAll()
	importtest.SameSnapshots(t, before, w.Dump(t, ips...))
}

func FuzzParse(f *testing.F) {
	for _, n := range append(dumpFiles[:6:6], "mixed.db") {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	d := scanned(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := d.NewParser().(*Parser)
		var b intel.Batch
		for i, l := range bytes.Split(data, []byte("\n")) {
			p.Parse(l, i+1, &b)
		}
		p.Flush(&b)
		for _, n := range b.WhoisNets {
			if !n.Prefix.IsValid() || n.Prefix != n.Prefix.Masked() || n.Name == "" || n.End.Less(n.Start) ||
				!n.Prefix.Contains(n.Start) && !n.Prefix.Contains(n.End) && !(n.Start.Less(n.Prefix.Addr()) && n.Prefix.Addr().Less(n.End)) {
				t.Fatalf("bad network %+v", n)
			}
			for _, c := range n.Contacts {
				if c.OrganizationID == "" || c.Role == "" {
					t.Fatalf("bad contact %+v", c)
				}
			}
		}
		for _, a := range b.ASRanges {
			if !a.Prefix.IsValid() || a.Prefix != a.Prefix.Masked() {
				t.Fatalf("bad AS range %+v", a)
			}
		}
	})
}

// BenchmarkParse parses the inetnum file, resolving contacts through a
// scanned dump.
func BenchmarkParse(b *testing.B) {
	d := scanned(b)
	data, err := os.ReadFile(filepath.Join("testdata", "ripe.db.inetnum"))
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var batch intel.Batch
	for i := 0; i < b.N; i++ {
		p := d.NewParser().(*Parser)
		for n, l := range lines {
			if err := p.Parse(l, n+1, &batch); err != nil {
				b.Fatal(err)
			}
		}
		p.Flush(&batch)
		batch.Reset()
	}
	b.ReportMetric(float64(b.N*3)/b.Elapsed().Seconds(), "objects/s")
}
