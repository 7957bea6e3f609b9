package rdap_test

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/importer/rdap"
	"github.com/tipd/tipd/internal/intel"
)

// whois prints the registration records the store holds for names.
func whois(t *testing.T, w *importtest.World, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		s, err := w.Store.Object(context.Background(), intel.ObjectHost, n)
		if err != nil {
			t.Fatal(err)
		}
		s.Whois.Source = intel.Source{}
		data, err := json.Marshal(s.Whois)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(data)
	}
	return out
}

func TestEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	mk := func() importer.Parser { return rdap.New(importer.ParserConfig{}) }
	path := filepath.Join("testdata", "rdap.jsonl")
	sum := w.Import(t, path, mk, importer.Options{})
	if sum.Read != 3 || sum.Applied != 3 || sum.Skipped != 0 {
		t.Errorf("got %s, want 3 read and applied", sum)
	}
	ctx := context.Background()
	s, err := w.Store.Object(ctx, intel.ObjectHost, "badcorp.example")
	if err != nil {
		t.Fatal(err)
	}
	r := s.Whois
	if !s.Known() || r.Domain != "badcorp.example" || r.Created.Format("2006-01-02T15:04:05Z") != "2025-10-01T00:00:00Z" ||
		r.Expires.Format("2006-01-02") != "2026-10-01" || r.Updated.Format(timeLayout) != "2025-10-02T08:00:00Z" ||
		strings.Join(r.NameServers, " ") != "ns1.host.example ns2.host.example" ||
		r.Registrar != "Example Registrar, Inc." || r.RegistrarID != "9999" || r.RegistrarEmail != "abuse@registrar.example" ||
		r.RegistrationOrganization != "Example Registrar, Inc." || len(r.Contacts) != 0 || r.Source.Feed != "RDAP" || r.Source.File != "rdap.jsonl" {
		t.Errorf("badcorp.example: got %+v", r)
	}
	if got := strings.Join(r.Status, "|"); got != "clientTransferProhibited https://icann.org/epp#clientTransferProhibited|clientHold https://icann.org/epp#clientHold|serverDeleteProhibited https://icann.org/epp#serverDeleteProhibited" {
		t.Errorf("badcorp.example status: got %q", got)
	}
	s, err = w.Store.Object(ctx, intel.ObjectHost, "phish-login.example")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, c := range s.Whois.Contacts {
		types = append(types, c.Type)
	}
	if strings.Join(types, ",") != "registrant,administrative,technical,billing" || s.Whois.Contacts[0].Name != "" ||
		s.Whois.Contacts[0].CountryCode != "IS" || s.Whois.Contacts[1].Email != "hostmaster@phish-login.example" {
		t.Errorf("phish-login.example contacts: got %+v", s.Whois.Contacts)
	}
	// Names the file does not hold have no record.
	if s, _ := w.Store.Object(ctx, intel.ObjectHost, "c2.badcorp.example"); s.Whois.Domain != "" {
		t.Errorf("c2.badcorp.example: got a record of its own %+v", s.Whois)
	}
	names := []string{"badcorp.example", "phish-login.example", "xn--bcher-kva.example"}
	before := whois(t, w, names...)
	w.Import(t, importtest.Gzip(t, path), mk, importer.Options{})
	if after := whois(t, w, names...); !maps.Equal(before, after) {
		t.Errorf("re-import changed the records:\nbefore %v\nafter  %v", before, after)
	}
}

const timeLayout = "2006-01-02T15:04:05Z"
