package rdap

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// errCard is the reason of a vcardArray that is not a jCard.
var errCard = fmt.Errorf(`%w: vcardArray is not ["vcard", [properties]]`, errNotRDAP)

// jcard reads what tipd keeps of a vcardArray (a jCard, RFC 7095:
// ["vcard", [property, ...]]) into a contact without its Type: the first
// fn, org, email, fax, other tel and adr.
func (d *decoder) jcard() (intel.DomainContact, error) {
	var c intel.DomainContact
	n := 0
	err := d.array(func(i int) error {
		n++
		switch i {
		case 0:
			if d.peek() != '"' {
				return errCard
			}
			_, _, err := d.raw()
			return err
		case 1:
			if d.peek() != '[' {
				return errCard
			}
			return d.array(func(int) error { return d.property(&c) })
		}
		return errCard
	})
	if err == nil && n != 2 {
		err = errCard
	}
	return c, err
}

// property reads one jCard property, ["name", {params}, "type", value,
// ...], into c. The value of an adr is structured: components that are
// strings or arrays of strings; other values are read as the text of
// their strings.
func (d *decoder) property(c *intel.DomainContact) error {
	if d.peek() != '[' {
		return d.shape("vcardArray: jCard property is not an array")
	}
	var (
		name    string
		fax     bool
		cc      string
		label   string
		txt     string     // of fn, org, email, tel
		comp    [][]string // of the first adr value
		members int
	)
	err := d.array(func(i int) error {
		members++
		switch i {
		case 0:
			if d.peek() != '"' {
				return d.shape("vcardArray: jCard property name is not a string")
			}
			raw, _, err := d.raw()
			switch {
			case bytes.EqualFold(raw, []byte("fn")):
				name = "fn"
			case bytes.EqualFold(raw, []byte("org")):
				name = "org"
			case bytes.EqualFold(raw, []byte("email")):
				name = "email"
			case bytes.EqualFold(raw, []byte("tel")):
				name = "tel"
			case bytes.EqualFold(raw, []byte("adr")):
				name = "adr"
			}
			return err
		case 1:
			if d.peek() != '{' {
				return d.shape("vcardArray: jCard parameters are not an object")
			}
			return d.object(func(key []byte) error {
				if name == "" {
					return d.skip()
				}
				var v []string
				var err error
				switch {
				case bytes.EqualFold(key, []byte("type")):
					err = d.each(func(s []byte) {
						fax = fax || bytes.EqualFold(bytes.TrimSpace(s), []byte("fax"))
					})
				case bytes.EqualFold(key, []byte("cc")):
					if v, err = d.strs(nil); len(v) > 0 {
						cc = v[0]
					}
				case bytes.EqualFold(key, []byte("label")):
					if v, err = d.strs(nil); len(v) > 0 {
						label = v[0]
					}
				default:
					err = d.skip()
				}
				return err
			})
		case 2:
			return d.skip() // the value type
		}
		switch {
		case name == "":
			return d.skip()
		case name == "adr" && i == 3:
			var err error
			comp, err = d.components()
			return err
		case name == "adr":
			return d.skip()
		}
		return d.text(&txt)
	})
	if err != nil {
		return err
	}
	if members < 4 {
		return d.shape("vcardArray: jCard property with fewer than 4 members")
	}
	switch name {
	case "fn":
		c.Name = first(c.Name, txt)
	case "org":
		c.Organization = first(c.Organization, txt)
	case "email":
		c.Email = first(c.Email, txt)
	case "tel":
		tel := strings.TrimPrefix(txt, "tel:")
		if fax {
			c.Fax = first(c.Fax, tel)
		} else {
			c.Phone = first(c.Phone, tel)
		}
	case "adr":
		if c.Address == "" && c.City == "" && c.CountryCode == "" {
			address(c, comp, cc, label)
		}
	}
	return nil
}

