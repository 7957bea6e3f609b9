package rdap

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// A small hand-written JSON reader for the members of an RDAP answer tipd
// keeps: answers are mostly notices, links and remarks it skips, and
// encoding/json decodes them an order of magnitude slower than skipping
// them here. Everything read is checked to be JSON (RFC 8259); strings are
// decoded by encoding/json only when they hold escapes.

// maxDepth bounds the nesting of arrays and objects.
const maxDepth = 64

type decoder struct {
	data  []byte
	pos   int
	depth int
}

// syntax is a JSON syntax error at the decoder's position.
func (d *decoder) syntax(msg string) error {
	return fmt.Errorf("%s at byte %d", msg, d.pos)
}

func (d *decoder) ws() {
	if d.pos < len(d.data) && d.data[d.pos] > ' ' {
		return // the common case: no white space
	}
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

// peek is the next byte after white space, 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *decoder) eat(c byte) bool {
	if d.peek() == c {
		d.pos++
		return true
	}
	return false
}

// stop marks the bytes that end the plain run of a string: its closing
// quote, the backslash of an escape and control characters (which a
// string cannot hold).
var stop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['\\'] = true
	t['"'] = true
	return t
}()

// plainRun returns the index of the first byte of b from i on that stop
// marks (len(b) if none), eight bytes at a time while eight are left.
func plainRun(b []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ ('"' * ones)  // a zero byte where a quote is
		s := w ^ ('\\' * ones) // where a backslash is
		// A byte has its high bit set in m if it is zero in q or s, or
		// below 0x20 in w (bytes of w at 0x80 and above set no bit).
		m := ((q - ones) &^ q) | ((s - ones) &^ s) | ((w - 0x20*ones) &^ w)
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(b) && !stop[b[i]] {
		i++
	}
	return i
}

// raw reads a string and returns its bytes between the quotes, escapes
// undecoded, and whether it holds escapes.
func (d *decoder) raw() ([]byte, bool, error) {
	if d.peek() != '"' {
		return nil, false, d.syntax("want a string")
	}
	d.pos++
	start, esc := d.pos, false
	for {
		// Strings are short: one pass to the quote or the first byte that
		// needs a look. A string without a closing quote after seg (its
		// start or the end of its last escape) is unterminated there,
		// whatever it holds.
		seg := d.pos
		d.pos = plainRun(d.data, d.pos)
		if d.pos < len(d.data) && d.data[d.pos] == '"' {
			s := d.data[start:d.pos]
			d.pos++
			return s, esc, nil
		}
		if d.pos == len(d.data) || bytes.IndexByte(d.data[d.pos:], '"') < 0 {
			d.pos = seg
			return nil, false, d.syntax("unterminated string")
		}
		if d.data[d.pos] != '\\' {
			return nil, false, d.syntax("control character in string")
		}
		esc = true
		if d.pos+1 >= len(d.data) {
			return nil, false, d.syntax("unterminated string")
		}
		switch d.data[d.pos+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			d.pos += 2
		case 'u':
			if d.pos+6 > len(d.data) || !isHex4(d.data[d.pos+2:d.pos+6]) {
				return nil, false, d.syntax(`bad \u escape`)
			}
			d.pos += 6
		default:
			return nil, false, d.syntax("bad escape")
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// str reads a string value, invalid UTF-8 replaced as encoding/json does.
func (d *decoder) str() (string, error) {
	if d.peek() != '"' {
		return "", d.shape("want a string")
	}
	s, esc, err := d.raw()
	if err != nil {
		return "", err
	}
	if !esc {
		if utf8.Valid(s) {
			return string(s), nil
		}
		return string(bytes.ToValidUTF8(s, []byte("\uFFFD"))), nil
	}
	var out string
	q := d.data[d.pos-len(s)-2 : d.pos] // with its quotes
	if err := json.Unmarshal(q, &out); err != nil {
		return "", d.syntax("bad string")
	}
	return out, nil
}

// object reads an object, calling member for each member with the decoder
// at its value; member must read the value (or skip it).
func (d *decoder) object(member func(key []byte) error) error {
	if !d.eat('{') {
		return d.shape("want an object")
	}
	if d.depth++; d.depth > maxDepth {
		return d.syntax("nested too deep")
	}
	defer func() { d.depth-- }()
	if d.eat('}') {
		return nil
	}
	for {
		key, _, err := d.raw()
		if err != nil {
			return err
		}
		if !d.eat(':') {
			return d.syntax("want ':' after a member name")
		}
		if err := member(key); err != nil {
			return err
		}
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			return nil
		}
		return d.syntax("want ',' or '}'")
	}
}

// array reads an array, calling elem for each element with the decoder at
// it; elem must read the element (or skip it).
func (d *decoder) array(elem func(i int) error) error {
	if !d.eat('[') {
		return d.shape("want an array")
	}
	if d.depth++; d.depth > maxDepth {
		return d.syntax("nested too deep")
	}
	defer func() { d.depth-- }()
	if d.eat(']') {
		return nil
	}
	for i := 0; ; i++ {
		if err := elem(i); err != nil {
			return err
		}
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			return nil
		}
		return d.syntax("want ',' or ']'")
	}
}

// skip reads any value.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '"':
		_, _, err := d.raw()
		return err
	case c == '{':
		return d.object(func([]byte) error { return d.skip() })
	case c == '[':
		return d.array(func(int) error { return d.skip() })
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	case c == 0:
		return d.syntax("unexpected end")
	default:
		return d.syntax(fmt.Sprintf("unexpected %q", c))
	}
}

