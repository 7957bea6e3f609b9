package stix

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/importer/spill"
	"github.com/tipd/tipd/internal/intel"
)

// runBytes is the memory of one sorter's buffer; a handful of sorters are
// filled at the same time.
const runBytes = 4 << 20

// Record kinds: the first byte of a record's value.
const (
	recIOC      = 'I' // an indicator or observable defined by an object
	recThreat   = 'T' // a malware, threat actor or intrusion set
	recCountry  = 'C' // a location with a country
	recAS       = 'A' // an autonomous system
	recRel      = 'R' // one end of a relationship
	recSighting = 'S' // a sighting of the object
	recRef      = 'P' // a reference of a report to the object
	recNone     = '-' // a reference to nothing usable
)

// Tags after the id in the keys of the object index: definitions sort
// before references, so that the references of an id meet its definition.
const (
	tagDef = 'a'
	tagRef = 'r'
)

// bundle is the index of one bundle, kept in sorted runs on disk so that
// its memory does not grow with the bundle. The objects index (objs) holds
// the definitions of the usable objects and the references to them, keyed
// by the id they define or refer to, then by object number; the reports
// index (reps) holds each report and, after the join, its resolved
// references, keyed by object number.
type bundle struct {
	dir      string
	runBytes int
	objs     *spill.Sorter
	reps     *spill.Sorter
	relx     *spill.Sorter // relData of relationships, by object number
	sights   *spill.Sorter // sightings of single addresses, by address, day and object number
	sorters  []*spill.Sorter
	key      []byte
	val      []byte
	err      error // the first failure to write the index; it ends the parse
}

func (p *Parser) newBundle() *bundle {
	x := &bundle{dir: p.tempDir, runBytes: p.runBytes}
	if x.runBytes == 0 {
		x.runBytes = runBytes
	}
	x.objs = x.sorter()
	x.reps = x.sorter()
	x.relx = x.sorter()
	x.sights = x.sorter()
	return x
}

func (x *bundle) sorter() *spill.Sorter {
	s := spill.New(x.dir, x.runBytes)
	x.sorters = append(x.sorters, s)
	return s
}

