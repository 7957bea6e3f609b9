package pebble

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

func whoisSample() intel.DomainWhois {
	return intel.DomainWhois{
		Domain: "example.com", Created: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC),
		Updated:     time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC),
		NameServers: []string{"ns1.example.net", "ns2.example.net"}, Status: []string{"clientHold https://icann.org/epp#clientHold"},
		Registrar: "Example & <Sons> \"Registrar\"", RegistrarID: "9999", RegistrarEmail: "abuse@registrar.example",
		Contacts: []intel.DomainContact{{Type: "registrant", Name: "Zoë\u2028\x01\t\n", CountryCode: "PL"}, {Type: "technical", Email: "bad\xffutf8"}},
		Source:   intel.Source{Feed: "RDAP", File: "rdap.jsonl", Imported: time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)},
	}
}

// TestWhoisJSON checks that the WHOIS record is encoded byte for byte as
// json.Marshal encodes it, and falls back to it for times it does not
// write itself.
func TestWhoisJSON(t *testing.T) {
	full := whoisSample()
	noSource := full
	noSource.Source = intel.Source{File: "x"}
	local := full
	local.Created = time.Date(2020, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	farFuture := full
	farFuture.Expires = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		w      intel.DomainWhois
		direct bool // appendWhoisJSON writes it itself
	}{
		{"empty", intel.DomainWhois{}, true},
		{"full", full, true},
		{"file alone", noSource, true},
		{"empty lists", intel.DomainWhois{Domain: "a.example", NameServers: []string{}, Contacts: []intel.DomainContact{}}, true},
		{"not UTC", local, false},
		{"year 10000", farFuture, false},
	}
	for _, tt := range tests {
		want, wantErr := json.Marshal(&tt.w)
		got, err := whoisJSON(nil, &tt.w)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("%s: got %s, %v, want %s, %v", tt.name, got, err, want, wantErr)
		}
		if _, ok := appendWhoisJSON(nil, &tt.w); ok != tt.direct {
			t.Errorf("%s: encoded directly %v, want %v", tt.name, ok, tt.direct)
		}
	}
}

func FuzzWhoisJSON(f *testing.F) {
	f.Add("example.com", "Registrar <&>", "Zoë\u2028", "bad\xff", int64(0))
	f.Add("", "", "\x00\x1f\x7f", "\"\\", int64(1700000000123456789))
	f.Fuzz(func(t *testing.T, domain, registrar, name, email string, nanos int64) {
		w := whoisSample()
		w.Domain, w.Registrar, w.Contacts[0].Name, w.Contacts[1].Email = domain, registrar, name, email
		w.Updated = time.Unix(0, nanos).UTC()
		w.Status = append(w.Status, name+email)
		want, wantErr := json.Marshal(&w)
		got, err := whoisJSON(nil, &w)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("got %s, %v, want %s, %v", got, err, want, wantErr)
		}
	})
}

func BenchmarkWhoisJSON(b *testing.B) {
	w := whoisSample()
	w.Contacts = append(w.Contacts, intel.DomainContact{Type: "billing", Name: "REDACTED FOR PRIVACY", Organization: "Redacted for Privacy", City: "Warsaw", CountryCode: "PL"})
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			json.Marshal(&w)
		}
	})
	b.Run("append", func(b *testing.B) {
		for b.Loop() {
			whoisJSON(nil, &w)
		}
	})
	b.Run("summary", func(b *testing.B) {
		s := objSum{whois: &w}
		for b.Loop() {
			encObjSum(nil, &s)
		}
	})
}
