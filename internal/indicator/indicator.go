// Package indicator recognises the indicators an analyst pastes: IP
// addresses, networks (CIDR), domain names, web addresses and file hashes,
// in any mix, separated by newlines, commas, semicolons or spaces, and
// defanged or not (hxxp, [.], (.), [:], [://], [at] …). It normalises each
// one as the lookups do (package intel) and knows nothing of the store or
// of HTTP.
package indicator

import (
	"net/netip"
	"strings"

	"github.com/tipd/tipd/internal/intel"
)

// Kind is the kind of a recognised indicator, named as the lookup paths
// name it (/api/ip/, /api/domain/, /api/url/, /api/hash/).
type Kind string

// The kinds of indicators.
const (
	KindIP     Kind = "ip"     // an IPv4 or IPv6 address
	KindCIDR   Kind = "cidr"   // a network shorter than a single address
	KindDomain Kind = "domain" // a domain name with at least one dot
	KindURL    Kind = "url"    // a web address (a scheme, a "/" or a "?")
	KindHash   Kind = "hash"   // an MD5, SHA-1 or SHA-256 hash
)

// MaxLength is the longest indicator recognised, in bytes (that of a web
// address); longer tokens are errors.
const MaxLength = intel.MaxURLLength

// maxQuoted bounds the Raw of an unrecognised indicator, so that one
// paste without separators does not come back whole.
const maxQuoted = 256

// Indicator is one token of a paste, recognised or not.
type Indicator struct {
	// Raw is the token as given (before refanging); an unrecognised one is
	// cut to 256 bytes.
	Raw string
	// Kind is the kind; "" when Err is set.
	Kind Kind
	// Value is the normal form, the key duplicates are found by: the
	// address (IPv4-mapped addresses as IPv4), the masked network, the
	// normalised domain name, the web address's normal form without
	// scheme (intel.NormalizeURL), the upper-case hash.
	Value string
	// Lookup is what to look the indicator up with: Value, except for a web
	// address, which is looked up as given (refanged).
	Lookup string
	IP     netip.Addr   // KindIP
	Prefix netip.Prefix // KindCIDR (masked)
	// Err says why the token is not an indicator (a KindInvalid error).
	Err error
}

// key is what duplicates share.
func (in *Indicator) key() string {
	if in.Err != nil {
		return "\x00" + in.Raw
	}
	return string(in.Kind) + "\x00" + in.Value
}

// Recognize tells what one token is. The token is refanged first. It
// never fails: an unrecognised token has Err set.
func Recognize(token string) Indicator {
	in := Indicator{Raw: token}
	t := refangScheme(unwrap(Refang(token)))
	fail := func(format string, args ...any) Indicator {
		if len(in.Raw) > maxQuoted {
			in.Raw = clipUTF8(in.Raw, maxQuoted) + "…"
		}
		in.Err = intel.Invalid(format, args...)
		return in
	}
	switch {
	case t == "":
		return fail("empty indicator")
	case len(t) > MaxLength:
		return fail("longer than %d bytes", MaxLength)
	}
	if a, ok := parseAddr(t); ok {
		if a.Zone() != "" {
			return fail("%q carries an IPv6 zone", clip(t))
		}
		a = a.Unmap()
		in.Kind, in.IP, in.Value, in.Lookup = KindIP, a, a.String(), a.String()
		return in
	}
	if strings.Contains(t, "/") {
		if p, err := netip.ParsePrefix(t); err == nil {
			p = p.Masked()
			if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
			}
			if p.IsSingleIP() {
				a := p.Addr()
				in.Kind, in.IP, in.Value, in.Lookup = KindIP, a, a.String(), a.String()
				return in
			}
			in.Kind, in.Prefix, in.Value, in.Lookup = KindCIDR, p, p.String(), p.String()
			return in
		}
	}
	if intel.HashKind(t) != "" {
		if h, err := intel.NormalizeHash(t); err == nil {
			in.Kind, in.Value, in.Lookup = KindHash, h, h
			return in
		}
	}
	if strings.Contains(t, "://") || strings.ContainsAny(t, "/?") {
		key, _, err := intel.NormalizeURL(t)
		if err != nil {
			return fail("not a valid %v", err)
		}
		in.Kind, in.Value, in.Lookup = KindURL, key, t
		return in
	}
	if at := strings.LastIndexByte(t, '@'); at >= 0 {
		return fail("%q is an e-mail address; look up its domain %q", clip(t), clip(t[at+1:]))
	}
	name := strings.TrimSuffix(t, ".")
	if !strings.Contains(name, ".") {
		return fail("%q is not an address, network, domain name, web address or file hash", clip(t))
	}
	if last := name[strings.LastIndexByte(name, '.')+1:]; allDigits(last) {
		return fail("%q is not a valid IP address", clip(t))
	}
	d, err := intel.NormalizeDomain(t)
	if err != nil {
		return fail("%q is not an address, network, domain name, web address or file hash", clip(t))
	}
	in.Kind, in.Value, in.Lookup = KindDomain, d, d
	return in
}

