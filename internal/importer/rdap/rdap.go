// Package rdap parses RDAP domain answers (RFC 9083), one JSON object per
// line (-format rdap), into domain registration records: dates, name
// servers, statuses as EPP codes (RFC 8056), the registrar and the
// contacts of the jCards (RFC 7095) of its entities. docs/import-formats.md
// documents the mapping.
package rdap

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// Feed is the provenance feed name of the records, when -feed is not given.
const Feed = "RDAP"

// Reasons for answers that are valid but hold nothing tipd keeps; they are
// counted (importer.Ignorer) and shown in the summary, not reported as bad
// lines.
const (
	IgnoredSuffix = "skipped: a public suffix, not a registrable domain"
	IgnoredBelow  = "skipped: a name below its registrable domain"
)

// answer is the part of an RDAP domain object tipd reads.
type answer struct {
	ObjectClassName string
	LDHName         string
	UnicodeName     string
	Status          []string
	Events          []event
	Nameservers     []nameserver
	Entities        []entity
	// An error answer (RFC 9083 section 6).
	ErrorCode *int
	Title     string
}

// event is an event of the answer: one of eventActions (0: another) and
// its date as written.
type event struct {
	Action int
	Date   []byte
}

// eventActions are the events kept, by their index in event.Action.
var eventActions = [...]string{1: "registration", 2: "last changed", 3: "expiration"}

type nameserver struct{ LDHName, UnicodeName string }

type publicID struct{ Type, Identifier string }

// entity is an RDAP entity: its roles, what its jCard says, its public
// ids and the entities inside it.
type entity struct {
	Roles     uint8 // a bit per roleNames entry
	Card      intel.DomainContact
	PublicIDs []publicID
	Entities  []entity
}

// roleNames are the entity roles read: the contact types, the registrar
// and its abuse contact.
var roleNames = [...]string{"registrant", "administrative", "technical", "billing", "registrar", "abuse"}

func (e *entity) has(role string) bool {
	for i, r := range roleNames {
		if r == role {
			return e.Roles&(1<<i) != 0
		}
	}
	return false
}

// Parser reads RDAP domain answers, one per line.
type Parser struct {
	feed    string
	ignored importer.IgnoreCounter
	a       answer // reused from line to line
}

// New returns an RDAP parser; o.Feed replaces the provenance feed "RDAP".
func New(o importer.ParserConfig) *Parser { return &Parser{feed: cmp.Or(o.Feed, Feed)} }

// Ignored implements importer.Ignorer.
func (p *Parser) Ignored() []importer.Ignored { return p.ignored.Ignored() }

// Parse implements importer.Parser: one line is one RDAP domain answer,
// which gives one DomainWhois. Blank lines and lines starting with '#' hold
// nothing.
func (p *Parser) Parse(line []byte, _ int, b *intel.Batch) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	a := &p.a
	*a = answer{Status: a.Status[:0], Events: a.Events[:0], Nameservers: a.Nameservers[:0], Entities: a.Entities[:0]}
	defer func() { clear(a.Events) }() // event dates point into line
	if err := decodeAnswer(line, a); err != nil {
		if errors.Is(err, errNotRDAP) {
			return err
		}
		return fmt.Errorf("not JSON: %v", err)
	}
	if a.ErrorCode != nil {
		return fmt.Errorf("an RDAP error answer: %d %s", *a.ErrorCode, importer.Clip(a.Title))
	}
	if a.ObjectClassName != "domain" {
		return fmt.Errorf("objectClassName %q, want \"domain\"", importer.Clip(a.ObjectClassName))
	}
	raw := cmp.Or(strings.TrimSpace(a.LDHName), strings.TrimSpace(a.UnicodeName))
	if raw == "" {
		return fmt.Errorf("no ldhName")
	}
	name, err := intel.NormalizeDomain(raw)
	if err != nil {
		return fmt.Errorf("bad ldhName: %v", err)
	}
	switch reg := intel.RegistrableDomain(name); {
	case reg == "":
		p.ignored.Add(IgnoredSuffix)
		return nil
	case reg != name:
		p.ignored.Add(IgnoredBelow)
		return nil
	}
	w := intel.DomainWhois{Domain: name, Source: intel.Source{Feed: p.feed}}
	for _, e := range a.Events {
		var at *time.Time
		switch e.Action {
		case 1:
			at = &w.Created
		case 2:
			at = &w.Updated
		case 3:
			at = &w.Expires
		default:
			continue
		}
		date := string(bytes.TrimSpace(e.Date))
		if date == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, date)
		if err != nil {
			return fmt.Errorf("bad eventDate %q of %q", importer.Clip(date), eventActions[e.Action])
		}
		// The first registration, the last change and expiry.
		t = t.UTC().Truncate(time.Second)
		if at.IsZero() || (e.Action == 1) == t.Before(*at) {
			*at = t
		}
	}
	for _, ns := range a.Nameservers {
		if n, err := intel.NormalizeDomain(cmp.Or(strings.TrimSpace(ns.LDHName), strings.TrimSpace(ns.UnicodeName))); err == nil {
			w.NameServers = append(w.NameServers, n)
		}
	}
	slices.Sort(w.NameServers)
	w.NameServers = slices.Compact(w.NameServers)
	for _, s := range a.Status {
		if s = Status(s); s != "" && !slices.Contains(w.Status, s) {
			w.Status = append(w.Status, s)
		}
	}
	entities(&w, a.Entities)
	b.Whois = append(b.Whois, w)
	return nil
}

// entities fills the registrar and the contacts from the entities of the
// answer: the first entity of each role counts. The registrar's email is
// that of its abuse contact (an entity inside the registrar's, as the
// ICANN RDAP profile puts it), else its own.
func entities(w *intel.DomainWhois, es []entity) {
	haveRegistrar := false
	for i := range es {
		e := &es[i]
		if !haveRegistrar && e.has("registrar") {
			haveRegistrar = true
			c := e.Card
			w.Registrar = c.Name
			w.RegistrationOrganization = cmp.Or(c.Organization, c.Name)
			for _, id := range e.PublicIDs {
				if strings.EqualFold(strings.TrimSpace(id.Type), "IANA Registrar ID") {
					if n, err := strconv.ParseUint(strings.TrimSpace(id.Identifier), 10, 32); err == nil {
						w.RegistrarID = strconv.FormatUint(n, 10)
						break
					}
				}
			}
			for j := range e.Entities {
				if sub := &e.Entities[j]; sub.has("abuse") && sub.Card.Email != "" {
					w.RegistrarEmail = sub.Card.Email
					break
				}
			}
			w.RegistrarEmail = cmp.Or(w.RegistrarEmail, c.Email)
		}
		for _, typ := range intel.ContactTypes {
			if !e.has(typ) || slices.ContainsFunc(w.Contacts, func(c intel.DomainContact) bool { return c.Type == typ }) {
				continue
			}
			c := e.Card
			if c == (intel.DomainContact{}) {
				continue // nothing but redacted values
			}
			c.Type = typ
			w.Contacts = append(w.Contacts, c)
		}
	}
	slices.SortStableFunc(w.Contacts, func(a, b intel.DomainContact) int {
		return slices.Index(intel.ContactTypes, a.Type) - slices.Index(intel.ContactTypes, b.Type)
	})
}
