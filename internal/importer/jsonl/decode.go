package jsonl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// decode fills r from one JSON object. It is a small hand-written decoder
// for the flat shape of Record, several times faster than encoding/json on
// this format; nested values that are rare (contacts) are handed to
// encoding/json. Unknown fields are skipped; duplicate fields: the last wins.
func decode(data []byte, r *Record) error {
	d := decoder{data: data}
	d.ws()
	if !d.eat('{') {
		return d.syntax("want an object")
	}
	d.ws()
	if d.eat('}') {
		return d.end()
	}
	for {
		d.ws()
		key, err := d.str()
		if err != nil {
			return err
		}
		d.ws()
		if !d.eat(':') {
			return d.syntax("want ':' after a field name")
		}
		d.ws()
		if err := d.field(key, r); err != nil {
			return err
		}
		d.ws()
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			return d.end()
		}
		return d.syntax("want ',' or '}'")
	}
}

type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) eat(c byte) bool {
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *decoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *decoder) end() error {
	d.ws()
	if d.pos != len(d.data) {
		return d.syntax("unexpected data after the object")
	}
	return nil
}

func (d *decoder) syntax(msg string) error {
	if d.pos >= len(d.data) {
		return fmt.Errorf("unexpected end of line: %s", msg)
	}
	return fmt.Errorf("invalid JSON at offset %d: %s", d.pos, msg)
}

// str reads a string token and returns its value. Without escapes the
// value aliases the line; callers copy it (string conversion).
func (d *decoder) str() ([]byte, error) {
	if !d.eat('"') {
		return nil, d.syntax("want a string")
	}
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := d.data[start:d.pos]
			d.pos++
			return s, nil
		case c == '\\':
			return d.slowStr(start - 1)
		case c < 0x20:
			return nil, d.syntax("control character in a string")
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && n == 1 {
				return nil, d.syntax("invalid UTF-8 in a string")
			}
			d.pos += n
		default:
			d.pos++
		}
	}
	return nil, d.syntax("unterminated string")
}

// slowStr decodes a string with escapes with encoding/json.
func (d *decoder) slowStr(start int) ([]byte, error) {
	d.pos = start + 1
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '\\' {
			d.pos += 2
			continue
		}
		d.pos++
		if c == '"' {
			var s string
			if err := json.Unmarshal(d.data[start:d.pos], &s); err != nil {
				return nil, d.syntax("bad string escape")
			}
			return []byte(s), nil
		}
	}
	return nil, d.syntax("unterminated string")
}

// null consumes a null literal if there is one.
func (d *decoder) null() bool {
	if len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

// kindOf names the JSON type of the next value, for error messages.
func (d *decoder) kindOf() string {
	switch c := d.peek(); {
	case c == '"':
		return "string"
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == 't' || c == 'f':
		return "bool"
	case c == '-' || '0' <= c && c <= '9':
		return "number"
	}
	return "invalid value"
}

func (d *decoder) typeErr(field, want string) error {
	return fmt.Errorf("field %q: want %s, got %s", field, want, d.kindOf())
}

func (d *decoder) strField(field string, dst *string) error {
	if d.null() {
		return nil
	}
	if d.peek() != '"' {
		return d.typeErr(field, "string")
	}
	s, err := d.str()
	if err != nil {
		return err
	}
	*dst = string(s)
	return nil
}

func (d *decoder) listField(field string, dst *[]string) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if !d.eat('[') {
		return d.typeErr(field, "list of strings")
	}
	out := make([]string, 0, 2)
	d.ws()
	if d.eat(']') {
		*dst = out
		return nil
	}
	for {
		d.ws()
		if d.peek() != '"' {
			return fmt.Errorf("field %q: want list of strings, got %s in the list", field, d.kindOf())
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		out = append(out, string(s))
		d.ws()
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			*dst = out
			return nil
		}
		return d.syntax("want ',' or ']'")
	}
}

// number returns the bytes of a JSON number token.
func (d *decoder) number() ([]byte, bool) {
	start := d.pos
	d.eat('-')
	digits := 0
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
			d.pos++
			digits++
			continue
		}
		break
	}
	return d.data[start:d.pos], digits > 0
}

func (d *decoder) intField(field string, dst **int64) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if c := d.peek(); c != '-' && (c < '0' || c > '9') {
		return d.typeErr(field, "int64")
	}
	tok, ok := d.number()
	v, err := strconv.ParseInt(string(tok), 10, 64)
	if !ok || err != nil || !validInt(tok) {
		return fmt.Errorf("field %q: want int64, got number %s", field, clipBytes(tok))
	}
	*dst = &v
	return nil
}

