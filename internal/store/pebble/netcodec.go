package pebble

import (
	"net/netip"

	"github.com/tipd/tipd/internal/intel"
)

// Network records (N keys) use the value encoding of codec.go: a value
// format byte, then the record's fields in declaration order. Addresses
// keep their family (an IPv4-mapped IPv6 address stays one).

func (e *enc) ip(a netip.Addr) {
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

func (d *dec) ip() netip.Addr {
	switch d.byte() {
	case 0:
		return netip.Addr{}
	case 4:
		if len(d.s) < 4 {
			d.fail()
			return netip.Addr{}
		}
		a := netip.AddrFrom4([4]byte([]byte(d.s[:4])))
		d.s = d.s[4:]
		return a
	case 6:
		if len(d.s) < 16 {
			d.fail()
			return netip.Addr{}
		}
		a := netip.AddrFrom16([16]byte([]byte(d.s[:16])))
		d.s = d.s[16:]
		if z := d.str(); z != "" {
			a = a.WithZone(z)
		}
		return a
	}
	d.fail()
	return netip.Addr{}
}

func (e *enc) prefix(p netip.Prefix) {
	e.ip(p.Addr())
	e.byte(byte(p.Bits() + 1)) // 0: invalid
}

func (d *dec) prefix() netip.Prefix {
	a := d.ip()
	bits := int(d.byte()) - 1
	if !a.IsValid() || bits < 0 {
		return netip.Prefix{}
	}
	if bits > a.BitLen() {
		d.fail()
		return netip.Prefix{}
	}
	return netip.PrefixFrom(a, bits)
}

func encCountry(dst []byte, r *intel.CountryRange) []byte {
	e := enc{dst}
	e.byte(valueFormat)
	e.prefix(r.Prefix)
	e.str(r.Country)
	e.source(r.Source)
	return e.b
}

func decCountry(d *dec, r *intel.CountryRange) error {
	d.header()
	r.Prefix = d.prefix()
	r.Country = d.str()
	r.Source = d.source()
	return d.end()
}

func encASRange(dst []byte, r *intel.ASRange) []byte {
	e := enc{dst}
	e.byte(valueFormat)
	e.prefix(r.Prefix)
	e.uvarint(uint64(r.ASN))
	e.strs(r.Description)
	e.source(r.Source)
	return e.b
}

func decASRange(d *dec, r *intel.ASRange) error {
	d.header()
	r.Prefix = d.prefix()
	asn := d.uvarint()
	if asn > 1<<32-1 {
		d.fail()
	}
	r.ASN = uint32(asn)
	r.Description = d.strs()
	r.Source = d.source()
	return d.end()
}

func encWhoisNet(dst []byte, r *intel.WhoisNet) []byte {
	e := enc{dst}
	e.byte(valueFormat)
	e.prefix(r.Prefix)
	e.str(r.Type)
	e.ip(r.Start)
	e.ip(r.End)
	e.str(r.Name)
	e.str(r.Description)
	e.time(r.Created)
	e.time(r.Changed)
	e.str(r.Country)
	e.uvarint(uint64(len(r.Contacts)))
	for i := range r.Contacts {
		c := &r.Contacts[i]
		e.strs(c.Address)
		e.str(c.OrganizationID)
		e.str(c.Name)
		e.str(c.Role)
		e.str(c.Type)
		e.str(c.Fax)
		e.str(c.Phone)
		e.str(c.Email)
	}
	e.source(r.Source)
	return e.b
}

func decWhoisNet(d *dec, r *intel.WhoisNet) error {
	d.header()
	r.Prefix = d.prefix()
	r.Type = d.str()
	r.Start = d.ip()
	r.End = d.ip()
	r.Name = d.str()
	r.Description = d.str()
	r.Created = d.time()
	r.Changed = d.time()
	r.Country = d.str()
	if n := d.uvarint(); n > 0 && n <= uint64(len(d.s)) {
		r.Contacts = make([]intel.Contact, n)
		for i := range r.Contacts {
			c := &r.Contacts[i]
			c.Address = d.strs()
			c.OrganizationID = d.str()
			c.Name = d.str()
			c.Role = d.str()
			c.Type = d.str()
			c.Fax = d.str()
			c.Phone = d.str()
			c.Email = d.str()
		}
	} else if n != 0 {
		d.fail()
	}
	r.Source = d.source()
	return d.end()
}

func encNetListing(dst []byte, r *intel.NetListing) []byte {
	e := enc{dst}
	e.byte(valueFormat)
	e.prefix(r.Prefix)
	e.cat(r.Category)
	e.zone(r.Zone)
	e.str(r.Feed)
	e.time(r.FirstSeen)
	e.time(r.LastSeen)
	e.source(r.Source)
	return e.b
}

func decNetListing(d *dec, r *intel.NetListing) error {
	d.header()
	r.Prefix = d.prefix()
	r.Category = d.cat()
	r.Zone = d.zone()
	r.Feed = d.str()
	r.FirstSeen = d.time()
	r.LastSeen = d.time()
	r.Source = d.source()
	return d.end()
}

func encAllow(dst []byte, r *intel.Allow) []byte {
	e := enc{dst}
	e.byte(valueFormat)
	e.prefix(r.Prefix)
	e.str(r.List)
	e.source(r.Source)
	return e.b
}

func decAllow(d *dec, r *intel.Allow) error {
	d.header()
	r.Prefix = d.prefix()
	r.List = d.str()
	r.Source = d.source()
	return d.end()
}

// end reports a decoding error, or bytes left after the last field.
func (d *dec) end() error {
	if d.err == nil && len(d.s) != 0 {
		d.fail()
	}
	return d.err
}