// unwrap takes off quotes and angle brackets around a token ("…", '…',
// `…`, <…>), as pasted from CSV files, code and e-mail.
func unwrap(t string) string {
	for len(t) >= 2 {
		switch t[0:1] + t[len(t)-1:] {
		case `""`, "''", "``", "<>":
			t = t[1 : len(t)-1]
			continue
		}
		break
	}
	return t
}

// parseAddr reads an address, also in brackets ("[2001:db8::1]") or with
// a port ("192.0.2.1:443", "[2001:db8::1]:443"), which is dropped.
func parseAddr(t string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(t); err == nil {
		return a, true
	}
	if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
		if a, err := netip.ParseAddr(t[1 : len(t)-1]); err == nil {
			return a, true
		}
	}
	if ap, err := netip.ParseAddrPort(t); err == nil {
		return ap.Addr(), true
	}
	return netip.Addr{}, false
}

// Parse splits text into indicators (see Fields), recognises each and
// drops duplicates: an indicator whose normal form was seen before, an
// unrecognised token given before. The order is that of first appearance.
// More than max distinct indicators is a KindInvalid error.
func Parse(text string, max int) ([]Indicator, error) {
	d := NewDeduper(max)
	for _, f := range Fields(text) {
		if err := d.Add(Recognize(f)); err != nil {
			return nil, err
		}
	}
	return d.List(), nil
}

// Deduper collects distinct indicators, at most max of them.
type Deduper struct {
	max  int
	seen map[string]struct{}
	list []Indicator
}

// NewDeduper returns a Deduper of at most max indicators.
func NewDeduper(max int) *Deduper {
	return &Deduper{max: max, seen: make(map[string]struct{})}
}

// Add adds in unless it is a duplicate; a distinct indicator past max is
// a KindInvalid error.
func (d *Deduper) Add(in Indicator) error {
	k := in.key()
	if _, dup := d.seen[k]; dup {
		return nil
	}
	if len(d.list) >= d.max {
		return intel.Invalid("more than %d distinct indicators; send at most %d at once", d.max, d.max)
	}
	d.seen[k] = struct{}{}
	d.list = append(d.list, in)
	return nil
}

// List returns the distinct indicators in the order they were added.
func (d *Deduper) List() []Indicator { return d.list }

// Fields splits a paste into tokens at newlines, spaces, tabs, commas and
// semicolons. A defanged dot between spaces ("example [.] com") does not
// split. Empty tokens are dropped.
func Fields(text string) []string {
	if strings.ContainsAny(text, "[(") {
		text = spaced.Replace(text)
	}
	return strings.FieldsFunc(text, isSeparator)
}

// spaced closes the spaces around a defanged dot.
var spaced = strings.NewReplacer(" [.] ", "[.]", " [dot] ", "[dot]", " (.) ", "(.)", " (dot) ", "(dot)")

func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', ',', ';', 0x85, 0xA0:
		return true
	}
	return false
}

// refanger undoes the usual defanging inside a token or a whole paste. The
// spaced forms come first: a replacer compares its pairs in order.
var refanger = strings.NewReplacer(
	" [.] ", ".", " [dot] ", ".", " (.) ", ".", " (dot) ", ".",
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".", "{dot}", ".",
	"[DOT]", ".", "(DOT)", ".", "[Dot]", ".", "\\.", ".",
	"[://]", "://", "[:]", ":", "[/]", "/", "[//]", "//",
	"[at]", "@", "(at)", "@", "[AT]", "@", "(AT)", "@", "[@]", "@",
)

// Refang undoes defanging: [.] (.) {.} [dot] (dot) \. become ".", [:]
// ":", [://] "://", [/] "/", [at] (at) [@] "@". Schemes (hxxp, hxxps,
// h**p, fxp) are restored by Recognize, token by token.
func Refang(s string) string {
	if !strings.ContainsAny(s, "[({\\") {
		return s
	}
	return refanger.Replace(s)
}

// refangScheme restores a defanged scheme at the start of a token: hxxp,
// hXXp, h**p, hxxps … and fxp (ftp).
func refangScheme(t string) string {
	if len(t) < 5 {
		return t
	}
	lower := strings.ToLower(t[:min(len(t), 8)])
	for _, d := range []struct{ from, to string }{
		{"hxxps:", "https:"}, {"hxxp:", "http:"}, {"h**ps:", "https:"}, {"h**p:", "http:"},
		{"hxtps:", "https:"}, {"hxtp:", "http:"}, {"fxp:", "ftp:"},
	} {
		if strings.HasPrefix(lower, d.from) {
			return d.to + t[len(d.from):]
		}
	}
	return t
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens a value for quoting in a message.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return clipUTF8(s, max) + "…"
	}
	return s
}

// clipUTF8 cuts s to at most n bytes without splitting a character.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
