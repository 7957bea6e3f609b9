package pebble

import (
	"encoding/binary"
	"errors"
	"math"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/tipd/tipd/internal/intel"
)

// The value encoding is a sequence of fields without names: unsigned and
// signed varints, strings as a varint length and bytes, times as two varints
// (seconds since 0001-01-01 UTC, nanoseconds; the zero time is 0, 0), zones
// and known categories as one byte. Each value starts with a format byte so
// that the layout can evolve.

const valueFormat = 1

// unixToInternal is the number of seconds from 0001-01-01 to 1970-01-01;
// with it the zero time.Time encodes as 0.
const unixToInternal int64 = 62135596800

var errCorrupt = errors.New("corrupt value")

var zoneCodes = []intel.Zone{"", intel.ZoneGreen, intel.ZoneGrey, intel.ZoneYellow, intel.ZoneOrange, intel.ZoneRed}

const otherCode = 255

var categoryCodes = intel.KnownCategories()

type enc struct {
	b []byte
	// memo, when set, has source write a source equal to the one it wrote
	// before it as srcRepeat (object summaries: see encObjSum), and date
	// a date as dateRepeat likewise; m is what they wrote last. It is held
	// here rather than pointed to so that an enc on the stack needs no
	// allocation.
	memo bool
	m    srcMemo
	// names, when set, has source write a source whose feed and file
	// have a number in it as nameRef (names.go); add numbers a new pair.
	names *names
	add   bool
	// own, when set, is the key of the summary being encoded: a hash of
	// its FileHashes equal to it is written as hashOwn.
	own string
}

// srcMemo is the source an enc wrote last.
type srcMemo struct {
	last intel.Source
	ok   bool
	// date is the last date written with enc.date (hasDate: one was).
	date    time.Time
	hasDate bool
}

// srcRepeat stands for "the source decoded before this one in the same
// value". It is the uvarint 0 written in two bytes, which no source starts
// with: their feed's length is written in the shortest form. Object
// summaries (format 8) write it; a summary holds the same source once per
// section and list item it fed, a file's often six times.
const srcRepeat = "\x80\x00"

func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) byte(v byte)      { e.b = append(e.b, v) }

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *enc) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *enc) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0, 0)
		return
	}
	e.uvarint(uint64(t.Unix() + unixToInternal))
	e.uvarint(uint64(t.Nanosecond()))
}

// date encodes a date of a record (first or last seen) as time does, or,
// in a summary (e.memo set) and equal to the date written before it with
// date, as dateRepeat: a file's dates in its info, listings and links are
// often one time.
func (e *enc) date(t time.Time) {
	if m := &e.m; e.memo && !t.IsZero() {
		if m.hasDate && m.date.Equal(t) {
			e.b = append(e.b, dateRepeat...)
			return
		}
		m.date, m.hasDate = t, true
	}
	e.time(t)
}

// dateRepeat stands for "the date decoded with dec.date before this one in
// the same value": the uvarint 0 written in two bytes, which no time starts
// with (their seconds are written in the shortest form). Object summaries
// (format 9) write it.
const dateRepeat = srcRepeat

func (e *enc) zone(z intel.Zone) {
	for i, c := range zoneCodes {
		if c == z {
			e.byte(byte(i))
			return
		}
	}
	e.byte(otherCode)
	e.str(string(z))
}

func (e *enc) cats(cs []intel.Category) {
	e.uvarint(uint64(len(cs)))
	for _, c := range cs {
		e.cat(c)
	}
}

func (e *enc) cat(c intel.Category) {
	for i, k := range categoryCodes {
		if k == c {
			e.byte(byte(i))
			return
		}
	}
	e.byte(otherCode)
	e.str(string(c))
}

