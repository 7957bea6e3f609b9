package pebble

import (
	"encoding/binary"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/tipd/tipd/internal/intel"
)

// Encodings of the object records (domains, web addresses and files; see
// objects.go): link items, object summaries and file hashes, in the
// compact encoding of codec.go; the WHOIS record of a summary in it too,
// or as JSON in stores written before (objwhois.go).

// Keys of the object records.
const (
	tObject = 'O' // O kind key                         -> object summary (a file's: with the FileHashes under its hash)
	tHashes = 'F' // F hash                             -> FileHashes (stores written before summaries held them)
	lLinks  = 'k' // list byte of P and I keys: owner = LinkList owner 0x00
)

// severityLinkKeyLen is the length of the sort key of a list ordered by
// severity: the severity byte and the inverted hit count.
const severityLinkKeyLen = 9

// objectKey is the key of an object's summary.
func objectKey(kind intel.ObjectKind, key string) []byte {
	k := make([]byte, 0, 2+len(key))
	k = append(k, tObject, byte(kind))
	return append(k, key...)
}

// hashesKey is the key of the FileHashes stored under one hash.
func hashesKey(hash string) []byte {
	k := make([]byte, 0, 1+len(hash))
	k = append(k, tHashes)
	return append(k, hash...)
}

// linkOwner is the owner part of a link list's P and I keys: the list,
// the owner and a 0x00 (owners hold no NUL byte).
func linkOwner(dst []byte, list intel.LinkList, owner string) []byte {
	dst = append(dst, byte(list))
	dst = append(dst, owner...)
	return append(dst, 0)
}

// linkSortLen is the length of the sort key of a link list.
func linkSortLen(list intel.LinkList) int {
	if list.BySeverity() {
		return severityLinkKeyLen
	}
	return recencyKeyLen
}

// linkSortKey is the sort key of a link: recency (recencyKey), or for
// lists ordered by severity the severity byte then the inverted,
// sign-flipped hit count, so that the index orders as intel.CompareLinks.
func linkSortKey(dst []byte, l *intel.Link) []byte {
	if !l.List.BySeverity() {
		return recencyKey(dst, l.LastSeen, l.Hits)
	}
	dst = severityKey(dst, l.Zone)
	return binary.BigEndian.AppendUint64(dst, ^(uint64(l.Hits) ^ (1 << 63)))
}

// encLink encodes a link item; list, owner and item are in its key.
func encLink(dst []byte, l *intel.Link) []byte {
	e := enc{b: dst}
	e.link(l)
	return e.b
}

// link encodes a link item (encLink) with e, so that in a summary its
// source may be written as srcRepeat.
func (e *enc) link(l *intel.Link) {
	e.byte(valueFormat)
	e.zone(l.Zone)
	e.varint(l.Hits)
	e.date(l.FirstSeen)
	e.date(l.LastSeen)
	e.varint(l.DailyPeak)
	e.date(l.PeakDate)
	e.strs(l.Attrs)
	e.source(l.Source)
}

func decLink(d *dec, l *intel.Link) error {
	d.header()
	l.Zone = d.zone()
	l.Hits = d.varint()
	l.FirstSeen = d.date()
	l.LastSeen = d.date()
	l.DailyPeak = d.varint()
	l.PeakDate = d.date()
	l.Attrs = d.strs()
	l.Source = d.source()
	return d.err
}

