package rpsl

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// maxContacts bounds the contacts of one network.
const maxContacts = 16

// cacheSize bounds the entries a parser keeps of recent look-ups.
const cacheSize = 4096

// Parser parses the objects of one RPSL file. Objects of other classes than
// inetnum, inet6num, route and route6 hold no record (contacts and aut-num
// objects are read by Dump.Scan).
type Parser struct {
	rd    reader
	idx   *index
	cache map[string]cached
}

type cached struct {
	e  entry
	ok bool
}

// New returns a parser without a contact index: contacts carry their
// handle only. Use Dump to resolve them.
func New(importer.ParserConfig) *Parser { return &Parser{} }

// Parse implements importer.Parser. The records of an object are appended
// when the blank line that ends it is parsed (or by Flush at the end of the
// file); errors found then name the object's first line.
func (p *Parser) Parse(line []byte, lineNo int, b *intel.Batch) error {
	done, lerr := p.rd.add(line, lineNo)
	if done {
		if err := p.emit(b); err != nil {
			return err
		}
	}
	return lerr
}

// Flush implements importer.Flusher: it ends the last object.
func (p *Parser) Flush(b *intel.Batch) error {
	if len(p.rd.obj.attrs) == 0 {
		return nil
	}
	p.rd.end()
	return p.emit(b)
}

func (p *Parser) emit(b *intel.Batch) error {
	o := &p.rd.done
	defer o.reset()
	if o.broken {
		return nil
	}
	var err error
	switch o.class() {
	case "inetnum", "inet6num":
		err = p.network(o, b)
	case "route", "route6":
		err = p.route(o, b)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s object at line %d: %w", o.class(), o.line, err)
	}
	return nil
}

func (p *Parser) network(o *object, b *intel.Batch) error {
	typ := o.class()
	start, end, prefixes, err := importer.ParseRange(o.attrs[0].value)
	if err != nil {
		return err
	}
	if start.Is4() != (typ == "inetnum") {
		return fmt.Errorf("range %q is not of the address family of %s", clip(o.attrs[0].value), typ)
	}
	if typ == "inet6num" && !strings.Contains(o.attrs[0].value, "/") {
		return fmt.Errorf("inet6num %q: want a prefix", clip(o.attrs[0].value))
	}
	name := o.first("netname")
	if name == "" {
		return fmt.Errorf("missing attribute %q", "netname")
	}
	created, err := date(o, "created")
	if err != nil {
		return err
	}
	changed, err := date(o, "last-modified")
	if err != nil {
		return err
	}
	cc := ""
	if c := o.first("country"); c != "" {
		if len(c) != 2 || !isLetter(c[0]) || !isLetter(c[1]) {
			return fmt.Errorf("bad country %q", clip(c))
		}
		cc = strings.ToUpper(c)
	}
	contacts, err := p.contacts(o)
	if err != nil {
		return err
	}
	desc := strings.Join(o.all("descr"), "\r\n")
	for _, pf := range prefixes {
		b.WhoisNets = append(b.WhoisNets, intel.WhoisNet{Prefix: pf, Type: typ, Start: start, End: end, Name: name,
			Description: desc, Created: created, Changed: changed, Country: cc, Contacts: contacts})
	}
	return nil
}

func (p *Parser) route(o *object, b *intel.Batch) error {
	v := o.attrs[0].value
	_, _, prefixes, err := importer.ParseRange(v)
	if err != nil || !strings.Contains(v, "/") || len(prefixes) != 1 {
		return fmt.Errorf("bad prefix %q", clip(v))
	}
	pf := prefixes[0]
	if pf.Addr().Is4() != (o.class() == "route") {
		return fmt.Errorf("prefix %s is not of the address family of %s", pf, o.class())
	}
	origin := o.first("origin")
	asn, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(origin), "AS"), 10, 32)
	if err != nil || !strings.HasPrefix(strings.ToUpper(origin), "AS") {
		return fmt.Errorf("bad origin %q: want ASnnn", clip(origin))
	}
	desc := o.all("descr")
	if e, ok, err := p.lookup(key(nsAutNum, origin)); err != nil {
		return err
	} else if ok {
		desc = append([]string{e.Name}, e.Descr...)
		if e.Name == "" {
			desc = e.Descr
		}
	}
	b.ASRanges = append(b.ASRanges, intel.ASRange{Prefix: pf, ASN: uint32(asn), Description: desc})
	return nil
}

// contacts resolves the org, admin-c, tech-c and abuse-c handles. A
// network without abuse-c gets the abuse-c of its organisation.
func (p *Parser) contacts(o *object) ([]intel.Contact, error) {
	var out []intel.Contact
	seen := map[string]bool{}
	hasAbuse := false
	add := func(ns byte, handle, role string) (entry, error) {
		handle = strings.TrimSpace(handle)
		k := key(ns, handle)
		if handle == "" || seen[role+k] || len(out) >= maxContacts {
			return entry{}, nil
		}
		seen[role+k] = true
		e, ok, err := p.lookup(k)
		if err != nil {
			return e, err
		}
		c := intel.Contact{OrganizationID: handle, Role: role}
		if ns == nsOrg {
			c.Type = "organisation"
		}
		if ok {
			c = intel.Contact{Address: e.Address, OrganizationID: e.Handle, Name: e.Name, Role: role, Type: e.Class,
				Fax: e.Fax, Phone: e.Phone, Email: e.Email}
			if role == "abuse" && e.Abuse != "" {
				c.Email = e.Abuse
			}
		}
		out = append(out, c)
		return e, nil
	}
	var orgs []entry
	for _, a := range o.attrs {
		var err error
		var e entry
		switch a.name {
		case "org":
			e, err = add(nsOrg, a.value, "owner")
			orgs = append(orgs, e)
		case "admin-c":
			_, err = add(nsNic, a.value, "admin")
		case "tech-c":
			_, err = add(nsNic, a.value, "tech")
		case "abuse-c":
			hasAbuse = true
			_, err = add(nsNic, a.value, "abuse")
		}
		if err != nil {
			return nil, err
		}
	}
	if !hasAbuse {
		for _, e := range orgs {
			if e.AbuseC != "" {
				if _, err := add(nsNic, e.AbuseC, "abuse"); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// lookup reads an entry from the index through a small cache.
func (p *Parser) lookup(k string) (entry, bool, error) {
	if p.idx == nil {
		return entry{}, false, nil
	}
	if c, ok := p.cache[k]; ok {
		return c.e, c.ok, nil
	}
	e, ok, err := p.idx.get(k)
	if err != nil {
		return e, false, err
	}
	if p.cache == nil {
		p.cache = make(map[string]cached)
	} else if len(p.cache) >= cacheSize {
		clear(p.cache)
	}
	p.cache[k] = cached{e, ok}
	return e, ok, nil
}

func date(o *object, name string) (time.Time, error) {
	s := o.first(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad %s %q: want RFC 3339", name, clip(s))
	}
	return t.UTC(), nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
