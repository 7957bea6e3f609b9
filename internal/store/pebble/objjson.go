package pebble

import (
	"encoding/json"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/jsontext"
)

// The WHOIS record of an object summary is stored as JSON (decoded with
// encoding/json). Apply encodes it with appendWhoisJSON, which writes the
// bytes json.Marshal writes without its reflection, a fifth of the cost of
// an RDAP import.

// whoisJSON is the JSON of a WHOIS record, byte for byte as json.Marshal
// writes it.
func whoisJSON(dst []byte, w *intel.DomainWhois) ([]byte, error) {
	if dst == nil {
		dst = make([]byte, 0, whoisJSONSize(w))
	}
	if b, ok := appendWhoisJSON(dst, w); ok {
		return b, nil
	}
	j, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return append(dst, j...), nil
}

// whoisJSONSize is about the length of the JSON of w, unless its strings
// need escapes.
func whoisJSONSize(w *intel.DomainWhois) int { return whoisEstimate(w, 400, 3, 160) }

// appendWhoisJSON appends the JSON of w; ok is false if a time of it is not
// one it writes as json.Marshal does (outside UTC, or outside years 0 to
// 9999).
func appendWhoisJSON(b []byte, w *intel.DomainWhois) (_ []byte, ok bool) {
	b = append(b, `{"Domain":`...)
	b = appendJSONString(b, w.Domain)
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{`,"Created":`, w.Created}, {`,"Updated":`, w.Updated}, {`,"Expires":`, w.Expires}} {
		b = append(b, f.name...)
		if b, ok = appendJSONTime(b, f.t); !ok {
			return b, false
		}
	}
	b = append(b, `,"NameServers":`...)
	b = appendJSONStrings(b, w.NameServers)
	b = append(b, `,"Status":`...)
	b = appendJSONStrings(b, w.Status)
	for _, f := range [...]struct{ name, v string }{{`,"Registrar":`, w.Registrar}, {`,"RegistrarID":`, w.RegistrarID},
		{`,"RegistrarEmail":`, w.RegistrarEmail}, {`,"RegistrationOrganization":`, w.RegistrationOrganization}} {
		b = append(b, f.name...)
		b = appendJSONString(b, f.v)
	}
	b = append(b, `,"Contacts":`...)
	if w.Contacts == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range w.Contacts {
			if i > 0 {
				b = append(b, ',')
			}
			c := &w.Contacts[i]
			for _, f := range [...]struct{ name, v string }{{`{"Type":`, c.Type}, {`,"Name":`, c.Name},
				{`,"Organization":`, c.Organization}, {`,"Address":`, c.Address}, {`,"City":`, c.City},
				{`,"State":`, c.State}, {`,"PostalCode":`, c.PostalCode}, {`,"CountryCode":`, c.CountryCode},
				{`,"Phone":`, c.Phone}, {`,"Fax":`, c.Fax}, {`,"Email":`, c.Email}} {
				b = append(b, f.name...)
				b = appendJSONString(b, f.v)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	// Source: feed and file omitted when empty, imported when zero.
	b = append(b, `,"Source":{`...)
	sep := ""
	if s := w.Source.Feed; s != "" {
		b = append(b, `"feed":`...)
		b = appendJSONString(b, s)
		sep = ","
	}
	if s := w.Source.File; s != "" {
		b = append(b, sep...)
		b = append(b, `"file":`...)
		b = appendJSONString(b, s)
		sep = ","
	}
	if t := w.Source.Imported; !t.IsZero() {
		b = append(b, sep...)
		b = append(b, `"imported":`...)
		if b, ok = appendJSONTime(b, t); !ok {
			return b, false
		}
	}
	return append(b, "}}"...), true
}

func appendJSONStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONTime appends t as time.Time.MarshalJSON does, for a time in
// UTC of the years 0 to 9999 (ok false otherwise).
func appendJSONTime(b []byte, t time.Time) ([]byte, bool) {
	if t.Location() != time.UTC || t.Year() < 0 || t.Year() > 9999 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

// appendJSONString appends s as a JSON string the way json.Marshal does
// (HTML characters escaped; jsontext.AppendEscaped).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = jsontext.AppendEscaped(b, s, true)
	return append(b, '"')
}