func (d *decoder) literal(s string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(s)) {
		return d.syntax("bad literal")
	}
	d.pos += len(s)
	return nil
}

// null reads a null if one is next.
func (d *decoder) null() bool {
	if d.peek() == 'n' && d.literal("null") == nil {
		return true
	}
	return false
}

// number reads a number (RFC 8259 grammar) and returns its text.
func (d *decoder) number() ([]byte, error) {
	d.ws()
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.syntax("bad number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.syntax("bad number")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.syntax("bad number")
		}
	}
	return d.data[start:d.pos], nil
}

// each reads a string or an array of strings (other elements skipped; null
// gives none), calling fn with each string's bytes, escapes decoded. The
// bytes are valid until the next line.
func (d *decoder) each(fn func(s []byte)) error {
	one := func() error {
		s, esc, err := d.raw()
		if err != nil {
			return err
		}
		if esc {
			var out string
			if err := json.Unmarshal(d.data[d.pos-len(s)-2:d.pos], &out); err != nil {
				return d.syntax("bad string")
			}
			s = []byte(out)
		}
		fn(s)
		return nil
	}
	switch d.peek() {
	case '"':
		return one()
	case '[':
		return d.array(func(int) error {
			if d.peek() != '"' {
				return d.skip()
			}
			return one()
		})
	}
	return d.skip()
}

// strs reads a string or an array of strings (other elements skipped),
// appending the strings to dst; null gives none.
func (d *decoder) strs(dst []string) ([]string, error) {
	switch d.peek() {
	case '"':
		s, err := d.str()
		return append(dst, s), err
	case '[':
		err := d.array(func(int) error {
			if d.peek() != '"' {
				return d.skip()
			}
			s, err := d.str()
			dst = append(dst, s)
			return err
		})
		return dst, err
	}
	return dst, d.skip()
}

// errNotRDAP marks a line that is JSON but not shaped as an RDAP answer.
var errNotRDAP = errors.New("not an RDAP answer")

// shape is an errNotRDAP error at the decoder's position.
func (d *decoder) shape(msg string) error {
	return fmt.Errorf("%w: %s at byte %d", errNotRDAP, msg, d.pos)
}