// objSum is the stored summary of one object: everything intel.ObjectSummary
// holds but its kind and key, which are in the summary's key.
type objSum struct {
	// names is the table of source names the summary is encoded with
	// (names.go; nil: sources in full), the one it was decoded with.
	names    *names
	info     intel.ObjectInfo
	listings []intel.ObjectListing // sorted by Feed, Category; Kind and Key not stored
	// whois is the WHOIS record of a host that has one (nil: none).
	whois *intel.DomainWhois
	// lists are the counts of the object's lists that have any, by list
	// (see count): an object has items in few of the lists, and a batch
	// decodes a summary for every object it touches.
	lists []listCount
	// hashes is the FileHashes stored under a file's hash (hasHashes:
	// one is).
	hashes    intel.FileHashes
	hasHashes bool
	// hashesEnc, if set, is hashes encoded (encFileHashes), shared by the
	// summaries of the hashes of one FileHashes record; whatever changes
	// hashes clears it.
	hashesEnc []byte
	// inline are the lists whose items the summary holds itself (see
	// inlineList), sorted by list.
	inline []inlineItems
	// old is the summary's value before the batch (found: it had one),
	// wrote the value the batch writes, if any (see applier.loadObj).
	old   []byte
	found bool
	wrote []byte
	// legacy is the content of a summary (without its stamp) into which
	// the batch moved the FileHashes a store written before summaries held
	// them kept under F hash, as it was before the batch (see
	// applier.loadObj); nil for any other.
	legacy []byte
	// stamp is the object's change stamp as the summary holds it (see
	// changes.go); stamped is false for a summary written before
	// summaries held stamps.
	stamp   time.Time
	stamped bool
	// weak: the summary of an MD5 or SHA-1 into which the batch merged
	// FileHashes records (applier.weakSummary).
	weak bool
	// key is the object's kind byte and key (applier.objs), changed
	// whether the batch changed it (see applier.markObject).
	key     string
	changed bool
}

// encObjSum encodes a summary (format 8): a source equal to the one
// written before it in the value is written as srcRepeat, and a summary
// whose fields before its sections are all empty (the summary of a file's
// MD5 or SHA-1 that only holds its FileHashes, most often) starts with
// valueFormatBare instead of them; one whose info alone is empty (a host
// known for the files and web addresses on it) starts with
// valueFormatNoInfo instead of the info (format 10).
func encObjSum(dst []byte, s *objSum) ([]byte, error) { return encSum(dst, s, true) }

// encSum encodes a summary, compact (format 8) or as format 7 wrote it.
func encSum(dst []byte, s *objSum, compact bool) ([]byte, error) {
	hasWhois := s.whois != nil && s.whois.Domain != ""
	if dst == nil {
		n := 128 + 64*len(s.listings)
		if hasWhois {
			n += whoisSize(s.whois)
		}
		if s.hasHashes {
			n += 96 + len(s.hashes.Source.Feed) + len(s.hashes.Source.File)
		}
		dst = make([]byte, 0, n)
	}
	e := enc{b: dst}
	if compact {
		e.memo = true
		e.names, e.add = s.names, true
		if len(s.key) > 1 {
			e.own = s.key[1:]
		}
	}
	start := len(e.b)
	e.byte(valueFormat)
	encSumInfo(&e, &s.info)
	if compact && string(e.b[start+1:]) == emptySumInfo {
		e.b = append(e.b[:start], valueFormatNoInfo)
		e.m = srcMemo{}
	}
	if err := encSumRest(&e, s, hasWhois); err != nil {
		return nil, err
	}
	if compact && e.b[start] == valueFormatNoInfo && string(e.b[start+1:]) == emptySumRest {
		e.b = append(e.b[:start], valueFormatBare)
		e.m = srcMemo{}
	}
	if s.hasHashes {
		e.byte(secHashes)
		if s.hashesEnc != nil && !e.m.ok {
			e.b = append(e.b, s.hashesEnc...)
			e.m = srcMemo{last: s.hashes.Source, ok: true}
		} else {
			encFileHashes(&e, &s.hashes)
		}
	}
	if len(s.inline) > 0 {
		e.byte(secLinks)
		e.uvarint(uint64(len(s.inline)))
		for _, l := range s.inline {
			e.byte(byte(l.list))
			e.uvarint(uint64(len(l.links)))
			for i := range l.links {
				e.str(l.links[i].Item)
				e.link(&l.links[i])
			}
		}
	}
	return appendValueStamp(e.b, s.stamp), nil
}

// valueFormatBare is the first byte of a summary without the fields
// before its sections (all empty); valueFormatNoInfo of one without its
// info (empty), followed by the fields after it.
const (
	valueFormatBare   = 2
	valueFormatNoInfo = 3
)