// close removes the temporary files of the index.
func (x *bundle) close() error {
	var first error
	for _, s := range x.sorters {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	x.sorters = nil
	return first
}

func (x *bundle) add(s *spill.Sorter, key, val []byte) {
	if x.err != nil {
		return
	}
	if err := s.Add(key, val); err != nil {
		x.err = fmt.Errorf("index the bundle: %w", err)
	}
}

// objKey makes the key of a definition or reference of id by object n.
func (x *bundle) objKey(id string, tag byte, n int) []byte {
	k := append(x.key[:0], id...)
	k = append(k, 0, tag)
	k = binary.BigEndian.AppendUint64(k, uint64(n))
	x.key = k
	return k
}

func (x *bundle) addIOC(id string, c *ioc) {
	x.add(x.objs, x.objKey(id, tagDef, c.n), c.encode(append(x.val[:0], recIOC)))
}

func (x *bundle) addThreat(n int, id string, t threat) {
	v := appendStr(append(x.val[:0], recThreat), t.typ)
	x.add(x.objs, x.objKey(id, tagDef, n), appendStr(v, t.name))
}

func (x *bundle) addCountry(n int, id, cc string) {
	x.add(x.objs, x.objKey(id, tagDef, n), appendStr(append(x.val[:0], recCountry), cc))
}

func (x *bundle) addAS(n int, id string, asn uint32, name string) {
	v := binary.AppendUvarint(append(x.val[:0], recAS), uint64(asn))
	x.add(x.objs, x.objKey(id, tagDef, n), appendStr(v, name))
}

func (x *bundle) addRelData(n int, d *relData) {
	x.add(x.relx, binary.BigEndian.AppendUint64(x.key[:0], uint64(n)), d.encode(x.val[:0]))
}

// addObsSighting adds the hits of an address observable (x_tipd_hits) as a
// sighting, in the form join writes the sightings of sighting objects.
func (x *bundle) addObsSighting(n int, ip netip.Addr, day time.Time, hits int64) {
	k := appendTime(appendAddr(x.key[:0], ip), day)
	k = binary.BigEndian.AppendUint64(k, uint64(n))
	x.key = k
	x.add(x.sights, k, binary.AppendVarint(x.val[:0], hits))
}

func (x *bundle) addRel(n int, source, target string) {
	x.add(x.objs, append(x.objKey(source, tagRef, n), 0), []byte{recRel})
	x.add(x.objs, append(x.objKey(target, tagRef, n), 1), []byte{recRel})
}

func (x *bundle) addSighting(n int, ref string, day time.Time, hits int64) {
	v := appendTime(append(x.val[:0], recSighting), day)
	x.add(x.objs, x.objKey(ref, tagRef, n), binary.AppendVarint(v, hits))
}

func (x *bundle) addReport(r *report) {
	for i, ref := range r.refs {
		k := binary.BigEndian.AppendUint64(x.objKey(ref, tagRef, r.n), uint64(i))
		x.add(x.objs, k, []byte{recRef})
	}
	v := appendStr(x.val[:0], r.rep.ID)
	v = appendStr(v, r.rep.Title)
	v = appendStr(v, r.rep.Description)
	v = appendTime(v, r.rep.Published)
	v = appendTime(v, r.rep.Updated)
	v = appendList(v, r.rep.Tags)
	v = appendList(v, r.labels)
	v = appendStr(v, r.rep.Type)
	x.add(x.reps, repKey(x.key[:0], r.n, 0), v)
}

// repKey is the key of a report (i 0) and of its resolved reference i-1.
func repKey(b []byte, n int, i uint64) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(n))
	return binary.BigEndian.AppendUint64(b, i)
}

// splitKey splits a key of the object index.
func splitKey(k []byte) (id []byte, tag byte, n uint64, rest []byte, err error) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) < i+10 {
		return nil, 0, 0, nil, errCorrupt
	}
	return k[:i], k[i+1], binary.BigEndian.Uint64(k[i+2:]), k[i+10:], nil
}

var errCorrupt = errors.New("index the bundle: record corrupt")

// encode appends the record of an indicator or observable.
func (c *ioc) encode(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(c.n))
	b = appendStr(b, c.kind)
	b = appendStr(b, c.value)
	var flags byte
	if c.truncated {
		flags |= 1
	}
	if c.tipd {
		flags |= 2
	}
	b = append(b, flags)
	b = appendTime(b, c.first)
	b = appendTime(b, c.last)
	b = appendList(b, c.types)
	b = appendList(b, c.cats)
	b = appendStr(b, string(c.zone))
	b = binary.AppendVarint(b, c.hits)
	return appendStr(b, c.detection)
}

func decodeIOC(b []byte) (*ioc, error) {
	d := decoder{b: b}
	c := &ioc{n: int(d.uint()), kind: d.str(), value: d.str()}
	flags := d.byte()
	c.truncated, c.tipd = flags&1 != 0, flags&2 != 0
	c.first, c.last = d.time(), d.time()
	c.types, c.cats = d.cats(), d.cats()
	c.zone, c.hits, c.detection = intel.Zone(d.str()), d.int(), d.str()
	if d.bad {
		return nil, errCorrupt
	}
	if c.kind == kindIP {
		if a, err := netip.ParseAddr(c.value); err == nil {
			c.prefix = netip.PrefixFrom(a, a.BitLen())
		} else if c.prefix, err = netip.ParsePrefix(c.value); err != nil {
			return nil, errCorrupt
		}
	}
	return c, nil
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendList[S ~string](b []byte, l []S) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendStr(b, string(s))
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decoder reads a record; bad is set once it runs past the end.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) int() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// count reads a length or a number of items, each at least a byte long.
func (d *decoder) count() uint64 {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return 0
	}
	return n
}

