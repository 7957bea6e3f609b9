package pebble

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// whoisForms encodes w as encWhois does and as JSON, and decodes both
// sections.
func whoisForms(t testing.TB, w *intel.DomainWhois) (bin, fromJSON intel.DomainWhois, binary bool) {
	t.Helper()
	var e enc
	if err := encWhois(&e, w); err != nil {
		t.Fatalf("encWhois: %v", err)
	}
	d := dec{s: string(e.b)}
	sec := d.view()
	if d.err != nil || d.s != "" || sec == "" {
		t.Fatalf("section %q: length does not match (err %v, %d bytes left)", e.b, d.err, len(d.s))
	}
	decWhois(&d, sec, &bin)
	if d.err != nil {
		t.Fatalf("decode %q: %v", sec, d.err)
	}
	j, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	d = dec{s: string(j)}
	decWhois(&d, string(j), &fromJSON)
	if d.err != nil {
		t.Fatalf("decode JSON %s: %v", j, d.err)
	}
	return bin, fromJSON, sec[0] == whoisBinary
}

// TestWhoisBinary checks that the binary form of a WHOIS record decodes to
// what its JSON form (which stores written before hold) decodes to, and
// that records the binary form cannot hold so are written as JSON.
func TestWhoisBinary(t *testing.T) {
	full := whoisSample()
	local := full
	local.Created = time.Date(2020, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	year0 := full
	year0.Expires = time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC)
	long := full
	long.Registrar = strings.Repeat("r", 20000) // a length of three bytes
	tiny := intel.DomainWhois{Domain: "a.example"}
	mid := intel.DomainWhois{Domain: strings.Repeat("d", 200)} // a length of two bytes
	tests := []struct {
		name   string
		w      intel.DomainWhois
		binary bool
	}{
		{"empty", intel.DomainWhois{}, true},
		{"tiny", tiny, true},
		{"mid", mid, true},
		{"full", full, true},
		{"long", long, true},
		{"empty lists", intel.DomainWhois{Domain: "a.example", NameServers: []string{}, Status: []string{}, Contacts: []intel.DomainContact{}}, true},
		{"invalid UTF-8", intel.DomainWhois{Domain: "a\xff\xfe.example", NameServers: []string{"\xed\xa0\x80"}, Source: intel.Source{Feed: "\xc3"}}, true},
		{"not UTC", local, false},
		{"year 0", year0, false},
	}
	for _, tt := range tests {
		bin, want, binary := whoisForms(t, &tt.w)
		if binary != tt.binary {
			t.Errorf("%s: binary form %v, want %v", tt.name, binary, tt.binary)
		}
		if !reflect.DeepEqual(bin, want) {
			t.Errorf("%s: got %+v, want %+v (from JSON)", tt.name, bin, want)
		}
	}
}

func FuzzWhoisBinary(f *testing.F) {
	f.Add("example.com", "Registrar <&>", "Zoë\u2028", "bad\xff", int64(0), true)
	f.Add("", "", "\x00\x1f\x7f", "\"\\", int64(1700000000123456789), false)
	f.Fuzz(func(t *testing.T, domain, registrar, name, email string, nanos int64, lists bool) {
		w := whoisSample()
		w.Domain, w.Registrar, w.Contacts[0].Name, w.Contacts[1].Email = domain, registrar, name, email
		w.Updated = time.Unix(0, nanos).UTC()
		w.Status = append(w.Status, name+email)
		if !lists {
			w.NameServers, w.Contacts = nil, []intel.DomainContact{}
		}
		bin, want, _ := whoisForms(t, &w)
		if !reflect.DeepEqual(bin, want) {
			t.Fatalf("got %+v, want %+v (from JSON)", bin, want)
		}
	})
}
