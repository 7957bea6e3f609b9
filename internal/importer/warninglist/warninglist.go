// Package warninglist parses MISP warninglists (-format warninglist): one
// JSON document {name, version, description, matching_attributes, type,
// list} naming known-benign values (public resolvers, CDN and cloud
// ranges). Every address or network of the list becomes an Allow record
// under the list's name: such addresses are Green and feed listings inside
// them are shown as suppressed.
//
// Lists of type cidr hold addresses and networks. Lists of type string and
// hostname may mix addresses with host names: the addresses are kept as
// above, each host name becomes an ObjectInfo of the host that names the
// list in Allows: the name and every name below it are known benign (the
// domain and URL lookups answer them Green). A leading "." or "*." is
// dropped ("*.cdn.example" allows cdn.example and below). Public suffixes
// ("com", "co.uk": lists of TLDs are warninglists too) and names of one
// label are never allow-listed: they are counted as ignored, as are other
// strings (web addresses, e-mail addresses, anything not a host name).
// Substring and regex lists name no addresses and are ignored whole.
//
// A warninglist is one JSON document, not a line format: the parser reads
// it whole (it is an importer.StreamParser) and refuses documents larger
// than MaxDocument, so memory stays bounded. Entries are numbered 1, 2, …
// in list order; a bad entry is reported by its number and skipped.
package warninglist

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// MaxDocument is the largest warninglist read, in bytes (the largest
// published lists are a few MiB).
const MaxDocument = 32 << 20

// Document is a MISP warninglist. Writers (the generator) fill it and
// encode it with json.Marshal.
type Document struct {
	Description        string            `json:"description"`
	List               []json.RawMessage `json:"list"`
	MatchingAttributes []string          `json:"matching_attributes"`
	Name               string            `json:"name"`
	Type               string            `json:"type"`
	Version            json.Number       `json:"version"`
}

// Parser parses one warninglist.
type Parser struct {
	feed    string
	ignored importer.IgnoreCounter
}

// New returns a parser; o.Feed names the list when the document has no
// name.
func New(o importer.ParserConfig) *Parser { return &Parser{feed: o.Feed} }

// Ignored implements importer.Ignorer.
func (p *Parser) Ignored() []importer.Ignored { return p.ignored.Ignored() }

// Parse implements importer.Parser; Import uses ParseStream instead.
func (p *Parser) Parse([]byte, int, *intel.Batch) error {
	return errors.New("a warninglist is read as a whole document")
}

// errTooLarge is returned for documents over MaxDocument.
var errTooLarge = fmt.Errorf("document larger than %d MiB: not a warninglist", MaxDocument>>20)

// ParseStream implements importer.StreamParser.
func (p *Parser) ParseStream(r io.Reader, emit func(n int, parse func(b *intel.Batch) error) error) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocument+1))
	if err != nil {
		return fmt.Errorf("read warninglist: %w", err)
	}
	if len(data) > MaxDocument {
		return errTooLarge
	}
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("not a warninglist JSON document: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	data = nil
	name := strings.TrimSpace(d.Name)
	if name == "" {
		name = p.feed
	}
	if name == "" {
		return fmt.Errorf("missing field %q (or -feed)", "name")
	}
	if d.List == nil {
		return fmt.Errorf("missing field %q", "list")
	}
	typ := strings.ToLower(strings.TrimSpace(d.Type))
	switch typ {
	case "cidr", "string", "hostname", "substring", "regex":
	case "":
		return fmt.Errorf("missing field %q", "type")
	default:
		return fmt.Errorf("unknown list type %q (want cidr, string, hostname, substring or regex)", clip(d.Type))
	}
	for i, raw := range d.List {
		err := emit(i+1, func(b *intel.Batch) error { return p.entry(raw, typ, name, b) })
		if err != nil {
			return err
		}
	}
	return nil
}

// entry converts one list entry.
func (p *Parser) entry(raw json.RawMessage, typ, name string, b *intel.Batch) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("entry %s: want a string", clip(string(raw)))
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return fmt.Errorf("empty entry")
	}
	switch typ {
	case "substring", "regex":
		p.ignored.Add(typ + " entries")
		return nil
	}
	_, _, prefixes, err := importer.ParseRange(s)
	if err != nil {
		if typ != "cidr" {
			p.host(s, name, b)
			return nil
		}
		return fmt.Errorf("entry %q: not an address or network", clip(s))
	}
	for _, pf := range prefixes {
		b.Allows = append(b.Allows, intel.Allow{Prefix: pf, List: name})
	}
	return nil
}

// Reasons of the entries of string and hostname lists that are not kept.
const (
	IgnoredSuffix = "public suffixes and names of one label (never allow-listed whole)"
	IgnoredOther  = "strings that are not host names"
)

// host keeps a host name of a string or hostname list as allow-listed.
func (p *Parser) host(s, list string, b *intel.Batch) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "*"), ".")
	name, err := intel.NormalizeDomain(s)
	switch {
	case err != nil:
		p.ignored.Add(IgnoredOther)
	case !strings.Contains(name, ".") || intel.RegistrableDomain(name) == "":
		p.ignored.Add(IgnoredSuffix)
	default:
		b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectHost, Key: name, Allows: []string{list}})
	}
}

// clip shortens a value for an error message.
var clip = importer.Clip