func (d *decoder) str() string {
	n := d.count()
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) list() []string {
	var out []string
	for range d.count() {
		out = append(out, d.str())
	}
	return out
}

func (d *decoder) cats() []intel.Category {
	var out []intel.Category
	for range d.count() {
		out = append(out, intel.Category(d.str()))
	}
	return out
}

func (d *decoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	s := d.int()
	ns := d.uint()
	if ns >= 1e9 {
		d.bad = true
		return time.Time{}
	}
	return time.Unix(s, int64(ns)).UTC()
}

// derive joins the index and emits the evidence: the categorised
// indicators and observables in object order, then the sightings summed
// per address and day, then the reports.
func (p *Parser) derive(x *bundle, emit func(int, func(*intel.Batch) error) error) error {
	if x.err != nil {
		return x.err
	}
	rels, err := p.resolveRels(x)
	if err != nil {
		return err
	}
	cats, relEv, err := p.relCategories(x, rels)
	if err != nil {
		return err
	}
	iocs, sights, unsighted, err := p.join(x, cats)
	if err != nil {
		return err
	}
	if err := p.emitIOCs(iocs, emit); err != nil {
		return err
	}
	if err := p.emitRelEvidence(relEv, emit); err != nil {
		return err
	}
	for range unsighted {
		p.ignored.Add("sighting of an object that is not an address of the bundle")
	}
	if err := p.emitSightings(x, sights, emit); err != nil {
		return err
	}
	return p.emitReports(x, emit)
}

// group tracks the definition of the id whose records an iteration of the
// object index is reading.
type group struct {
	id      []byte
	ioc     *ioc // the first definition wins
	iocID   bool
	raw     []byte // the record of the first definition of an indicator or observable
	threat  threat // the last definition wins
	country string // the last definition wins
	asn     uint32 // the last definition wins
	asName  string
	isAS    bool
}

func (g *group) start(id []byte) bool {
	if g.id != nil && bytes.Equal(g.id, id) {
		return false
	}
	*g = group{id: append(g.id[:0], id...), raw: g.raw[:0]}
	return true
}

// define takes a definition record; full decodes indicators and
// observables (otherwise only their presence is noted).
func (g *group) define(v []byte, full bool) error {
	if len(v) == 0 {
		return errCorrupt
	}
	d := decoder{b: v[1:]}
	switch v[0] {
	case recIOC:
		if g.iocID {
			return nil
		}
		g.iocID = true
		g.raw = append(g.raw[:0], v...)
		if full {
			c, err := decodeIOC(v[1:])
			if err != nil {
				return err
			}
			g.ioc = c
		}
	case recThreat:
		g.threat = threat{typ: d.str(), name: d.str()}
	case recCountry:
		g.country = d.str()
	case recAS:
		g.asn, g.asName, g.isAS = uint32(d.uint()), d.str(), true
	default:
		return errCorrupt
	}
	if d.bad {
		return errCorrupt
	}
	return nil
}

// resolveRels reads the object index once and resolves both ends of every
// relationship: the result holds, by relationship and end, whether the end
// is an indicator or observable (its id and record), a threat (and its
// type), an autonomous system, a country or nothing usable.
func (p *Parser) resolveRels(x *bundle) (*spill.Sorter, error) {
	out := x.sorter()
	it := x.objs.Iter()
	var g group
	var k, v []byte
	for it.Next() {
		id, tag, n, rest, err := splitKey(it.Key())
		if err != nil {
			return nil, err
		}
		g.start(id)
		if tag == tagDef {
			if err := g.define(it.Value(), false); err != nil {
				return nil, err
			}
			continue
		}
		if len(it.Value()) == 0 || it.Value()[0] != recRel || len(rest) != 1 {
			continue
		}
		k = binary.BigEndian.AppendUint64(k[:0], n)
		k = append(k, rest[0])
		switch {
		case g.iocID:
			v = appendStr(append(v[:0], recIOC), string(id))
			v = append(v, g.raw[1:]...)
		case g.threat.typ != "":
			v = append(append(v[:0], recThreat), g.threat.typ...)
		case g.isAS:
			v = binary.AppendUvarint(append(v[:0], recAS), uint64(g.asn))
			v = appendStr(v, g.asName)
		case g.country != "":
			v = appendStr(append(v[:0], recCountry), g.country)
		default:
			v = append(v[:0], recNone)
		}
		x.add(out, k, v)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("read the bundle index: %w", err)
	}
	return out, x.err
}