// emptySumInfo and emptySumRest are the encodings of the info and of the
// other fields before the sections of an empty summary.
var emptySumInfo, emptySumRest = func() (string, string) {
	var i, r enc
	encSumInfo(&i, &intel.ObjectInfo{})
	_ = encSumRest(&r, &objSum{}, false) // no WHOIS record, no error
	return string(i.b), string(r.b)
}()

// encSumInfo encodes the first of the fields of a summary before its
// sections, the object's info (encSum).
func encSumInfo(e *enc, in *intel.ObjectInfo) {
	e.varint(in.Hits)
	e.date(in.FirstSeen)
	e.date(in.LastSeen)
	e.varint(in.Size)
	e.str(in.Type)
	e.str(in.Packer)
	e.str(in.Signer)
	e.str(in.SignerStatus)
	e.strs(in.Allows)
	e.source(in.Source)
}

// encSumRest encodes the fields of a summary after its info: listings,
// list counts and WHOIS record.
func encSumRest(e *enc, s *objSum, hasWhois bool) error {
	e.uvarint(uint64(len(s.listings)))
	for i := range s.listings {
		l := &s.listings[i]
		e.str(l.Feed)
		e.cat(l.Category)
		e.date(l.FirstSeen)
		e.date(l.LastSeen)
		e.source(l.Source)
	}
	n := 0
	for _, c := range s.lists {
		if c.c != (intel.ListCount{}) {
			n++
		}
	}
	e.uvarint(uint64(n))
	for _, c := range s.lists {
		if c.c == (intel.ListCount{}) {
			continue
		}
		e.byte(byte(c.list))
		e.varint(c.c.Items)
		e.varint(c.c.Hits)
		e.zone(c.c.MaxZone)
	}
	if hasWhois {
		return encWhois(e, s.whois)
	}
	e.uvarint(0)
	return nil
}

// listCount is the count of one list of an object's summary.
type listCount struct {
	list intel.LinkList
	c    intel.ListCount
}

// count is the count of one list of the object (zero if it has none).
func (s *objSum) count(list intel.LinkList) intel.ListCount {
	for _, c := range s.lists {
		if c.list == list {
			return c.c
		}
	}
	return intel.ListCount{}
}

// countRef is the count of one list of the object, to change, added (at
// zero, in list order) if the summary has none.
func (s *objSum) countRef(list intel.LinkList) *intel.ListCount {
	i := 0
	for ; i < len(s.lists) && s.lists[i].list <= list; i++ {
		if s.lists[i].list == list {
			return &s.lists[i].c
		}
	}
	s.lists = slices.Insert(s.lists, i, listCount{list: list})
	return &s.lists[i].c
}

// counts are the counts of every list of the object.
func (s *objSum) counts() (out [intel.NumLinkLists]intel.ListCount) {
	for _, c := range s.lists {
		out[c.list] = c.c
	}
	return out
}

// Sections of a summary after its WHOIS record: a tag byte and the
// section's fields, before the stamp. A summary written before they
// existed ends with its WHOIS record and stamp; a decoder meets a section
// when more than a stamp is left.
const (
	secHashes = 'h' // the FileHashes stored under the file's hash
	secLinks  = 'k' // lists held inline: count, then list(1), count, items (item key, link)
)

// encFileHashes encodes the hashes of a FileHashes record, each as one
// byte (hashAbsent, hashRaw, hashText or hashOwn) and its bytes, then its
// source. The stores keep upper-case hex of the hash's length: raw bytes,
// half the size; anything else as text; the hash of the summary's own key
// (e.own; format 10) as the byte alone.
func encFileHashes(e *enc, h *intel.FileHashes) {
	for i, x := range [3]string{h.MD5, h.SHA1, h.SHA256} {
		if x == "" {
			e.byte(hashAbsent)
			continue
		}
		if x == e.own {
			e.byte(hashOwn)
			continue
		}
		if len(x) == 2*hashLens[i] {
			n := len(e.b)
			e.b = slices.Grow(e.b, 1+len(x)/2)[:n+1+len(x)/2]
			e.b[n] = hashRaw
			b := e.b[n+1:]
			var bad byte
			for j := range b {
				hi, lo := unhexTable[x[2*j]], unhexTable[x[2*j+1]]
				bad |= hi | lo
				b[j] = hi<<4 | lo
			}
			if bad < 16 {
				continue
			}
			e.b = e.b[:n]
		}
		e.byte(hashText)
		e.str(x)
	}
	e.source(h.Source)
}

