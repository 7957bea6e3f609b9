package pebble

import (
	"encoding/binary"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/intel"
)

// The WHOIS record of an object summary (its length-prefixed section after
// the list counts) is held in one of two forms, told apart by its first
// byte:
//
//   - whoisBinary, then the record in the compact encoding of codec.go
//     (written by Apply since this form exists);
//   - JSON, which starts with '{' (written before, and still written for a
//     record the binary form cannot hold as JSON would: see encWhois).
//
// Both decode to the same record: the binary form keeps what the JSON
// form keeps, and loses what it loses (invalid UTF-8 in a string becomes
// U+FFFD, byte by byte, as encoding/json writes it; nil and empty lists
// differ), so that answers do not depend on the form a store holds.
const whoisBinary = 0x01

// encWhois appends the WHOIS section of a summary: its length and its
// bytes.
func encWhois(e *enc, w *intel.DomainWhois) error {
	if !whoisBinaryFits(w) {
		j, err := whoisJSON(nil, w)
		if err != nil {
			return err
		}
		e.uvarint(uint64(len(j)))
		e.b = append(e.b, j...)
		return nil
	}
	// The length is not known before the record is written: room for a
	// two-byte length, moved if it takes one byte or more than two.
	at := len(e.b)
	e.b = append(e.b, 0, 0, whoisBinary)
	e.str(jsonSafe(w.Domain))
	e.time(w.Created)
	e.time(w.Updated)
	e.time(w.Expires)
	encWhoisStrs(e, w.NameServers)
	encWhoisStrs(e, w.Status)
	for _, s := range [...]string{w.Registrar, w.RegistrarID, w.RegistrarEmail, w.RegistrationOrganization} {
		e.str(jsonSafe(s))
	}
	if w.Contacts == nil {
		e.uvarint(0)
	} else {
		e.uvarint(uint64(len(w.Contacts)) + 1)
		for i := range w.Contacts {
			c := &w.Contacts[i]
			for _, s := range [...]string{c.Type, c.Name, c.Organization, c.Address, c.City, c.State, c.PostalCode,
				c.CountryCode, c.Phone, c.Fax, c.Email} {
				e.str(jsonSafe(s))
			}
		}
	}
	e.str(jsonSafe(w.Source.Feed))
	e.str(jsonSafe(w.Source.File))
	e.time(w.Source.Imported)
	n := len(e.b) - at - 2
	if n >= 1<<7 && n < 1<<14 {
		e.b[at], e.b[at+1] = byte(n)|0x80, byte(n>>7)
		return nil
	}
	var l [10]byte
	m := len(binary.AppendUvarint(l[:0], uint64(n)))
	switch {
	case m < 2:
		copy(e.b[at+m:], e.b[at+2:])
		e.b = e.b[:len(e.b)-(2-m)]
	case m > 2:
		e.b = append(e.b, l[:m-2]...)
		copy(e.b[at+m:], e.b[at+2:len(e.b)-(m-2)])
	}
	copy(e.b[at:], l[:m])
	return nil
}

// whoisSize is about the length of the binary form of w, unless its
// strings need more than one byte for their lengths.
func whoisSize(w *intel.DomainWhois) int { return whoisEstimate(w, 64, 1, 11) }

// whoisEstimate is the length of the strings of w plus base, plus each for
// each name server and status and contact for each contact: the overheads
// of an encoding.
func whoisEstimate(w *intel.DomainWhois, base, each, contact int) int {
	n := base + len(w.Domain) + len(w.Registrar) + len(w.RegistrarID) + len(w.RegistrarEmail) +
		len(w.RegistrationOrganization) + len(w.Source.Feed) + len(w.Source.File)
	for _, s := range w.NameServers {
		n += len(s) + each
	}
	for _, s := range w.Status {
		n += len(s) + each
	}
	for i := range w.Contacts {
		c := &w.Contacts[i]
		n += contact + len(c.Type) + len(c.Name) + len(c.Organization) + len(c.Address) + len(c.City) + len(c.State) +
			len(c.PostalCode) + len(c.CountryCode) + len(c.Phone) + len(c.Fax) + len(c.Email)
	}
	return n
}

// encWhoisStrs encodes a list that may be nil: 0 for nil, else its length
// plus one.
func encWhoisStrs(e *enc, ss []string) {
	if ss == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(ss)) + 1)
	for _, s := range ss {
		e.str(jsonSafe(s))
	}
}

// whoisBinaryFits reports whether the binary form holds w as its JSON form
// would: every time zero or in UTC of the years 1 to 9999 (appendJSONTime
// writes the years 0 to 9999 in UTC, enc.time the years from 1).
func whoisBinaryFits(w *intel.DomainWhois) bool {
	for _, t := range [...]time.Time{w.Created, w.Updated, w.Expires, w.Source.Imported} {
		if !t.IsZero() && (t.Location() != time.UTC || t.Year() < 1 || t.Year() > 9999) {
			return false
		}
	}
	return true
}

// jsonSafe is s as it reads back from its JSON: each byte of invalid
// UTF-8 replaced by U+FFFD.
func jsonSafe(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}

// decWhois decodes the WHOIS section j of a summary, in either form.
func decWhois(d *dec, j string, w *intel.DomainWhois) {
	if j[0] != whoisBinary {
		if err := json.Unmarshal([]byte(j), w); err != nil {
			d.fail()
		}
		return
	}
	r := dec{s: j[1:], ar: d.ar}
	w.Domain = whoisStr(&r)
	w.Created, w.Updated, w.Expires = whoisTime(&r), whoisTime(&r), whoisTime(&r)
	w.NameServers = decWhoisStrs(&r)
	w.Status = decWhoisStrs(&r)
	w.Registrar, w.RegistrarID, w.RegistrarEmail, w.RegistrationOrganization = whoisStr(&r), whoisStr(&r), whoisStr(&r), whoisStr(&r)
	if n := r.uvarint(); n > uint64(len(r.s))/11+1 {
		r.fail()
	} else if n > 0 {
		w.Contacts = make([]intel.DomainContact, n-1)
		for i := range w.Contacts {
			c := &w.Contacts[i]
			for _, s := range [...]*string{&c.Type, &c.Name, &c.Organization, &c.Address, &c.City, &c.State, &c.PostalCode,
				&c.CountryCode, &c.Phone, &c.Fax, &c.Email} {
				*s = whoisStr(&r)
			}
		}
	}
	w.Source.Feed, w.Source.File, w.Source.Imported = whoisStr(&r), whoisStr(&r), whoisTime(&r)
	if r.err != nil || r.s != "" {
		d.fail()
	}
}

func decWhoisStrs(d *dec) []string {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	if n > uint64(len(d.s))+1 {
		d.fail()
		return nil
	}
	ss := make([]string, n-1)
	for i := range ss {
		ss[i] = whoisStr(d)
	}
	return ss
}

// whoisStr decodes a string as its JSON form would read back (the
// encoder writes them so; this keeps a corrupt value from decoding to
// what the encoder does not write).
func whoisStr(d *dec) string { return jsonSafe(d.str()) }

// whoisTime decodes a time; one the JSON form could not hold is corrupt.
func whoisTime(d *dec) time.Time {
	t := d.time()
	if t.Year() > 9999 {
		d.fail()
	}
	return t
}