// relCategories gives the indicator or observable at one end of a
// relationship the category of the threat at the other end; the result is
// keyed by the id of the indicator or observable. Relationships between
// other objects (a domain that resolves to an address, a web address or
// file of an address, an address in an AS or a country, tipd's indicator
// based on its address) make evidence by themselves: the second result
// holds it, keyed by the relationship's object number.
func (p *Parser) relCategories(x *bundle, rels *spill.Sorter) (*spill.Sorter, *spill.Sorter, error) {
	out, ev := x.sorter(), x.sorter()
	it, rx := rels.Iter(), x.relx.Iter()
	rmore := rx.Next()
	var src, k []byte
	for it.Next() {
		if len(it.Key()) != 9 || it.Key()[8] != 0 {
			return nil, nil, errCorrupt
		}
		n := binary.BigEndian.Uint64(it.Key())
		src = append(src[:0], it.Value()...)
		if !it.Next() || len(it.Key()) != 9 || binary.BigEndian.Uint64(it.Key()) != n {
			return nil, nil, errCorrupt
		}
		var rd *relData
		for rmore {
			if len(rx.Key()) != 8 {
				return nil, nil, errCorrupt
			}
			rn := binary.BigEndian.Uint64(rx.Key())
			if rn > n {
				break
			}
			if rn == n {
				var err error
				if rd, err = decodeRelData(rx.Value()); err != nil {
					return nil, nil, err
				}
			}
			rmore = rx.Next()
		}
		se, err := decodeEnd(src)
		if err != nil {
			return nil, nil, err
		}
		te, err := decodeEnd(it.Value())
		if err != nil {
			return nil, nil, err
		}
		var c []byte
		var t string
		switch {
		case se.ioc != nil && te.threat != "":
			c, t = se.id, te.threat
		case te.ioc != nil && se.threat != "":
			c, t = te.id, se.threat
		}
		if c != nil {
			k = append(append(k[:0], c...), 0)
			k = binary.BigEndian.AppendUint64(k, n)
			x.add(out, k, []byte(threatCategory(t)))
			continue
		}
		var e *relEvidence
		if rd != nil {
			e = p.relationEvidence(rd, se, te)
		}
		if e == nil {
			p.ignored.Add("relationship between objects not in the bundle or of other types")
			continue
		}
		j, err := json.Marshal(e)
		if err != nil {
			return nil, nil, err
		}
		x.add(ev, binary.BigEndian.AppendUint64(k[:0], n), j)
	}
	if err := it.Err(); err != nil {
		return nil, nil, fmt.Errorf("read the bundle index: %w", err)
	}
	if err := rx.Err(); err != nil {
		return nil, nil, fmt.Errorf("read the bundle index: %w", err)
	}
	if err := rels.Close(); err != nil {
		return nil, nil, err
	}
	if err := x.relx.Close(); err != nil {
		return nil, nil, err
	}
	return out, ev, x.err
}