func (e *enc) source(s intel.Source) {
	if m := &e.m; e.memo {
		if m.ok && m.last.Feed == s.Feed && m.last.File == s.File && m.last.Imported.Equal(s.Imported) {
			e.b = append(e.b, srcRepeat...)
			return
		}
		m.last, m.ok = s, true
	}
	if e.names != nil && (s.Feed != "" || s.File != "") {
		if id, base, ok := e.names.id(s, e.add); ok {
			e.b = append(e.b, nameRef...)
			e.uvarint(uint64(id))
			p := partsOf(s.Imported)
			e.varint(p.sec - base.sec)
			e.varint(p.ns - base.ns)
			return
		}
	}
	e.str(s.Feed)
	e.str(s.File)
	e.time(s.Imported)
}

func (e *enc) addr(a netip.Addr) {
	b := a.As16()
	e.b = append(e.b, b[:]...)
}

// dec decodes a value held in a string: strings it returns are substrings
// of it, so decoding a value costs one allocation for all its strings (the
// conversion of the value to a string) instead of one per string. cats,
// when set, is a shared backing array for category lists.
//
// When ar is set, s is a view of memory the caller does not own (an
// iterator's key or value) and every string returned is copied into the
// arena instead; names that repeat from item to item (sources, detection
// names, feeds) are interned there.
type dec struct {
	s    string
	err  error
	cats *[]intel.Category
	ar   *arena
	// poolHint is the capacity to give the shared backing arrays of
	// category and string lists when they are made (0: what one list needs).
	poolHint int
	// seen, when set (list reads, with ar), remembers the last source and
	// string list decoded (see repeats).
	seen *repeats
	// lastSrc is the source decoded last (hasSrc: one was), which
	// srcRepeat stands for.
	lastSrc intel.Source
	hasSrc  bool
	// lastDate is the date decoded last with date (hasDate: one was),
	// which dateRepeat stands for.
	lastDate time.Time
	hasDate  bool
	// names resolves the sources written as nameRef (names.go); a value
	// that holds one fails to decode without it.
	names *names
	// own is the key of the summary decoded, which a hash written as
	// hashOwn stands for; a value that holds one fails to decode without
	// it.
	own string
}

// repeats remembers the last source and string list a dec decoded, with
// their encodings: in a list read an item's source (feed, file, import
// time) and feeds are usually byte for byte the ones of the item before,
// and are then compared instead of decoded again.
type repeats struct {
	srcRaw   []byte
	src      intel.Source
	feedsRaw []byte
	feeds    []string
}

// arena holds the strings of one read call in a few large allocations.
// Bytes are only ever appended after the last string handed out (a full
// chunk is replaced by a new one, never written again), so strings made
// from it with unsafe.String stay immutable. recent remembers the last
// interned strings.
type arena struct {
	b      []byte
	n      int // bytes copied in
	chunk  int // size of the next chunk
	recent [8]string
	next   int
	strs   []string // shared backing array for string lists
}

// copy returns s as a string in the arena.
func (a *arena) copy(s string) string {
	if len(s) == 0 {
		return ""
	}
	if cap(a.b)-len(a.b) < len(s) {
		a.b = make([]byte, 0, max(a.chunk, len(s), 256))
	}
	n := len(a.b)
	a.b = append(a.b, s...)
	a.n += len(s)
	return unsafe.String(&a.b[n], len(s))
}

// intern returns a string equal to s, shared with a recent one if any.
func (a *arena) intern(s string) string {
	for _, r := range a.recent {
		if r == s {
			return r
		}
	}
	c := a.copy(s)
	a.recent[a.next] = c
	a.next = (a.next + 1) % len(a.recent)
	return c
}

// name decodes a string that is likely to repeat between items.
func (d *dec) name() string {
	v := d.view()
	if d.ar != nil && v != "" {
		return d.ar.intern(v)
	}
	return v
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.s = ""
}

func (d *dec) uvarint() uint64 {
	s := d.s
	if len(s) > 0 && s[0] < 0x80 { // the common one-byte case
		d.s = s[1:]
		return uint64(s[0])
	}
	var v uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			d.s = s[i+1:]
			return v | uint64(c)<<shift
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.fail()
	return 0
}

func (d *dec) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *dec) byte() byte {
	if len(d.s) < 1 {
		d.fail()
		return 0
	}
	v := d.s[0]
	d.s = d.s[1:]
	return v
}

func (d *dec) bool() bool { return d.byte() != 0 }

