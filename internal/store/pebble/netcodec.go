package pebble

import (
	"net/netip"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Network records (N keys) use the value encoding of codec.go: a value
// format byte, then the record's fields in declaration order. Addresses
// keep their family (an IPv4-mapped IPv6 address stays one).
//
// Each record has one code function that names its fields in order; it
// runs with an encoding or a decoding fieldCoder, so that the two
// directions cannot drift apart.

// fieldCoder encodes or decodes one field.
type fieldCoder interface {
	prefix(*netip.Prefix)
	ip(*netip.Addr)
	str(*string)
	strs(*[]string)
	time(*time.Time)
	u32(*uint32)
	cat(*intel.Category)
	zone(*intel.Zone)
	source(*intel.Source)
	count(n int) int // the length of a list: written, or read and checked
}

type encoder struct{ e *enc }

func (c encoder) prefix(p *netip.Prefix) {
	a := p.Addr()
	c.ip(&a)
	c.e.byte(byte(p.Bits() + 1)) // 0: invalid
}

func (c encoder) ip(a *netip.Addr) {
	e := c.e
	switch {
	case !a.IsValid():
		e.byte(0)
	case a.Is4():
		e.byte(4)
		b := a.As4()
		e.b = append(e.b, b[:]...)
	default:
		e.byte(6)
		b := a.As16()
		e.b = append(e.b, b[:]...)
		e.str(a.Zone())
	}
}

func (c encoder) str(s *string)          { c.e.str(*s) }
func (c encoder) strs(s *[]string)       { c.e.strs(*s) }
func (c encoder) time(t *time.Time)      { c.e.time(*t) }
func (c encoder) u32(v *uint32)          { c.e.uvarint(uint64(*v)) }
func (c encoder) cat(v *intel.Category)  { c.e.cat(*v) }
func (c encoder) zone(v *intel.Zone)     { c.e.zone(*v) }
func (c encoder) source(v *intel.Source) { c.e.source(*v) }
func (c encoder) count(n int) int        { c.e.uvarint(uint64(n)); return n }

type decoder struct{ d *dec }

func (c decoder) prefix(p *netip.Prefix) {
	var a netip.Addr
	c.ip(&a)
	bits := int(c.d.byte()) - 1
	switch {
	case !a.IsValid() || bits < 0:
		*p = netip.Prefix{}
	case bits > a.BitLen():
		c.d.fail()
	default:
		*p = netip.PrefixFrom(a, bits)
	}
}

func (c decoder) ip(a *netip.Addr) {
	d := c.d
	*a = netip.Addr{}
	switch d.byte() {
	case 0:
	case 4:
		if len(d.s) < 4 {
			d.fail()
			return
		}
		*a = netip.AddrFrom4([4]byte([]byte(d.s[:4])))
		d.s = d.s[4:]
	case 6:
		if len(d.s) < 16 {
			d.fail()
			return
		}
		*a = netip.AddrFrom16([16]byte([]byte(d.s[:16])))
		d.s = d.s[16:]
		if z := d.str(); z != "" {
			*a = a.WithZone(z)
		}
	default:
		d.fail()
	}
}

func (c decoder) str(s *string)          { *s = c.d.str() }
func (c decoder) strs(s *[]string)       { *s = c.d.strs() }
func (c decoder) time(t *time.Time)      { *t = c.d.time() }
func (c decoder) cat(v *intel.Category)  { *v = c.d.cat() }
func (c decoder) zone(v *intel.Zone)     { *v = c.d.zone() }
func (c decoder) source(v *intel.Source) { *v = c.d.source() }

func (c decoder) u32(v *uint32) {
	n := c.d.uvarint()
	if n > 1<<32-1 {
		c.d.fail()
	}
	*v = uint32(n)
}

func (c decoder) count(int) int {
	n := c.d.uvarint()
	if n > uint64(len(c.d.s)) { // every element takes a byte at least
		c.d.fail()
		return 0
	}
	return int(n)
}

// encNet encodes r with its code function.
func encNet[T any](dst []byte, r *T, code func(fieldCoder, *T)) []byte {
	e := &enc{b: dst}
	e.byte(valueFormat)
	code(encoder{e}, r)
	return e.b
}

// decNet decodes v into r with its code function; errCorrupt if v is not
// one whole record.
func decNet[T any](v []byte, r *T, code func(fieldCoder, *T)) error {
	d := &dec{s: string(v)}
	d.header()
	code(decoder{d}, r)
	if d.err == nil && len(d.s) != 0 {
		d.fail()
	}
	return d.err
}

func codeCountry(c fieldCoder, r *intel.CountryRange) {
	c.prefix(&r.Prefix)
	c.str(&r.Country)
	c.source(&r.Source)
}

func codeASRange(c fieldCoder, r *intel.ASRange) {
	c.prefix(&r.Prefix)
	c.u32(&r.ASN)
	c.strs(&r.Description)
	c.source(&r.Source)
}

func codeWhoisNet(c fieldCoder, r *intel.WhoisNet) {
	c.prefix(&r.Prefix)
	c.str(&r.Type)
	c.ip(&r.Start)
	c.ip(&r.End)
	c.str(&r.Name)
	c.str(&r.Description)
	c.time(&r.Created)
	c.time(&r.Changed)
	c.str(&r.Country)
	if n := c.count(len(r.Contacts)); n != len(r.Contacts) {
		r.Contacts = make([]intel.Contact, n)
	}
	for i := range r.Contacts {
		x := &r.Contacts[i]
		c.strs(&x.Address)
		for _, s := range []*string{&x.OrganizationID, &x.Name, &x.Role, &x.Type, &x.Fax, &x.Phone, &x.Email} {
			c.str(s)
		}
	}
	c.source(&r.Source)
}

func codeNetListing(c fieldCoder, r *intel.NetListing) {
	c.prefix(&r.Prefix)
	c.cat(&r.Category)
	c.zone(&r.Zone)
	c.str(&r.Feed)
	c.time(&r.FirstSeen)
	c.time(&r.LastSeen)
	c.source(&r.Source)
}

func codeAllow(c fieldCoder, r *intel.Allow) {
	c.prefix(&r.Prefix)
	c.str(&r.List)
	c.source(&r.Source)
}