// unhexTable maps the upper-case hex digits to their values, any other
// byte to 0xff.
var unhexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789ABCDEF" {
		t[c] = byte(i)
	}
	return t
}()

func decFileHashes(d *dec, h *intel.FileHashes) {
	for i, x := range [3]*string{&h.MD5, &h.SHA1, &h.SHA256} {
		switch d.byte() {
		case hashAbsent:
			*x = ""
		case hashRaw:
			n := hashLens[i]
			if len(d.s) < n {
				d.fail()
				return
			}
			*x = upperHex(d.s[:n])
			d.s = d.s[n:]
		case hashText:
			*x = d.str()
		case hashOwn:
			if d.own == "" {
				d.fail()
				return
			}
			*x = d.own
		default:
			d.fail()
			return
		}
	}
	h.Source = d.source()
}

// The forms of a hash in encFileHashes, and the lengths in bytes of the
// MD5, SHA-1 and SHA-256.
const (
	hashAbsent = 0
	hashRaw    = 1
	hashText   = 2
	hashOwn    = 3
)

var hashLens = [3]int{16, 20, 32}

// upperHex is the upper-case hex of the bytes of s.
func upperHex(s string) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 2*len(s))
	for i := 0; i < len(s); i++ {
		b[2*i], b[2*i+1] = digits[s[i]>>4], digits[s[i]&15]
	}
	return unsafe.String(&b[0], len(b))
}

func decObjSum(d *dec, s *objSum) error { return decObjSumFields(d, s, true) }

// decObjSumFields decodes a summary, its WHOIS record only if whois is
// set.
func decObjSumFields(d *dec, s *objSum, whois bool) error {
	s.names = d.names
	switch {
	case strings.HasPrefix(d.s, "\x02"): // valueFormatBare
		d.s = d.s[1:]
	case strings.HasPrefix(d.s, "\x03"): // valueFormatNoInfo
		d.s = d.s[1:]
		if !decSumRest(d, s, whois) {
			return d.err
		}
	default:
		if !decSumHead(d, s, whois) {
			return d.err
		}
	}
	for d.err == nil && len(d.s) > stampLen {
		switch d.byte() {
		case secHashes:
			decFileHashes(d, &s.hashes)
			s.hasHashes = d.err == nil
		case secLinks:
			decInline(d, s)
		default:
			d.fail()
		}
	}
	s.stamp, s.stamped = d.valueStamp()
	return d.err
}

// decSumHead decodes the fields of a summary before its sections (see
// encSumInfo and encSumRest), reporting whether it could.
func decSumHead(d *dec, s *objSum, whois bool) bool {
	d.header()
	decSumInfo(d, &s.info)
	return decSumRest(d, s, whois)
}

// decSumInfo decodes what encSumInfo wrote.
func decSumInfo(d *dec, in *intel.ObjectInfo) {
	in.Hits = d.varint()
	in.FirstSeen = d.date()
	in.LastSeen = d.date()
	in.Size = d.varint()
	in.Type = d.str()
	in.Packer = d.str()
	in.Signer = d.str()
	in.SignerStatus = d.str()
	in.Allows = d.strs()
	in.Source = d.source()
}