func (d *dec) str() string {
	v := d.view()
	if d.ar != nil {
		return d.ar.copy(v)
	}
	return v
}

// view decodes a string as a substring of d.s, whatever d.ar.
func (d *dec) view() string {
	n := d.uvarint()
	if n > uint64(len(d.s)) {
		d.fail()
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

func (d *dec) strs() []string {
	r := d.seen
	if r != nil && len(r.feedsRaw) > 0 && strings.HasPrefix(d.s, bytesView(r.feedsRaw)) {
		d.s = d.s[len(r.feedsRaw):]
		start := len(d.ar.strs)
		d.ar.strs = append(d.ar.strs, r.feeds...)
		return d.ar.strs[start:len(d.ar.strs):len(d.ar.strs)]
	}
	rest := d.s
	n := d.uvarint()
	if n == 0 || n > uint64(len(d.s)) {
		if n != 0 {
			d.fail()
		}
		return nil
	}
	if d.ar == nil {
		out := make([]string, n)
		for i := range out {
			out[i] = d.str()
		}
		return out
	}
	pool := d.ar.strs
	if pool == nil {
		pool = make([]string, 0, max(int(n), d.poolHint))
	}
	start := len(pool)
	for range n {
		pool = append(pool, d.name())
	}
	d.ar.strs = pool
	out := pool[start:len(pool):len(pool)]
	if r != nil && d.err == nil {
		r.feedsRaw = append(r.feedsRaw[:0], rest[:len(rest)-len(d.s)]...)
		r.feeds = out
	}
	return out
}

// repeat reports whether d is at the two bytes that stand for a value
// repeated (srcRepeat, dateRepeat) and takes them; has is whether there is
// a value to repeat (d fails if not).
func (d *dec) repeat(has bool) bool {
	if !strings.HasPrefix(d.s, srcRepeat) {
		return false
	}
	d.s = d.s[len(srcRepeat):]
	if !has {
		d.fail()
	}
	return true
}

// date decodes what enc.date wrote.
func (d *dec) date() time.Time {
	if d.repeat(d.hasDate) {
		return d.lastDate
	}
	t := d.time()
	if !t.IsZero() && d.err == nil {
		d.lastDate, d.hasDate = t, true
	}
	return t
}

func (d *dec) time() time.Time {
	s := d.s
	if len(s) >= 2 && s[0] == 0 && s[1] == 0 { // the zero time
		d.s = s[2:]
		return time.Time{}
	}
	// The seconds varint decoded in place; the nanoseconds are usually
	// one byte.
	var sec uint64
	var shift uint
	i := 0
	for {
		if i >= len(s) || i >= binary.MaxVarintLen64 {
			d.fail()
			return time.Time{}
		}
		c := s[i]
		i++
		if c < 0x80 {
			sec |= uint64(c) << shift
			break
		}
		sec |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.s = s[i:]
	ns := d.uvarint()
	if sec == 0 && ns == 0 {
		return time.Time{}
	}
	if sec > math.MaxInt64 || ns >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(int64(sec)-unixToInternal, int64(ns)).UTC()
}

func (d *dec) zone() intel.Zone {
	c := d.byte()
	if int(c) < len(zoneCodes) {
		return zoneCodes[c]
	}
	if c != otherCode {
		d.fail()
		return ""
	}
	return intel.Zone(d.name())
}

func (d *dec) catsList() []intel.Category {
	n := d.uvarint()
	if n == 0 || n > uint64(len(d.s)) {
		if n != 0 {
			d.fail()
		}
		return nil
	}
	if d.cats == nil {
		out := make([]intel.Category, n)
		for i := range out {
			out[i] = d.cat()
		}
		return out
	}
	pool := *d.cats
	if pool == nil {
		pool = make([]intel.Category, 0, max(int(n), d.poolHint))
	}
	start := len(pool)
	for range n {
		pool = append(pool, d.cat())
	}
	*d.cats = pool
	return pool[start:len(pool):len(pool)]
}

func (d *dec) cat() intel.Category {
	c := d.byte()
	if int(c) < len(categoryCodes) {
		return categoryCodes[c]
	}
	if c != otherCode {
		d.fail()
		return ""
	}
	return intel.Category(d.name())
}

func (d *dec) source() intel.Source {
	if d.repeat(d.hasSrc) {
		return d.lastSrc
	}
	r := d.seen
	if r != nil && len(r.srcRaw) > 0 && strings.HasPrefix(d.s, bytesView(r.srcRaw)) {
		d.s = d.s[len(r.srcRaw):]
		d.lastSrc, d.hasSrc = r.src, true
		return r.src
	}
	rest := d.s
	var src intel.Source
	if strings.HasPrefix(d.s, nameRef) {
		d.s = d.s[len(nameRef):]
		ent, ok := d.names.entry(d.uvarint())
		t, tok := timeOf(timeParts{ent.base.sec + d.varint(), ent.base.ns + d.varint()})
		if !ok || !tok || d.err != nil {
			d.fail()
			return src
		}
		src = intel.Source{Feed: ent.feed, File: ent.file, Imported: t}
	} else {
		src = intel.Source{Feed: d.name(), File: d.name(), Imported: d.time()}
	}
	if d.err == nil {
		if r != nil {
			r.srcRaw = append(r.srcRaw[:0], rest[:len(rest)-len(d.s)]...)
			r.src = src
		}
		d.lastSrc, d.hasSrc = src, true
	}
	return src
}

func (d *dec) addr() netip.Addr {
	if len(d.s) < 16 {
		d.fail()
		return netip.Addr{}
	}
	var b [16]byte
	copy(b[:], d.s[:16])
	d.s = d.s[16:]
	return netip.AddrFrom16(b).Unmap()
}

func (d *dec) header() {
	if d.byte() != valueFormat {
		d.fail()
	}
}

// Sort keys of list items. recencyKey orders newest LastSeen first, then
// more hits first: 12 bytes of inverted time and 8 of inverted hits.
func recencyKey(dst []byte, last time.Time, hits int64) []byte {
	var sec uint64
	var ns uint32
	if !last.IsZero() {
		sec = uint64(last.Unix() + unixToInternal)
		ns = uint32(last.Nanosecond())
	}
	dst = binary.BigEndian.AppendUint64(dst, ^sec)
	dst = binary.BigEndian.AppendUint32(dst, ^ns)
	dst = binary.BigEndian.AppendUint64(dst, ^(uint64(hits) ^ (1 << 63)))
	return dst
}

const recencyKeyLen = 20

// severityKey orders the most severe zone first.
func severityKey(dst []byte, z intel.Zone) []byte {
	return append(dst, byte(255-z.Severity()))
}

// Item encodings. The fields that are part of the item's key (URL, MD5,
// domain, mask) and the owner address are not repeated in the value.

func encHosted(dst []byte, h *intel.HostedURL) []byte {
	e := enc{b: dst}
	e.byte(valueFormat)
	e.zone(h.Zone)
	e.cats(h.Categories)
	e.varint(h.Hits)
	e.bool(h.Truncated)
	e.time(h.FirstSeen)
	e.time(h.LastSeen)
	e.source(h.Source)
	return e.b
}

func decHosted(d *dec, h *intel.HostedURL) error {
	d.header()
	h.Zone = d.zone()
	h.Categories = d.catsList()
	h.Hits = d.varint()
	h.Truncated = d.bool()
	h.FirstSeen = d.time()
	h.LastSeen = d.time()
	h.Source = d.source()
	return d.err
}

// encFile encodes a file download; withKey adds IP and URL (used by the
// per-URL list, whose items merge several addresses).
func encFile(dst []byte, f *intel.FileDownload, withKey bool) []byte {
	e := enc{b: dst}
	e.byte(valueFormat)
	e.zone(f.Zone)
	e.str(f.DetectionName)
	e.varint(f.Hits)
	e.time(f.FirstSeen)
	e.time(f.LastSeen)
	e.source(f.Source)
	if withKey {
		e.addr(f.IP)
		e.str(f.URL)
	}
	return e.b
}

func decFile(d *dec, f *intel.FileDownload, withKey bool) error {
	d.header()
	f.Zone = d.zone()
	f.DetectionName = d.name()
	f.Hits = d.varint()
	f.FirstSeen = d.time()
	f.LastSeen = d.time()
	f.Source = d.source()
	if withKey {
		f.IP = d.addr()
		f.URL = d.str()
	}
	return d.err
}

func encResolution(dst []byte, r *intel.Resolution) []byte {
	e := enc{b: dst}
	e.byte(valueFormat)
	e.time(r.FirstSeen)
	e.time(r.LastSeen)
	e.varint(r.Hits)
	e.varint(r.DailyPeak)
	e.time(r.PeakDate)
	e.source(r.Source)
	e.zone(r.Zone)
	e.cats(r.Categories)
	return e.b
}

func decResolution(d *dec, r *intel.Resolution) error {
	d.header()
	r.FirstSeen = d.time()
	r.LastSeen = d.time()
	r.Hits = d.varint()
	r.DailyPeak = d.varint()
	r.PeakDate = d.time()
	r.Source = d.source()
	r.Zone = d.zone()
	r.Categories = d.catsList()
	return d.err
}

func encMask(dst []byte, m *intel.FeedMask) []byte {
	e := enc{b: dst}
	e.byte(valueFormat)
	e.zone(m.Zone)
	e.strs(m.Feeds)
	e.time(m.LastSeen)
	e.source(m.Source)
	return e.b
}

func decMask(d *dec, m *intel.FeedMask) error {
	d.header()
	m.Zone = d.zone()
	m.Feeds = d.strs()
	m.LastSeen = d.time()
	m.Source = d.source()
	return d.err
}

func encDomain(dst []byte, di *intel.DomainInfo) []byte {
	e := enc{b: dst}
	e.byte(valueFormat)
	e.zone(di.Zone)
	e.cats(di.Categories)
	e.source(di.Source)
	return e.b
}

func decDomain(d *dec, di *intel.DomainInfo) error {
	d.header()
	di.Zone = d.zone()
	di.Categories = d.catsList()
	di.Source = d.source()
	return d.err
}

// addrSum is the stored summary of one address.
type addrSum struct {
	hits      int64
	first     time.Time
	last      time.Time
	listings  []intel.Listing // sorted by Feed, Category; IP not stored
	reportIDs []string        // sorted
	spam      intel.SpamSummary
	phish     intel.PhishingState
	redURLs   int64
	redFiles  int64
	lens      [4]int64  // items of the lists u, f, r, m (see listNo)
	lens0     [4]int64  // lens before the batch (Apply only, not stored)
	changed   time.Time // the change stamp (see changes.go)
	// days are the first and last day of the address's sighting keys
	// (the day part of an S key as a number; 0, 0 without sightings), so
	// that Apply knows a day outside them has no key.
	days  [2]uint64
	days0 [2]uint64 // days before the batch (Apply only, not stored)
	// last and hits before the batch (Apply only, not stored; netindex.go)
	last0 time.Time
	hits0 int64
}

// sighted widens the sighting days by day (an S key's day part).
func (s *addrSum) sighted(day uint64) {
	if s.days[0] == 0 || day < s.days[0] {
		s.days[0] = day
	}
	s.days[1] = max(s.days[1], day)
}

func (s *addrSum) seen(t time.Time) {
	if t.IsZero() {
		return
	}
	s.first = intel.MinTime(s.first, t)
	s.last = intel.MaxTime(s.last, t)
}

func encAddrSum(dst []byte, s *addrSum) []byte {
	e := enc{b: dst}
	e.byte(valueFormat)
	e.varint(s.hits)
	e.time(s.first)
	e.time(s.last)
	e.uvarint(uint64(len(s.listings)))
	for i := range s.listings {
		l := &s.listings[i]
		e.str(l.Feed)
		e.cat(l.Category)
		e.time(l.FirstSeen)
		e.time(l.LastSeen)
		e.source(l.Source)
	}
	e.strs(s.reportIDs)
	e.varint(s.spam.Attacks)
	e.time(s.spam.Last)
	e.strs(s.spam.Types)
	p := &s.phish
	e.varint(p.Attacks)
	e.time(p.Last)
	e.uvarint(uint64(len(p.Regions)))
	for _, r := range sortedKeys(p.Regions) {
		e.str(r)
		e.varint(p.Regions[r])
	}
	e.str(p.Kit)
	e.time(p.KitTime)
	e.str(p.KitID)
	e.strs(p.StolenData)
	e.strs(p.Industries)
	e.strs(p.Organizations)
	e.varint(s.redURLs)
	e.varint(s.redFiles)
	for _, n := range s.lens {
		e.uvarint(uint64(n))
	}
	e.uvarint(s.days[0])
	if s.days[0] != 0 {
		e.uvarint(s.days[1] - s.days[0])
	}
	e.time(s.changed) // last: see replaceStamp
	return e.b
}

func decAddrSum(d *dec, s *addrSum) error {
	d.header()
	s.hits = d.varint()
	s.first = d.time()
	s.last = d.time()
	if n := d.uvarint(); n > 0 && n <= uint64(len(d.s)) {
		s.listings = make([]intel.Listing, n)
		for i := range s.listings {
			l := &s.listings[i]
			l.Feed = d.str()
			l.Category = d.cat()
			l.FirstSeen = d.time()
			l.LastSeen = d.time()
			l.Source = d.source()
		}
	} else if n != 0 {
		d.fail()
	}
	s.reportIDs = d.strs()
	s.spam.Attacks = d.varint()
	s.spam.Last = d.time()
	s.spam.Types = d.strs()
	p := &s.phish
	p.Attacks = d.varint()
	p.Last = d.time()
	if n := d.uvarint(); n > 0 && n <= uint64(len(d.s)) {
		p.Regions = make(map[string]int64, n)
		for range n {
			r := d.str()
			p.Regions[r] = d.varint()
		}
	} else if n != 0 {
		d.fail()
	}
	p.Kit = d.str()
	p.KitTime = d.time()
	p.KitID = d.str()
	p.StolenData = d.strs()
	p.Industries = d.strs()
	p.Organizations = d.strs()
	s.redURLs = d.varint()
	s.redFiles = d.varint()
	for i := range s.lens {
		s.lens[i] = int64(d.uvarint())
	}
	s.lens0 = s.lens
	if s.days[0] = d.uvarint(); s.days[0] != 0 {
		s.days[1] = s.days[0] + d.uvarint()
	}
	s.days0 = s.days
	s.changed = d.time()
	return d.err
}

// urlSum is the stored summary of one web address.
type urlSum struct {
	hosted  bool // some HostedURL names it
	sum     intel.URLSummary
	changed time.Time // the change stamp (see changes.go)
}

func encURLSum(dst []byte, u *urlSum) []byte {
	e := enc{b: dst}
	e.byte(valueFormat)
	e.bool(u.hosted)
	s := &u.sum
	e.zone(s.Zone)
	e.cats(s.Categories)
	e.varint(s.Hits)
	e.bool(s.Truncated)
	e.time(s.FirstSeen)
	e.time(s.LastSeen)
	e.uvarint(uint64(len(s.IPs)))
	for _, ip := range s.IPs {
		e.addr(ip)
	}
	e.varint(s.Files)
	e.time(u.changed)
	return e.b
}

func decURLSum(d *dec, u *urlSum) error {
	d.header()
	u.hosted = d.bool()
	s := &u.sum
	s.Zone = d.zone()
	s.Categories = d.catsList()
	s.Hits = d.varint()
	s.Truncated = d.bool()
	s.FirstSeen = d.time()
	s.LastSeen = d.time()
	if n := d.uvarint(); n > 0 && n*16 <= uint64(len(d.s)) {
		s.IPs = make([]netip.Addr, n)
		for i := range s.IPs {
			s.IPs[i] = d.addr()
		}
	} else if n != 0 {
		d.fail()
	}
	s.Files = d.varint()
	u.changed = d.time()
	return d.err
}