// decodeAnswer reads one RDAP answer.
func decodeAnswer(data []byte, a *answer) error {
	d := decoder{data: data}
	if d.peek() != '{' {
		if err := d.skip(); err != nil {
			return err
		}
		return d.shape("want an object")
	}
	err := d.object(func(key []byte) error {
		switch string(key) {
		case "objectClassName":
			return d.strField(&a.ObjectClassName)
		case "ldhName":
			return d.strField(&a.LDHName)
		case "unicodeName":
			return d.strField(&a.UnicodeName)
		case "title":
			return d.strField(&a.Title)
		case "errorCode":
			if d.null() {
				return nil
			}
			n, err := d.number()
			if err != nil {
				return err
			}
			code, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return d.shape("bad errorCode")
			}
			c := int(code)
			a.ErrorCode = &c
			return nil
		case "status":
			var err error
			a.Status, err = d.strs(a.Status[:0])
			return err
		case "events":
			return d.list(func() error {
				a.Events = append(a.Events, event{})
				e := &a.Events[len(a.Events)-1]
				return d.object(func(key []byte) error {
					switch string(key) {
					case "eventAction":
						return d.each(func(s []byte) {
							for i, name := range eventActions {
								if bytes.EqualFold(bytes.TrimSpace(s), []byte(name)) {
									e.Action = i
								}
							}
						})
					case "eventDate":
						return d.each(func(s []byte) { e.Date = s })
					}
					return d.skip()
				})
			})
		case "nameservers":
			return d.list(func() error {
				a.Nameservers = append(a.Nameservers, nameserver{})
				ns := &a.Nameservers[len(a.Nameservers)-1]
				return d.object(func(key []byte) error {
					switch string(key) {
					case "ldhName":
						return d.strField(&ns.LDHName)
					case "unicodeName":
						return d.strField(&ns.UnicodeName)
					}
					return d.skip()
				})
			})
		case "entities":
			return d.entities(&a.Entities)
		}
		return d.skip()
	})
	if err != nil {
		return err
	}
	if d.ws(); d.pos != len(d.data) {
		return d.syntax("data after the answer")
	}
	return nil
}

// strField reads a string member into *s; null leaves it empty, another
// type is an error.
func (d *decoder) strField(s *string) error {
	if d.null() {
		return nil
	}
	v, err := d.str()
	*s = v
	return err
}

// list reads an array of objects (null: none), calling each at each
// element.
func (d *decoder) list(each func() error) error {
	if d.null() {
		return nil
	}
	return d.array(func(int) error {
		if d.peek() != '{' {
			return d.shape("want objects in a list")
		}
		return each()
	})
}

// grow appends an element to *s and returns it, as it was if the array of
// *s held one there.
func grow[T any](s *[]T) *T {
	if n := len(*s); n < cap(*s) {
		*s = (*s)[:n+1]
	} else {
		var zero T
		*s = append(*s, zero)
	}
	return &(*s)[len(*s)-1]
}

func (d *decoder) entities(dst *[]entity) error {
	return d.list(func() error {
		e := grow(dst)
		*e = entity{PublicIDs: e.PublicIDs[:0], Entities: e.Entities[:0]} // their arrays reused line after line
		return d.object(func(key []byte) error {
			switch string(key) {
			case "roles":
				return d.each(func(s []byte) {
					for i, name := range roleNames {
						if bytes.EqualFold(bytes.TrimSpace(s), []byte(name)) {
							e.Roles |= 1 << i
						}
					}
				})
			case "vcardArray":
				if d.null() {
					return nil
				}
				c, err := d.jcard()
				e.Card = c
				return err
			case "publicIds":
				return d.list(func() error {
					e.PublicIDs = append(e.PublicIDs, publicID{})
					id := &e.PublicIDs[len(e.PublicIDs)-1]
					return d.object(func(key []byte) error {
						switch string(key) {
						case "type":
							return d.strField(&id.Type)
						case "identifier":
							return d.strField(&id.Identifier)
						}
						return d.skip()
					})
				})
			case "entities":
				return d.entities(&e.Entities)
			}
			return d.skip()
		})
	})
}