// emitRelEvidence emits the evidence of relationships in object order.
func (p *Parser) emitRelEvidence(ev *spill.Sorter, emit func(int, func(*intel.Batch) error) error) error {
	it := ev.Iter()
	for it.Next() {
		if len(it.Key()) != 8 {
			return errCorrupt
		}
		var e relEvidence
		if err := json.Unmarshal(it.Value(), &e); err != nil {
			return errCorrupt
		}
		if err := emit(int(binary.BigEndian.Uint64(it.Key())), func(b *intel.Batch) error {
			e.appendTo(b)
			return nil
		}); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("read the bundle index: %w", err)
	}
	return ev.Close()
}

// join reads the object index with the categories from relationships, in
// id order, and writes: the indicators and observables with their
// categories, keyed by object number; the sightings of single addresses,
// keyed by address, day and object number; the resolved references of
// reports into the reports index. It returns how many sightings refer to
// no address of the bundle.
func (p *Parser) join(x *bundle, cats *spill.Sorter) (iocs, sights *spill.Sorter, unsighted int, err error) {
	iocs, sights = x.sorter(), x.sights
	it, ci := x.objs.Iter(), cats.Iter()
	more := ci.Next()
	var g group
	var gcats []intel.Category
	var k, v []byte
	for it.Next() {
		id, tag, n, rest, err := splitKey(it.Key())
		if err != nil {
			return nil, nil, 0, err
		}
		if g.start(id) {
			gcats = gcats[:0]
			for more {
				cid, _, ok := bytes.Cut(ci.Key(), []byte{0})
				if !ok {
					return nil, nil, 0, errCorrupt
				}
				if c := bytes.Compare(cid, id); c > 0 {
					break
				} else if c == 0 {
					if cat := intel.Category(ci.Value()); !slices.Contains(gcats, cat) {
						gcats = append(gcats, cat)
					}
				}
				more = ci.Next()
			}
			if err := ci.Err(); err != nil {
				return nil, nil, 0, fmt.Errorf("read the bundle index: %w", err)
			}
		}
		if tag == tagDef {
			first := !g.iocID
			if err := g.define(it.Value(), true); err != nil {
				return nil, nil, 0, err
			}
			if first && g.ioc != nil {
				g.ioc.cats = slices.Clone(gcats)
				k = binary.BigEndian.AppendUint64(k[:0], uint64(g.ioc.n))
				x.add(iocs, k, g.ioc.encode(v[:0]))
			}
			continue
		}
		if len(it.Value()) == 0 {
			return nil, nil, 0, errCorrupt
		}
		switch it.Value()[0] {
		case recSighting:
			c := g.ioc
			if c == nil || c.kind != kindIP || !c.prefix.IsSingleIP() {
				unsighted++
				continue
			}
			k = appendAddr(k[:0], c.prefix.Addr())
			k = append(k, it.Value()[1:]...) // day and hits: the hits are cut off below
			d := decoder{b: it.Value()[1:]}
			d.time()
			if d.bad {
				return nil, nil, 0, errCorrupt
			}
			k = k[:len(k)-len(d.b)]
			k = binary.BigEndian.AppendUint64(k, n)
			x.add(sights, k, d.b)
		case recRef:
			if len(rest) != 8 {
				return nil, nil, 0, errCorrupt
			}
			v = v[:0]
			switch {
			case g.ioc != nil:
				v = append(v, recIOC)
				v = appendStr(v, g.ioc.kind)
				v = appendStr(v, g.ioc.value)
				if slices.Contains(g.ioc.cats, intel.CatAPT) {
					v = append(v, 1)
				} else {
					v = append(v, 0)
				}
			case g.threat.typ != "":
				v = appendStr(appendStr(append(v, recThreat), g.threat.typ), g.threat.name)
			case g.country != "":
				v = appendStr(append(v, recCountry), g.country)
			default:
				continue
			}
			x.add(x.reps, repKey(k[:0], int(n), binary.BigEndian.Uint64(rest)+1), v)
		}
	}
	if err := it.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("read the bundle index: %w", err)
	}
	if err := x.objs.Close(); err != nil {
		return nil, nil, 0, err
	}
	if err := cats.Close(); err != nil {
		return nil, nil, 0, err
	}
	return iocs, sights, unsighted, x.err
}

