package rdap

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// property is one jCard property: ["name", {params}, "type", value, ...].
type property struct {
	name   string
	params map[string]json.RawMessage
	values []json.RawMessage
}

func (p *property) UnmarshalJSON(data []byte) error {
	var a []json.RawMessage
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	if len(a) < 4 {
		return errors.New("jCard property with fewer than 4 members")
	}
	if err := json.Unmarshal(a[0], &p.name); err != nil {
		return errors.New("jCard property name not a string")
	}
	p.name = strings.ToLower(p.name)
	if err := json.Unmarshal(a[1], &p.params); err != nil {
		return errors.New("jCard parameters not an object")
	}
	p.values = a[3:]
	return nil
}

// param is the parameter name as a list of lower-case strings (jCard
// writes one value as a string, several as an array).
func (p *property) param(name string) []string {
	raw, ok := p.params[name]
	if !ok {
		return nil
	}
	return lowerStrings(texts(raw))
}

func lowerStrings(s []string) []string {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	return s
}

// texts reads a jCard value as strings: a string, or an array of strings
// (structured and multi-valued values); anything else gives none.
func texts(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var a []json.RawMessage
	if json.Unmarshal(raw, &a) != nil {
		return nil
	}
	var out []string
	for _, x := range a {
		var s string
		if json.Unmarshal(x, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

// text is a property's value as one string: its values (and the parts of
// a structured one) that are not redacted, joined with ", ".
func (p *property) text() string {
	var parts []string
	for _, v := range p.values {
		for _, s := range texts(v) {
			if s = clean(s); s != "" {
				parts = append(parts, s)
			}
		}
	}
	return strings.Join(parts, ", ")
}

// parseCard reads what tipd keeps of a vcardArray (a jCard, RFC 7095:
// ["vcard", [property, ...]]) into a contact without its Type.
func parseCard(raw json.RawMessage) (intel.DomainContact, error) {
	var c intel.DomainContact
	if len(raw) == 0 || string(raw) == "null" {
		return c, nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil || len(a) != 2 {
		return c, errors.New(`vcardArray is not ["vcard", [properties]]`)
	}
	var props []property
	if err := json.Unmarshal(a[1], &props); err != nil {
		return c, err
	}
	for i := range props {
		p := &props[i]
		switch p.name {
		case "fn":
			c.Name = first(c.Name, p.text())
		case "org":
			c.Organization = first(c.Organization, p.text())
		case "email":
			c.Email = first(c.Email, p.text())
		case "tel":
			tel := strings.TrimPrefix(p.text(), "tel:")
			if fax := contains(p.param("type"), "fax"); fax {
				c.Fax = first(c.Fax, tel)
			} else {
				c.Phone = first(c.Phone, tel)
			}
		case "adr":
			if c.Address == "" && c.City == "" && c.CountryCode == "" {
				address(&c, p)
			}
		}
	}
	return c, nil
}

// address fills the address fields from an adr property: the structured
// value [post office box, extended address, street, locality, region,
// postal code, country name], the "cc" parameter (RFC 8605) for the
// country code, the "label" parameter when the value is empty.
func address(c *intel.DomainContact, p *property) {
	var comp [][]string
	if len(p.values) > 0 {
		var a []json.RawMessage
		if json.Unmarshal(p.values[0], &a) == nil {
			for _, x := range a {
				comp = append(comp, texts(x))
			}
		}
	}
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
	if cc := p.param("cc"); len(cc) > 0 {
		c.CountryCode = countryCode(cc[0])
	}
	if c.CountryCode == "" {
		c.CountryCode = countryCode(part(6))
	}
	if c.Address == "" && c.City == "" && c.PostalCode == "" {
		if labels := texts(p.params["label"]); len(labels) > 0 {
			lines := strings.FieldsFunc(labels[0], func(r rune) bool { return r == '\n' || r == '\r' })
			c.Address = clean(strings.Join(lines, ", "))
		}
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s))
	if s == "" {
		return ""
	}
	l := strings.ToLower(strings.Trim(s, "[]() "))
	for _, m := range redactionMarks {
		if l == m {
			return ""
		}
	}
	if strings.Contains(l, "redacted for privacy") {
		return ""
	}
	return s
}
