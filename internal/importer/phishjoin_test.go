package importer_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// phishSink keeps the phishing events applied to it.
type phishSink struct {
	store.Intel
	events  []intel.PhishingEvent
	domains map[string][]netip.Addr
}

func (s *phishSink) Apply(_ context.Context, b *intel.Batch) error {
	s.events = append(s.events, b.PhishingEvents...)
	return nil
}

func (s *phishSink) DomainIPs(_ context.Context, d string, limit int) ([]netip.Addr, error) {
	return s.domains[d], nil
}

// eventParser makes one phishing event per line, on the domain given.
type eventParser struct{}

func (eventParser) Parse(line []byte, n int, b *intel.Batch) error {
	ev := intel.PhishingEvent{ID: string(line), Time: fixedNow, Organization: "Example Bank"}
	if ip, err := netip.ParseAddr(string(line)); err == nil {
		ev.IP = ip
	} else {
		ev.Domain = string(line)
	}
	b.PhishingEvents = append(b.PhishingEvents, ev)
	return nil
}

func TestImportPhishingDomainJoin(t *testing.T) {
	st := &phishSink{domains: map[string][]netip.Addr{
		"login.bank.test": {netip.MustParseAddr("45.95.147.12"), netip.MustParseAddr("2a0e:97c0::12")},
	}}
	in := "login.bank.test\nnobody.bank.test\n45.95.147.20\n"
	o := importer.Options{}
	sum, err := importer.Import(context.Background(), st, strings.NewReader(in), func() importer.Parser { return eventParser{} }, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unplaced != 1 {
		t.Errorf("got %d unplaced, want 1 (the domain nobody resolved)", sum.Unplaced)
	}
	got := map[string]string{}
	for _, e := range st.events {
		got[e.IP.String()] = e.ID
	}
	want := map[string]string{"45.95.147.12": "login.bank.test", "2a0e:97c0::12": "login.bank.test", "45.95.147.20": "45.95.147.20"}
	if len(got) != len(want) {
		t.Errorf("got events on %v, want %v", got, want)
	}
	for ip, id := range want {
		if got[ip] != id {
			t.Errorf("address %s: got event %q, want %q", ip, got[ip], id)
		}
	}
}
