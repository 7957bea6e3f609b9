package rdap

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/cputime"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/intel"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestGolden(t *testing.T) {
	p := New(importer.ParserConfig{})
	b, bad := importtest.ParseFile(t, filepath.Join("testdata", "rdap.jsonl"), p)
	if len(bad) > 0 {
		t.Fatalf("bad lines: %v", bad)
	}
	importtest.GoldenParsed(t, "rdap.jsonl.golden", b, p, *update)
}

// TestRecord checks the registrar's answer of the fixture field by field.
func TestRecord(t *testing.T) {
	b, _ := importtest.ParseFile(t, filepath.Join("testdata", "rdap.jsonl"), New(importer.ParserConfig{}))
	if len(b.Whois) != 3 {
		t.Fatalf("got %d records, want 3", len(b.Whois))
	}
	w := b.Whois[1]
	d := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	want := intel.DomainWhois{
		Domain:  "phish-login.example",
		Created: d("2026-11-01T08:20:30Z"), Updated: d("2026-11-02T00:00:00Z"), Expires: d("2027-11-01T08:20:30Z"),
		NameServers:              []string{"ns1.sample-dns.example"},
		Status:                   []string{"ok https://icann.org/epp#ok"},
		Registrar:                "Sample Registrar Ltd",
		RegistrarID:              "1068",
		RegistrarEmail:           "abuse@sample-registrar.example",
		RegistrationOrganization: "Sample Registrar Holdings Ltd",
		Contacts: []intel.DomainContact{
			{Type: "registrant", Organization: "Privacy service", State: "Capital Region", CountryCode: "IS"},
			{Type: "administrative", Name: "Jane Example", Organization: "Phish Login Ltd.", Address: "Suite 5, 1 Example Street, Building B",
				City: "Exampleville", State: "EX", PostalCode: "12345", CountryCode: "US", Phone: "+1.5555550123;ext=7", Fax: "+1.5555550199",
				Email: "hostmaster@phish-login.example"},
			{Type: "technical", Name: "Jane Example", Organization: "Phish Login Ltd.", Address: "Suite 5, 1 Example Street, Building B",
				City: "Exampleville", State: "EX", PostalCode: "12345", CountryCode: "US", Phone: "+1.5555550123;ext=7", Fax: "+1.5555550199",
				Email: "hostmaster@phish-login.example"},
			{Type: "billing", Name: "Accounts", Address: "2 Example Road, Exampletown, Exampleland", CountryCode: "DE"},
		},
		Source: intel.Source{Feed: "RDAP"},
	}
	if !reflect.DeepEqual(w, want) {
		g, _ := json.MarshalIndent(w, "", " ")
		e, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got\n%s\nwant\n%s", g, e)
	}
	if w := b.Whois[0]; w.Domain != "badcorp.example" || w.RegistrarID != "9999" || w.RegistrarEmail != "abuse@registrar.example" ||
		w.RegistrationOrganization != "Example Registrar, Inc." || len(w.Contacts) != 0 ||
		strings.Join(w.NameServers, ",") != "ns1.host.example,ns2.host.example" {
		t.Errorf("registry answer: got %+v", w)
	}
	if w := b.Whois[2]; w.Domain != "xn--bcher-kva.example" ||
		strings.Join(w.Status, ",") != "pendingDelete https://icann.org/epp#pendingDelete,redemptionPeriod https://icann.org/epp#redemptionPeriod,locked" {
		t.Errorf("IDN answer: got %s %q", w.Domain, w.Status)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct{ in, want string }{
		{"client hold", "clientHold https://icann.org/epp#clientHold"},
		{"Client  Transfer Prohibited", "clientTransferProhibited https://icann.org/epp#clientTransferProhibited"},
		{"active", "ok https://icann.org/epp#ok"},
		{"associated", "linked https://icann.org/epp#linked"},
		{"auto renew period", "autoRenewPeriod https://icann.org/epp#autoRenewPeriod"},
		{"serverHold", "serverHold https://icann.org/epp#serverHold"},
		{"locked", "locked"},
		{"Transfer Prohibited", "transfer prohibited"},
		{"removed", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Status(tt.in); got != tt.want {
			t.Errorf("Status(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every RFC 8056 value maps to a distinct EPP code.
	if len(eppStatus) != 24 || len(eppCodes) != 24 {
		t.Errorf("got %d RDAP values and %d EPP codes, want the 24 of RFC 8056", len(eppStatus), len(eppCodes))
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"REDACTED FOR PRIVACY": "", "Redacted for Privacy": "", "[REDACTED]": "", "DATA REDACTED": "",
		"Not Disclosed": "", "  Jane\tExample ": "Jane Example", "Redactedville": "Redactedville",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestMixed(t *testing.T) {
	in, err := importer.OpenInput(filepath.Join("testdata", "rdap_mixed.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p := New(importer.ParserConfig{})
	b, sum, err := importer.ParseAll(t.Context(), in, p, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[int]string{}
	for _, l := range sum.Bad {
		bad[l.Line] = l.Reason
	}
	importtest.CheckBad(t, bad, map[int]string{
		2:  "not JSON: want a string at byte 1",
		3:  "an RDAP error answer: 404 Not Found",
		4:  `objectClassName "nameserver", want "domain"`,
		5:  "no ldhName",
		6:  `bad eventDate "next year" of "expiration"`,
		9:  `bad ldhName: "bad..example" is not a domain name`,
		10: "not an RDAP answer: vcardArray: jCard property with fewer than 4 members",
		11: "not an RDAP answer: want an object at byte 7",
	})
	if len(b.Whois) != 1 || b.Whois[0].Domain != "ok.example" || sum.Read != 9 || sum.Skipped != 8 {
		t.Errorf("got %d records, %d read, %d skipped, want ok.example, 9 read, 8 skipped", len(b.Whois), sum.Read, sum.Skipped)
	}
	if got, want := p.Ignored(), []importer.Ignored{{What: IgnoredBelow, N: 1}, {What: IgnoredSuffix, N: 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("ignored: got %v, want %v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"rdap.jsonl", "rdap_mixed.jsonl"} {
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
		err := New(importer.ParserConfig{}).Parse(line, 1, &b)
		trimmed := bytes.TrimSpace(line)
		if err == nil && len(trimmed) > 0 && trimmed[0] != '#' && !json.Valid(trimmed) {
			t.Fatalf("accepted a line that is not JSON: %q", line)
		}
		if err != nil && strings.HasPrefix(err.Error(), "not JSON") && json.Valid(trimmed) {
			t.Fatalf("valid JSON %q called not JSON: %v", line, err)
		}
		if err != nil {
			return
		}
		for _, w := range b.Whois {
			if n, err := intel.NormalizeDomain(w.Domain); err != nil || n != w.Domain || intel.RegistrableDomain(w.Domain) != w.Domain {
				t.Fatalf("domain %q is not a normalised registrable domain", w.Domain)
			}
			for _, ns := range w.NameServers {
				if ns != strings.ToLower(ns) || ns == "" {
					t.Fatalf("name server %q", ns)
				}
			}
			for _, s := range w.Status {
				if s == "" {
					t.Fatal("empty status")
				}
			}
			for i, c := range w.Contacts {
				if i > 0 && indexOf(w.Contacts[i-1].Type) >= indexOf(c.Type) || c.CountryCode != "" && len(c.CountryCode) != 2 {
					t.Fatalf("contacts %+v", w.Contacts)
				}
			}
			for _, tm := range []time.Time{w.Created, w.Updated, w.Expires} {
				if tm.Location() != time.UTC {
					t.Fatalf("time %v not UTC", tm)
				}
			}
		}
	})
}

func indexOf(typ string) int {
	for i, t := range intel.ContactTypes {
		if t == typ {
			return i
		}
	}
	return -1
}

// BenchmarkParse parses the fixture's answers (a registry's, a
// registrar's with four contacts, a short one) round and round, each
// under a distinct name.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "rdap.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for i := 0; i < 300; i++ {
		for _, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			l = bytes.Replace(l, []byte(`.example"`), []byte(fmt.Sprintf(`%d.example"`, i)), 1)
			lines = append(lines, l)
		}
	}
	var n int
	for _, l := range lines {
		n += len(l) + 1
	}
	b.SetBytes(int64(n / len(lines)))
	start := cputime.Now()
	importtest.BenchParse(b, New(importer.ParserConfig{}), lines, 0)
	cputime.Report(b, start)
}