// text reads a value and appends its strings that are not redacted to
// *txt, joined with ", ".
func (d *decoder) text(txt *string) error {
	add := func() error {
		s, err := d.str()
		if s = clean(s); s != "" {
			if *txt == "" {
				*txt = s
			} else {
				*txt += ", " + s
			}
		}
		return err
	}
	switch d.peek() {
	case '"':
		return add()
	case '[':
		return d.array(func(int) error {
			switch d.peek() {
			case '"':
				return add()
			case '[':
				return d.array(func(int) error {
					if d.peek() == '"' {
						return add()
					}
					return d.skip()
				})
			}
			return d.skip()
		})
	}
	return d.skip()
}

// components reads a structured value: an array of components, each a
// string or an array of strings (a string value is one component).
func (d *decoder) components() ([][]string, error) {
	switch d.peek() {
	case '"':
		s, err := d.str()
		return [][]string{{s}}, err
	case '[':
		comp := make([][]string, 0, 7)
		err := d.array(func(int) error {
			switch d.peek() {
			case '"', '[':
				s, err := d.strs(nil)
				comp = append(comp, s)
				return err
			}
			comp = append(comp, nil)
			return d.skip()
		})
		return comp, err
	}
	return nil, d.skip()
}

// address fills the address fields from the components of an adr value
// (post office box, extended address, street, locality, region, postal
// code, country name), its "cc" parameter (RFC 8605) for the country
// code, and its "label" parameter when the components are empty.
func address(c *intel.DomainContact, comp [][]string, cc, label string) {
	part := func(i int) string {
		if i >= len(comp) {
			return ""
		}
		var s []string
		for _, x := range comp[i] {
			if x = clean(x); x != "" {
				s = append(s, x)
			}
		}
		return strings.Join(s, ", ")
	}
	var street []string
	for i := 0; i < 3; i++ {
		if s := part(i); s != "" {
			street = append(street, s)
		}
	}
	c.Address = strings.Join(street, ", ")
	c.City, c.State, c.PostalCode = part(3), part(4), part(5)
	c.CountryCode = countryCode(cc)
	if c.CountryCode == "" {
		c.CountryCode = countryCode(part(6))
	}
	if c.Address == "" && c.City == "" && c.PostalCode == "" && label != "" {
		lines := strings.FieldsFunc(label, func(r rune) bool { return r == '\n' || r == '\r' })
		c.Address = clean(strings.Join(lines, ", "))
	}
}

// countryCode is a two-letter country code upper case, "" for anything
// else (a country name is not a code).
func countryCode(s string) string {
	s = strings.TrimSpace(s)
	if len(s) != 2 || !isLetter(s[0]) || !isLetter(s[1]) {
		return ""
	}
	return strings.ToUpper(s)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func first(have, s string) string {
	if have != "" {
		return have
	}
	return s
}

// hasControl reports whether s holds a control character that clean
// turns into a space.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// isMark marks the bytes trimMarks removes.
var isMark = [256]bool{'[': true, ']': true, '(': true, ')': true, ' ': true}

// trimMarks is strings.Trim(s, "[]() ").
func trimMarks(s string) string {
	i, j := 0, len(s)
	for i < j && isMark[s[i]] {
		i++
	}
	for j > i && isMark[s[j-1]] {
		j--
	}
	return s[i:j]
}

// redactionMarks are what registries write in place of a value withheld
// for privacy (compared lower case, after trimming).
var redactionMarks = []string{
	"redacted for privacy", "redacted", "data redacted", "not disclosed", "non-public data",
	"withheld for privacy", "redacted for privacy purposes", "data protected",
}

// clean trims a value and empties it when it is a redaction mark or holds
// one ("REDACTED FOR PRIVACY", "[REDACTED]"); control characters become
// spaces.
func clean(s string) string {
	if hasControl(s) {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, s)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	t := trimMarks(s)
	for _, m := range redactionMarks {
		if strings.EqualFold(t, m) {
			return ""
		}
	}
	const mark = "redacted for privacy"
	for i := 0; i+len(mark) <= len(t); i++ {
		if (t[i] == 'r' || t[i] == 'R') && strings.EqualFold(t[i:i+len(mark)], mark) {
			return ""
		}
	}
	return s
}