func (d *decoder) uint32Field(field string, dst **uint32) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if c := d.peek(); c != '-' && (c < '0' || c > '9') {
		return d.typeErr(field, "uint32")
	}
	tok, ok := d.number()
	v, err := strconv.ParseUint(string(tok), 10, 32)
	if !ok || err != nil || !validInt(tok) {
		return fmt.Errorf("field %q: want uint32, got number %s", field, clipBytes(tok))
	}
	u := uint32(v)
	*dst = &u
	return nil
}

// raw returns a copy of the next value, whatever it is.
func (d *decoder) raw() ([]byte, error) {
	start := d.pos
	if err := d.skip(); err != nil {
		return nil, err
	}
	return append([]byte(nil), d.data[start:d.pos]...), nil
}

// maxDepth bounds the nesting of skipped values.
const maxDepth = 64

// skip consumes one JSON value of any type.
func (d *decoder) skip() error {
	var stack [maxDepth]byte
	n := 0
value:
	for {
		d.ws()
		switch c := d.peek(); {
		case c == '"':
			if _, err := d.str(); err != nil {
				return err
			}
		case c == '{' || c == '[':
			if n == maxDepth {
				return d.syntax("nested too deeply")
			}
			d.pos++
			d.ws()
			if c == '{' && d.eat('}') || c == '[' && d.eat(']') {
				break
			}
			stack[n] = c
			n++
			if c == '{' {
				if err := d.key(); err != nil {
					return err
				}
			}
			continue value
		case c == 't':
			if !d.lit("true") {
				return d.syntax("bad literal")
			}
		case c == 'f':
			if !d.lit("false") {
				return d.syntax("bad literal")
			}
		case c == 'n':
			if !d.lit("null") {
				return d.syntax("bad literal")
			}
		case c == '-' || '0' <= c && c <= '9':
			tok, _ := d.number()
			if !json.Valid(tok) {
				return d.syntax("bad number")
			}
		default:
			return d.syntax("want a value")
		}
		// After a value: the next element, or close containers.
		for n > 0 {
			d.ws()
			if d.eat(',') {
				if stack[n-1] == '{' {
					if err := d.key(); err != nil {
						return err
					}
				}
				continue value
			}
			closer := byte(']')
			if stack[n-1] == '{' {
				closer = '}'
			}
			if !d.eat(closer) {
				return d.syntax("want ',' or a closing bracket")
			}
			n--
		}
		return nil
	}
}

// key consumes `"name":` inside an object.
func (d *decoder) key() error {
	d.ws()
	if _, err := d.str(); err != nil {
		return err
	}
	d.ws()
	if !d.eat(':') {
		return d.syntax("want ':' after a field name")
	}
	return nil
}

func (d *decoder) lit(s string) bool {
	if len(d.data)-d.pos >= len(s) && string(d.data[d.pos:d.pos+len(s)]) == s {
		d.pos += len(s)
		return true
	}
	return false
}

// validInt reports whether tok is a JSON integer (no leading zeros, no
// plus sign).
func validInt(tok []byte) bool {
	if len(tok) > 0 && tok[0] == '-' {
		tok = tok[1:]
	}
	if len(tok) == 0 || tok[0] == '+' || len(tok) > 1 && tok[0] == '0' {
		return false
	}
	return true
}

func clipBytes(b []byte) string {
	if len(b) > 32 {
		return string(b[:29]) + "..."
	}
	return string(b)
}

