// Package rpsl parses WHOIS database dumps in RPSL (-format rpsl), as the
// RIPE NCC publishes them split into one file per object type (inetnum,
// inet6num, aut-num, route, route6, organisation, role, person, …).
//
// Objects are separated by blank lines; an object is "attribute: value"
// lines, the first naming its class; a line starting with white space or
// "+" continues the previous attribute; lines starting with "%" or "#" are
// comments.
//
//   - inetnum ("a.b.c.d - e.f.g.h") and inet6num (a prefix) objects become
//     WhoisNet records (IpWhoIs.Net), one per CIDR of the range, with their
//     contacts (IpWhoIs.Contacts) resolved through the org, admin-c, tech-c
//     and abuse-c handles to organisation, role and person objects;
//   - route and route6 objects become ASRange records of their origin AS,
//     described by the AS's aut-num object (as-name and descr lines).
//
// Contacts and AS descriptions may be defined in any file of the dump: a
// Dump (an importer.FileSet) scans every file first and keeps the objects
// that are referred to in a sorted temporary file with a sparse index in
// memory, so memory stays bounded whatever the dump's size. A parser made
// without a Dump keeps unresolved handles as contacts that carry only the
// handle.
package rpsl

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tipd/tipd/internal/importer"
)

// Limits of one object.
const (
	maxAttrs       = 4096
	maxObjectBytes = 1 << 20
)

type attr struct {
	name, value string
}

// object is an RPSL object being read.
type object struct {
	line   int // line of the first attribute
	attrs  []attr
	size   int
	broken bool // a bad line was reported: skip the object
}

func (o *object) class() string {
	if len(o.attrs) == 0 {
		return ""
	}
	return o.attrs[0].name
}

func (o *object) reset() {
	o.line, o.attrs, o.size, o.broken = 0, o.attrs[:0], 0, false
}

// first returns the value of the first attribute called name.
func (o *object) first(name string) string {
	for _, a := range o.attrs {
		if a.name == name {
			return a.value
		}
	}
	return ""
}

// all returns the values of every attribute called name.
func (o *object) all(name string) []string {
	var out []string
	for _, a := range o.attrs {
		if a.name == name {
			out = append(out, a.value)
		}
	}
	return out
}

// classes are the RPSL object classes. A class name is never used as the
// name of another attribute, so a line naming one starts a new object even
// where the blank line before it is missing (the import pipeline does not
// hand blank lines to parsers).
var classes = map[string]bool{
	"as-block": true, "as-set": true, "aut-num": true, "domain": true, "filter-set": true, "inet-rtr": true,
	"inet6num": true, "inetnum": true, "irt": true, "key-cert": true, "mntner": true, "organisation": true,
	"peering-set": true, "person": true, "poem": true, "poetic-form": true, "role": true, "route": true,
	"route-set": true, "route6": true, "rtr-set": true, "limerick": true,
}

// reader splits lines into objects: an object ends at a blank line or
// where the next object's class line starts.
type reader struct {
	obj  object // being read
	done object // the last complete object
}

// end moves the current object to r.done.
func (r *reader) end() {
	r.obj, r.done = r.done, r.obj
	r.obj.reset()
}

// add reads one line. It returns true when a complete object is in r.done
// (to be used before the next call).
func (r *reader) add(line []byte, lineNo int) (bool, error) {
	if len(line) > 0 && (line[0] == '%' || line[0] == '#') {
		return false, nil
	}
	if len(bytes.TrimSpace(line)) == 0 {
		if len(r.obj.attrs) == 0 && !r.obj.broken {
			return false, nil
		}
		r.end()
		return true, nil
	}
	ended := false
	if i := bytes.IndexByte(line, ':'); i > 0 && line[0] != ' ' && line[0] != '\t' && line[0] != '+' &&
		classes[strings.ToLower(string(line[:i]))] && (len(r.obj.attrs) > 0 || r.obj.broken) {
		r.end()
		ended = true
	}
	err := r.line(line, lineNo)
	return ended, err
}

// line adds one attribute or continuation line to the current object.
func (r *reader) line(line []byte, lineNo int) error {
	o := &r.obj
	if line[0] == ' ' || line[0] == '\t' || line[0] == '+' {
		if len(o.attrs) == 0 {
			o.broken = true
			return fmt.Errorf("continuation line outside an object")
		}
		v := strings.TrimSpace(string(line[1:]))
		if err := o.grow(len(v)); err != nil {
			return err
		}
		a := &o.attrs[len(o.attrs)-1]
		if v != "" {
			if a.value != "" {
				a.value += " "
			}
			a.value += v
		}
		return nil
	}
	i := bytes.IndexByte(line, ':')
	if i <= 0 || !isName(line[:i]) {
		if len(o.attrs) == 0 {
			o.line = lineNo
		}
		o.broken = true
		return fmt.Errorf("not an attribute line %q", clip(string(line)))
	}
	if len(o.attrs) == 0 {
		o.line = lineNo
	}
	if err := o.grow(len(line)); err != nil {
		return err
	}
	if len(o.attrs) >= maxAttrs {
		o.broken = true
		return fmt.Errorf("object at line %d has more than %d attributes", o.line, maxAttrs)
	}
	o.attrs = append(o.attrs, attr{name: strings.ToLower(string(line[:i])), value: strings.TrimSpace(string(line[i+1:]))})
	return nil
}

func (o *object) grow(n int) error {
	o.size += n
	if o.size > maxObjectBytes && !o.broken {
		o.broken = true
		return fmt.Errorf("object at line %d larger than 1 MiB", o.line)
	}
	return nil
}

func isName(b []byte) bool {
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// clip shortens a value for an error message.
var clip = importer.Clip