// emitIOCs emits the evidence of the categorised indicators and
// observables in object order.
func (p *Parser) emitIOCs(iocs *spill.Sorter, emit func(int, func(*intel.Batch) error) error) error {
	it := iocs.Iter()
	for it.Next() {
		c, err := decodeIOC(it.Value())
		if err != nil {
			return err
		}
		cats := c.cats
		if len(cats) == 0 {
			cats = c.types
		}
		// A domain tipd rated needs no category to keep its zone.
		tipdDomain := c.kind == kindDomain && c.zone != "" && c.zone != intel.ZoneGrey
		if len(cats) == 0 && !tipdDomain {
			continue
		}
		slices.Sort(cats)
		err = emit(c.n, func(b *intel.Batch) error {
			p.evidence(c, cats, b)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("read the bundle index: %w", err)
	}
	return iocs.Close()
}

// emitSightings sums the sightings of an address per day (the store keeps
// one count per address and day) and emits them in the order of the first
// sighting of each address and day.
func (p *Parser) emitSightings(x *bundle, sights *spill.Sorter, emit func(int, func(*intel.Batch) error) error) error {
	sums := x.sorter()
	it := sights.Iter()
	var cur, k, v []byte
	var first uint64
	var sum int64
	flush := func() {
		if cur == nil {
			return
		}
		k = binary.BigEndian.AppendUint64(k[:0], first)
		v = binary.AppendVarint(append(v[:0], cur...), sum)
		x.add(sums, k, v)
	}
	for it.Next() {
		key := it.Key()
		if len(key) < 8 {
			return errCorrupt
		}
		ipDay, n := key[:len(key)-8], binary.BigEndian.Uint64(key[len(key)-8:])
		d := decoder{b: it.Value()}
		hits := d.int()
		if d.bad {
			return errCorrupt
		}
		if cur == nil || !bytes.Equal(cur, ipDay) {
			flush()
			cur, first, sum = append(cur[:0], ipDay...), n, 0
		}
		sum += hits
	}
	flush()
	if err := it.Err(); err != nil {
		return fmt.Errorf("read the bundle index: %w", err)
	}
	if err := sights.Close(); err != nil {
		return err
	}
	if x.err != nil {
		return x.err
	}
	it = sums.Iter()
	for it.Next() {
		n := binary.BigEndian.Uint64(it.Key())
		d := decoder{b: it.Value()}
		ip, ok := netip.AddrFromSlice([]byte(d.str()))
		day, hits := d.time(), d.int()
		if !ok || d.bad {
			return errCorrupt
		}
		err := emit(int(n), func(b *intel.Batch) error {
			b.Sightings = append(b.Sightings, intel.Sighting{IP: ip, Day: day, Hits: hits})
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("read the bundle index: %w", err)
	}
	return sums.Close()
}

// appendAddr appends the bytes of an address, with their length.
func appendAddr(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		v := a.As4()
		return append(append(b, 4), v[:]...)
	}
	v := a.As16()
	return append(append(b, 16), v[:]...)
}

// emitReports emits every report with links to the addresses it refers to
// (directly, through the host of a web address, or through a domain).
func (p *Parser) emitReports(x *bundle, emit func(int, func(*intel.Batch) error) error) error {
	it := x.reps.Iter()
	var r *builtReport
	send := func() error {
		if r == nil {
			return nil
		}
		rep := r
		r = nil
		return emit(rep.n, func(b *intel.Batch) error {
			rep.finish(b)
			return nil
		})
	}
	for it.Next() {
		if len(it.Key()) != 16 {
			return errCorrupt
		}
		n := int(binary.BigEndian.Uint64(it.Key()))
		i := binary.BigEndian.Uint64(it.Key()[8:])
		d := decoder{b: it.Value()}
		if i == 0 {
			if err := send(); err != nil {
				return err
			}
			r = &builtReport{n: n, linked: map[netip.Addr]bool{}, iocSeen: map[string]bool{}}
			r.rep = intel.Report{ID: d.str(), Title: d.str(), Description: d.str(), Published: d.time(), Updated: d.time()}
			r.rep.Tags = nilIfEmpty(d.list())
			r.labels = d.list()
			r.rep.Type = d.str()
			if d.bad {
				return errCorrupt
			}
			continue
		}
		if r == nil || r.n != n || len(it.Value()) == 0 {
			return errCorrupt
		}
		d.b = d.b[1:]
		switch it.Value()[0] {
		case recThreat:
			typ, name := d.str(), d.str()
			if typ != "malware" {
				r.apt = true
				if !slices.Contains(r.rep.Actors, name) {
					r.rep.Actors = append(r.rep.Actors, name)
				}
			}
		case recCountry:
			if cc := d.str(); !slices.Contains(r.rep.Geo, cc) {
				r.rep.Geo = append(r.rep.Geo, cc)
			}
		case recIOC:
			kind, value, apt := d.str(), d.str(), d.byte() == 1
			if apt {
				r.apt = true
			}
			if len(r.iocs) < intel.MaxReportIndicators && !r.iocSeen[value] {
				r.iocSeen[value] = true
				r.iocs = append(r.iocs, value)
			}
			switch kind {
			case kindIP:
				if a, err := netip.ParseAddr(value); err == nil {
					r.link(a)
				}
			case kindURL:
				if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(intel.URLHost(value), "["), "]")); err == nil {
					r.link(a.Unmap())
				}
			case kindDomain:
				r.links = append(r.links, intel.ReportLink{ReportID: r.rep.ID, Domain: value})
			case kindHash:
				r.objLinks = append(r.objLinks, intel.Link{List: intel.LinkFileReports, Owner: value, Item: r.rep.ID})
			}
			if kind == kindURL {
				r.objLinks = append(r.objLinks, intel.Link{List: intel.LinkURLReports, Owner: value, Item: r.rep.ID})
			}
		default:
			return errCorrupt
		}
		if d.bad {
			return errCorrupt
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("read the bundle index: %w", err)
	}
	if err := send(); err != nil {
		return err
	}
	return x.reps.Close()
}

// builtReport is one report being put together from its references;
// it holds no more than the report object itself did.
type builtReport struct {
	n       int
	rep     intel.Report
	labels  []string
	apt     bool
	iocs    []string
	iocSeen map[string]bool
	links   []intel.ReportLink
	linked  map[netip.Addr]bool
	// objLinks link the web addresses and files the report names to it
	// (its domains: through links, see intel.Batch.AddObjects).
	objLinks []intel.Link
}

func (r *builtReport) link(ip netip.Addr) {
	if !r.linked[ip] {
		r.linked[ip] = true
		r.links = append(r.links, intel.ReportLink{IP: ip, ReportID: r.rep.ID})
	}
}

func (r *builtReport) finish(b *intel.Batch) {
	rep := r.rep
	switch {
	case rep.Type != "": // tipd's x_tipd_report_type
	case slices.Contains(r.labels, "ics"):
		rep.Type = intel.ReportICS
	case r.apt || slices.ContainsFunc(r.labels, func(l string) bool {
		return l == "threat-actor" || l == "intrusion-set" || l == "campaign" || l == "apt"
	}):
		rep.Type = intel.ReportAPT
	default:
		rep.Type = intel.ReportCrimeware
	}
	rep.Indicators = r.iocs
	b.ReportLinks = append(b.ReportLinks, r.links...)
	seen := cmp.Or(rep.Updated, rep.Published)
	for _, l := range r.objLinks {
		l.FirstSeen, l.LastSeen = seen, seen
		b.Links = append(b.Links, l)
	}
	b.Reports = append(b.Reports, rep)
}