// field decodes the value of one field into r.
func (d *decoder) field(key []byte, r *Record) error {
	switch string(key) {
	case "kind":
		return d.strField("kind", &r.Kind)
	case "ip":
		return d.strField("ip", &r.IP)
	case "ips":
		return d.listField("ips", &r.IPs)
	case "range":
		return d.strField("range", &r.Range)
	case "day":
		return d.strField("day", &r.Day)
	case "hits":
		return d.intField("hits", &r.Hits)
	case "category":
		return d.strField("category", &r.Category)
	case "categories":
		return d.listField("categories", &r.Categories)
	case "zone":
		return d.strField("zone", &r.Zone)
	case "feed":
		return d.strField("feed", &r.Feed)
	case "feeds":
		return d.listField("feeds", &r.Feeds)
	case "list":
		return d.strField("list", &r.List)
	case "first_seen":
		return d.strField("first_seen", &r.FirstSeen)
	case "last_seen":
		return d.strField("last_seen", &r.LastSeen)
	case "url":
		return d.strField("url", &r.URL)
	case "md5":
		return d.strField("md5", &r.MD5)
	case "detection":
		return d.strField("detection", &r.Detection)
	case "domain":
		return d.strField("domain", &r.Domain)
	case "daily_peak":
		return d.intField("daily_peak", &r.DailyPeak)
	case "peak_date":
		return d.strField("peak_date", &r.PeakDate)
	case "mask":
		return d.strField("mask", &r.Mask)
	case "mask_type":
		return d.strField("mask_type", &r.MaskType)
	case "id":
		return d.strField("id", &r.ID)
	case "time":
		return d.strField("time", &r.Time)
	case "type":
		return d.strField("type", &r.Type)
	case "region":
		return d.strField("region", &r.Region)
	case "kit":
		return d.strField("kit", &r.Kit)
	case "stolen_data":
		return d.listField("stolen_data", &r.StolenData)
	case "industry":
		return d.strField("industry", &r.Industry)
	case "organization":
		return d.strField("organization", &r.Organization)
	case "report":
		return d.strField("report", &r.Report)
	case "title":
		return d.strField("title", &r.Title)
	case "description":
		if d.null() {
			r.Description = nil
			return nil
		}
		raw, err := d.raw()
		if err != nil {
			return err
		}
		r.Description = raw
		return nil
	case "published":
		return d.strField("published", &r.Published)
	case "updated":
		return d.strField("updated", &r.Updated)
	case "tags":
		return d.listField("tags", &r.Tags)
	case "industries":
		return d.listField("industries", &r.Industries)
	case "geo":
		return d.listField("geo", &r.Geo)
	case "actors":
		return d.listField("actors", &r.Actors)
	case "country":
		return d.strField("country", &r.Country)
	case "asn":
		return d.uint32Field("asn", &r.ASN)
	case "name":
		return d.strField("name", &r.Name)
	case "created":
		return d.strField("created", &r.Created)
	case "changed":
		return d.strField("changed", &r.Changed)
	case "hash":
		return d.strField("hash", &r.Hash)
	case "sha1":
		return d.strField("sha1", &r.SHA1)
	case "sha256":
		return d.strField("sha256", &r.SHA256)
	case "owner":
		return d.strField("owner", &r.Owner)
	case "item":
		return d.strField("item", &r.Item)
	case "attrs":
		return d.listField("attrs", &r.Attrs)
	case "size":
		return d.intField("size", &r.Size)
	case "packer":
		return d.strField("packer", &r.Packer)
	case "signer":
		return d.strField("signer", &r.Signer)
	case "signer_status":
		return d.strField("signer_status", &r.SignerStatus)
	case "names":
		return d.listField("names", &r.Names)
	case "relation":
		return d.strField("relation", &r.Relation)
	case "target_md5":
		return d.strField("target_md5", &r.TargetMD5)
	case "target_url":
		return d.strField("target_url", &r.TargetURL)
	case "location":
		return d.strField("location", &r.Location)
	case "path":
		return d.strField("path", &r.Path)
	case "method":
		return d.strField("method", &r.Method)
	case "description_url":
		return d.strField("description_url", &r.DescURL)
	case "serial":
		return d.strField("serial", &r.Serial)
	case "vendor":
		return d.strField("vendor", &r.Vendor)
	case "publisher":
		return d.strField("publisher", &r.Publisher)
	case "time_stamp":
		return d.strField("time_stamp", &r.TimeStamp)
	case "issued":
		return d.strField("issued", &r.Issued)
	case "expires":
		return d.strField("expires", &r.Expires)
	case "name_servers":
		return d.listField("name_servers", &r.NameServers)
	case "status":
		return d.listField("status", &r.Status)
	case "registrar":
		return d.strField("registrar", &r.Registrar)
	case "registrar_id":
		return d.strField("registrar_id", &r.RegistrarID)
	case "registrar_email":
		return d.strField("registrar_email", &r.RegistrarEmail)
	case "registration_organization":
		return d.strField("registration_organization", &r.RegistrationOrg)
	case "contacts":
		if d.null() {
			r.Contacts = nil
			return nil
		}
		if d.peek() != '[' {
			return d.typeErr("contacts", "list of objects")
		}
		raw, err := d.raw()
		if err != nil {
			return err
		}
		r.Contacts = nil
		if err := json.Unmarshal(raw, &r.Contacts); err != nil {
			return fmt.Errorf("field %q: %s", "contacts", jsonReason(err))
		}
		return nil
	}
	return d.skip()
}
