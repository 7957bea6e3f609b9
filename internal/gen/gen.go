// Package gen writes tipd's deterministic synthetic world: a few thousand
// to millions of public addresses with invented intelligence about them
// (feed listings, sightings, passive DNS, hosted URLs, files, feed masks,
// spam and phishing events, reports, country, AS and WHOIS ranges, allow
// lists), and the domains, web addresses and files around them as objects
// of their own (registrations, file metadata and hashes, detections,
// certificates, file relations, links between pages; objects.go), in the
// native import format. The same options always give the same bytes.
// `tipd gen` writes it to files and `tipd demo` imports it.
//
// Every fact in the world is made up; only the address space is real
// (public unicast space, never an IANA special-purpose range), so that the
// lookup API answers the addresses with intelligence — but for one
// documentation address a feed lists, as real block lists do (rules.go). Domains end in
// .example or .test, AS numbers are private-use, hashes are random.
package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
)

// Options describe a world.
type Options struct {
	// Size is the number of addresses in the world (DefaultSize if 0, at
	// most MaxSize).
	Size int
	// Seed selects one of the possible worlds.
	Seed int64
	// Now is the world's present: evidence is dated up to ~60 days before
	// it (time.Now, truncated to the hour, if zero — set it for
	// reproducible output).
	Now time.Time
}

// Limits of Options.Size.
const (
	DefaultSize = 10000
	MaxSize     = 100_000_000
)

// Examples lists addresses that the world built to land in each zone: Red
// (malware and botnet C&C listings from several feeds, red hosted URLs and
// files, recent sightings, some with a report), Orange (one scanner, spam or
// brute-force listing from one feed, weeks old, nothing red), Yellow (an
// adware listing and an adware URL), Green (inside an allow-listed network,
// no listings) and Grey (nothing but country, AS and WHOIS data). Each zone
// has up to two IPv4 addresses and, when the world is large enough to hold
// IPv6 networks, one IPv6 address.
type Examples map[intel.Zone][]netip.Addr

// The world's file names in a directory written by WriteDir.
const (
	WorldFile          = "world.jsonl"
	ExamplesFile       = "examples.json"
	ObjectExamplesFile = "object-examples.json"
)

// WriteDir writes the world to dir/world.jsonl, its address examples to
// dir/examples.json and its object examples to dir/object-examples.json,
// creating dir if needed.
func WriteDir(dir string, o Options) (Examples, error) {
	ex, _, err := WriteWorldDir(dir, o)
	return ex, err
}

// WriteWorldDir is WriteDir returning the object examples too.
func WriteWorldDir(dir string, o Options) (Examples, ObjectExamples, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, ObjectExamples{}, fmt.Errorf("write world: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, WorldFile))
	if err != nil {
		return nil, ObjectExamples{}, fmt.Errorf("write world: %w", err)
	}
	ex, obj, err := WriteWorld(f, o)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write world: %w", cerr)
	}
	if err != nil {
		return nil, ObjectExamples{}, err
	}
	for _, x := range []struct {
		file string
		v    any
	}{{ExamplesFile, ex}, {ObjectExamplesFile, obj}} {
		data, err := json.MarshalIndent(x.v, "", "  ")
		if err != nil {
			return nil, ObjectExamples{}, fmt.Errorf("write examples: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, x.file), append(data, '\n'), 0o644); err != nil {
			return nil, ObjectExamples{}, fmt.Errorf("write examples: %w", err)
		}
	}
	return ex, obj, nil
}

// Write writes the world as native jsonl to w, streaming with constant
// memory, and returns its address examples (WriteWorld also returns the
// object examples).
func Write(w io.Writer, o Options) (Examples, error) {
	ex, _, err := WriteWorld(w, o)
	return ex, err
}

// WriteWorld writes the world as native jsonl to w, streaming with
// constant memory. Network data comes first, then reports and domain
// registrations, then domains and passive DNS, then per-address evidence
// with the objects around it (so that web addresses on domains find the
// addresses their domain resolved to when imported in order), then the
// allow-listed networks' addresses and objects, and last the objects that
// show the scoring rules the zones do not (rules.go).
func WriteWorld(w io.Writer, o Options) (Examples, ObjectExamples, error) {
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.Size < 0 || o.Size > MaxSize {
		return nil, ObjectExamples{}, fmt.Errorf("world size %d out of range 1-%d", o.Size, MaxSize)
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC().Truncate(time.Hour)
	}
	g := newWorld(o, w)
	g.comment(fmt.Sprintf("tipd synthetic world: size %d, seed %d, now %s. All intelligence in this file is invented.",
		o.Size, o.Seed, o.Now.UTC().Format(time.RFC3339)))
	g.networks()
	g.reports()
	g.registrations()
	g.dnsPass()
	g.evidencePass()
	g.greenPass()
	g.rulePass()
	if err := g.bw.Flush(); err != nil {
		return nil, ObjectExamples{}, fmt.Errorf("write world: %w", err)
	}
	if g.err != nil {
		return nil, ObjectExamples{}, fmt.Errorf("write world: %w", g.err)
	}
	return g.examples, g.objects, nil
}

// world is the generator's state: only counters and the output.
type world struct {
	o        Options
	now      time.Time
	bw       *bufio.Writer
	err      error
	blocks   int // address blocks
	v4Blocks int
	allows   int
	nets     int
	nReports int
	examples Examples
	objects  ObjectExamples
	exCount  map[intel.Zone][2]int
	buf      []byte
}

func newWorld(o Options, w io.Writer) *world {
	blocks := (o.Size + perBlock - 1) / perBlock
	return &world{
		o:        o,
		now:      o.Now.UTC(),
		bw:       bufio.NewWriterSize(w, 256<<10),
		blocks:   blocks,
		v4Blocks: blocks - blocks/10,
		allows:   1 + o.Size/20000,
		nets:     1 + o.Size/50000,
		nReports: 3 + o.Size/100000,
		examples: Examples{},
		objects:  newObjectExamples(),
		exCount:  map[intel.Zone][2]int{},
	}
}

func (g *world) comment(s string) {
	if g.err != nil {
		return
	}
	_, g.err = g.bw.WriteString("# " + s + "\n")
}

func (g *world) emit(r *jsonl.Record) {
	if g.err != nil {
		return
	}
	data, err := json.Marshal(r)
	if err != nil {
		g.err = err
		return
	}
	g.buf = append(append(g.buf[:0], data...), '\n')
	_, g.err = g.bw.Write(g.buf)
}

func (g *world) example(z intel.Zone, ip netip.Addr) {
	c := g.exCount[z]
	fam := 0
	limit := 2
	if ip.Is6() {
		fam, limit = 1, 1
	}
	if c[fam] >= limit {
		return
	}
	c[fam]++
	g.exCount[z] = c
	g.examples[z] = append(g.examples[z], ip)
}

// Time helpers: all dates derive from Now.

func (g *world) daysAgo(d int) time.Time {
	t := g.now.AddDate(0, 0, -d)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (g *world) ago(r *rng, minDays, maxDays int) time.Time {
	secs := int64(minDays)*86400 + int64(r.intn(int(int64(maxDays-minDays)*86400+1)))
	return g.now.Add(-time.Duration(secs) * time.Second).Truncate(time.Second)
}

func ts(t time.Time) string  { return t.UTC().Format(time.RFC3339) }
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func i64(v int64) *int64 { return &v }

func base36(i int) string { return strconv.FormatInt(int64(i), 36) }