// decSumRest decodes what encSumRest wrote, reporting whether it could.
func decSumRest(d *dec, s *objSum, whois bool) bool {
	if n := d.uvarint(); n > 0 && n <= uint64(len(d.s)) {
		s.listings = make([]intel.ObjectListing, n)
		for i := range s.listings {
			l := &s.listings[i]
			l.Feed = d.str()
			l.Category = d.cat()
			l.FirstSeen = d.date()
			l.LastSeen = d.date()
			l.Source = d.source()
		}
	} else if n != 0 {
		d.fail()
	}
	n := d.uvarint()
	if n > uint64(len(d.s)) {
		d.fail()
	}
	for range n {
		list := d.byte()
		c := intel.ListCount{Items: d.varint(), Hits: d.varint(), MaxZone: d.zone()}
		if d.err != nil {
			break
		}
		if !intel.LinkList(list).Valid() {
			d.fail()
			break
		}
		*s.countRef(intel.LinkList(list)) = c
	}
	if j := d.view(); whois && j != "" && d.err == nil {
		s.whois = new(intel.DomainWhois)
		decWhois(d, j, s.whois)
	}
	return d.err == nil
}

// encHashes encodes the FileHashes stored under one hash and the change
// stamp of that hash's file object.
func encHashes(dst []byte, h *intel.FileHashes, stamp time.Time) []byte {
	e := enc{b: dst}
	e.byte(valueFormat)
	e.str(h.MD5)
	e.str(h.SHA1)
	e.str(h.SHA256)
	e.source(h.Source)
	return appendValueStamp(e.b, stamp)
}

func decHashes(d *dec, h *intel.FileHashes) error {
	d.header()
	h.MD5 = d.str()
	h.SHA1 = d.str()
	h.SHA256 = d.str()
	h.Source = d.source()
	return d.err
}

// decHashesStamp decodes a FileHashes value and the change stamp it holds
// (stamped false for a value written before they held stamps).
func decHashesStamp(d *dec, h *intel.FileHashes) (stamp time.Time, stamped bool, err error) {
	if err := decHashes(d, h); err != nil {
		return time.Time{}, false, err
	}
	stamp, stamped = d.valueStamp()
	return stamp, stamped, d.err
}

// Object summaries and FileHashes values end with the change stamp of
// their object: stampLen bytes, microseconds since 1970 (0: none), after
// the fields; values written before they held stamps end after the
// fields, and the stamp is then under its own key (see changes.go).
const stampLen = 8

func appendValueStamp(dst []byte, t time.Time) []byte {
	var us uint64
	if !t.IsZero() {
		us = uint64(t.UnixMicro())
	}
	return binary.BigEndian.AppendUint64(dst, us)
}

// setValueStamp replaces the stamp ending a value written with one.
func setValueStamp(v []byte, t time.Time) {
	appendValueStamp(v[:len(v)-stampLen], t)
}

// valueStamp reads the stamp ending a value, if the fields are followed by
// one; anything else left is corrupt.
func (d *dec) valueStamp() (time.Time, bool) {
	switch {
	case d.err != nil || len(d.s) == 0:
		return time.Time{}, false
	case len(d.s) != stampLen:
		d.fail()
		return time.Time{}, false
	}
	us := binary.BigEndian.Uint64([]byte(d.s))
	d.s = ""
	if us == 0 {
		return time.Time{}, true
	}
	return time.UnixMicro(int64(us)).UTC(), true
}

// valueContent is a value without the stamp that ends it, if it has one
// (stamped).
func valueContent(v []byte, stamped bool) []byte {
	if stamped && len(v) >= stampLen {
		return v[:len(v)-stampLen]
	}
	return v
}

// inlineItems are the items of one list held in its owner's summary, in
// the order of the list's index (see sortInline).
type inlineItems struct {
	list  intel.LinkList
	links []intel.Link // List and Item set, Owner not
}

func decInline(d *dec, s *objSum) {
	n := d.uvarint()
	if n > uint64(len(d.s)) || n == 0 {
		d.fail()
		return
	}
	s.inline = make([]inlineItems, n)
	for i := range s.inline {
		l := &s.inline[i]
		l.list = intel.LinkList(d.byte())
		m := d.uvarint()
		if !inlineList(l.list) || m == 0 || m > uint64(len(d.s)) || i > 0 && l.list <= s.inline[i-1].list {
			d.fail()
			return
		}
		l.links = make([]intel.Link, m)
		for j := range l.links {
			k := &l.links[j]
			k.List = l.list
			k.Item = d.str()
			if decLink(d, k) != nil {
				return
			}
		}
	}
}
