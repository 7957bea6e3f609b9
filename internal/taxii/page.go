package taxii

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// maxScanTime bounds the time one request spends examining entries: a
// page is answered with what was found by then (more, next).
const maxScanTime = time.Second

// doneAll marks a position whose entry was consumed whole.
const doneAll = 1 << 30

// identityDate is the date_added of the portal's identity, the first
// object of every collection (its own created/modified date).
var identityDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Sections and list size of the reports an entry is rendered from: enough
// for the verdict and for dating the indicator as a lookup does.
const (
	ipSections     = report.SecZone | report.SecIPGeneralInfo | report.SecFeedMasks | report.SecIPSpamInfo | report.SecIPPhishingInfo
	urlSections    = report.SecZone | report.SecURLGeneralInfo | report.SecFeedMasks | report.SecFilesDownloaded
	domainSections = report.SecZone | report.SecDomainGeneralInfo | report.SecFeedMasks
	fileSections   = report.SecZone | report.SecFileGeneralInfo
	reportItems    = report.DefaultCount
)

// filter is what a request asks of a collection's objects.
type filter struct {
	types    []string // match[type]
	ids      []string // match[id]
	versions []string // match[version]: timestamps, or first/last/all
	specs    []string // match[spec_version]
}

func (f *filter) matches(o *item) bool {
	if len(f.types) > 0 && !slices.Contains(f.types, o.obj.Type) {
		return false
	}
	if len(f.ids) > 0 && !slices.Contains(f.ids, o.obj.ID) {
		return false
	}
	if len(f.specs) > 0 && !slices.Contains(f.specs, "2.1") {
		return false
	}
	if len(f.versions) > 0 {
		ok := false
		for _, v := range f.versions {
			switch v {
			case "first", "last", "all":
				ok = true
			default:
				if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.Equal(o.version()) {
					ok = true
				}
			}
		}
		return ok
	}
	return true
}

// item is one object of a page with its date_added.
type item struct {
	obj   render.Object
	added time.Time
}

// version is the object's modified timestamp, or date_added for objects
// without one (cyber-observables).
func (o *item) version() time.Time {
	if o.obj.Version.IsZero() {
		return o.added
	}
	return o.obj.Version
}

// page is one answer of the objects, manifest or versions endpoint.
type page struct {
	items []item
	more  bool
	next  position // valid when more
}

// entry is one address, web address, object or the identity in a
// collection.
type entry struct {
	at   time.Time
	kind byte
	ip   netip.Addr
	name string // the web address or object key
}

func (e entry) key() string {
	if e.kind == kindAddress {
		return e.ip.String()
	}
	return e.name
}

// entryOf is the entry of a change of a stream of kind.
func entryOf(kind store.ChangeKind, ch store.Change) entry {
	switch kind {
	case store.ChangedAddresses:
		return entry{at: ch.At, kind: kindAddress, ip: ch.IP}
	case store.ChangedURLs:
		return entry{at: ch.At, kind: kindURL, name: ch.URL}
	}
	return entry{at: ch.At, kind: objectKinds[ch.Kind], name: ch.Key}
}

func (e entry) pos(done int) position {
	return position{at: e.at, kind: e.kind, key: e.key(), done: done}
}

// stream reads one kind of change in batches.
type stream struct {
	st    ChangeLister
	kind  store.ChangeKind
	after store.Change
	buf   []store.Change
	eof   bool
}

const streamBatch = 256

func (s *stream) head(ctx context.Context) (store.Change, bool, error) {
	if len(s.buf) == 0 && !s.eof {
		l, err := s.st.Changes(ctx, s.kind, s.after, streamBatch)
		if err != nil {
			return store.Change{}, false, fmt.Errorf("read changes: %w", err)
		}
		s.buf = l
		if len(l) < streamBatch {
			s.eof = true
		}
		if len(l) > 0 {
			s.after = l[len(l)-1]
		}
	}
	if len(s.buf) == 0 {
		return store.Change{}, false, nil
	}
	return s.buf[0], true, nil
}

func (s *stream) pop() { s.buf = s.buf[1:] }

// streamKinds are the entry kinds of the stream of each change kind, in
// kindRank order.
var streamKinds = map[store.ChangeKind][]byte{
	store.ChangedAddresses: {kindAddress},
	store.ChangedURLs:      {kindURL},
	store.ChangedObjects:   {kindHost, kindURLObj, kindFile},
}

// storeCursor is where a stream of kind starts so that it yields the
// entries after p.
func storeCursor(p position, kind store.ChangeKind) store.Change {
	kinds := streamKinds[kind]
	r := kindRank(p.kind)
	switch {
	case p.at.IsZero() && p.kind == 0:
		return store.Change{}
	case p.afterStamp || r > kindRank(kinds[len(kinds)-1]):
		return store.Change{At: p.at}
	case r < kindRank(kinds[0]):
		// Entries stamped p.at itself are still ahead.
		return store.Change{At: p.at.Add(-time.Microsecond)}
	case kind == store.ChangedAddresses:
		ip, _ := netip.ParseAddr(p.key)
		return store.Change{At: p.at, IP: ip}
	case kind == store.ChangedURLs:
		return store.Change{At: p.at, URL: p.key}
	default:
		return store.Change{At: p.at, Kind: objectKind(p.kind), Key: p.key}
	}
}

// collect walks the collection from a position and gathers at most limit
// objects that f matches, examining at most maxScan entries and stopping
// early (with more and a next token) after maxScanTime.
func (s *Server) collect(ctx context.Context, c *Collection, from position, f *filter, limit, maxScan int) (page, error) {
	var pg page
	var streams []*stream
	for _, k := range []struct {
		kind store.ChangeKind
		on   bool
	}{{store.ChangedAddresses, c.Addresses}, {store.ChangedURLs, c.URLs}, {store.ChangedObjects, c.objects()}} {
		if k.on && s.Changes != nil {
			streams = append(streams, &stream{st: s.Changes, kind: k.kind, after: storeCursor(from, k.kind)})
		}
	}
	identityAhead := from.kind == 0 && !from.afterStamp ||
		from.afterStamp && identityDate.After(from.at) ||
		!from.afterStamp && from.kind != 0 && compareEntry(identityDate, kindIdentity, "", from.at, from.kind, from.key) > 0

	var last position // after the last returned object
	scanned := 0
	began := time.Now()
	// emit adds the objects of e from the skip-th on; it reports false
	// when the page is full and another object was found.
	emit := func(e entry, objs []render.Object, skip int) bool {
		for i := skip; i < len(objs); i++ {
			it := item{obj: objs[i], added: e.at}
			if !f.matches(&it) {
				continue
			}
			if len(pg.items) == limit {
				pg.more, pg.next = true, last
				return false
			}
			pg.items = append(pg.items, it)
			last = e.pos(i + 1)
			if i+1 == len(objs) {
				last.done = doneAll
			}
		}
		return true
	}

	// The entry the start position is inside of, if it was cut short.
	if from.kind != 0 && !from.afterStamp && from.done < doneAll {
		e := entry{at: from.at, kind: from.kind}
		if from.kind == kindAddress {
			e.ip, _ = netip.ParseAddr(from.key)
		} else {
			e.name = from.key
		}
		objs, err := s.objects(ctx, c, e)
		if err != nil {
			return page{}, err
		}
		if !emit(e, objs, from.done) {
			return pg, nil
		}
	}

	for {
		// The smallest head of the identity and the streams.
		var best entry
		bestStream := -1
		found := false
		if identityAhead {
			best, found = entry{at: identityDate, kind: kindIdentity}, true
		}
		for i, st := range streams {
			var e entry
			for {
				ch, ok, err := st.head(ctx)
				if err != nil {
					return page{}, err
				}
				if !ok {
					break
				}
				if e = entryOf(st.kind, ch); e.kind != 0 {
					break
				}
				st.pop() // an object kind this server does not know
			}
			if e.kind == 0 {
				continue
			}
			if !found || compareEntry(e.at, e.kind, e.key(), best.at, best.kind, best.key()) < 0 {
				best, bestStream, found = e, i, true
			}
		}
		if !found {
			return pg, nil
		}
		if scanned == maxScan || (scanned > 0 && time.Since(began) > maxScanTime) {
			// Out of budget: the client continues from here.
			pg.more = true
			pg.next = last
			if len(pg.items) == 0 || last.kind == 0 {
				pg.next = position{at: best.at, kind: best.kind, key: best.key()}
				// best itself is not consumed yet: resume at its from.
				pg.next.done = 0
			}
			return pg, nil
		}
		scanned++
		if bestStream < 0 {
			identityAhead = false
		} else {
			streams[bestStream].pop()
		}
		objs, err := s.objects(ctx, c, best)
		if err != nil {
			return page{}, err
		}
		if !emit(best, objs, 0) {
			return pg, nil
		}
		if len(pg.items) == 0 {
			last = best.pos(doneAll)
		}
	}
}

// objects renders the objects an entry contributes to the collection:
// none when its verdict is not one the collection shows or it is held.
func (s *Server) objects(ctx context.Context, c *Collection, e entry) ([]render.Object, error) {
	switch e.kind {
	case kindIdentity:
		return []render.Object{render.Identity()}, nil
	case kindAddress:
		if !c.Addresses {
			return nil, nil
		}
		if held, err := s.held(ctx, intel.HoldQuery{IP: e.ip}); err != nil || held {
			return nil, err
		}
		r, err := s.Reports.IP(ctx, e.ip, ipSections, reportItems)
		if err != nil {
			return nil, err // the store's error names the address
		}
		defer r.Release() // the objects are rendered into their own bytes
		if r.Reserved || !c.shows(r.Zone) {
			return nil, nil
		}
		return render.IPIndicator(r, e.at), nil
	case kindURL, kindURLObj:
		if !c.URLs {
			return nil, nil
		}
		if e.kind == kindURLObj {
			if dup, err := s.sameAsURLEntry(ctx, e); err != nil || dup {
				return nil, err
			}
		}
		host, _ := netip.ParseAddr(intel.URLHost(e.name))
		if held, err := s.held(ctx, intel.HoldQuery{IP: host.Unmap(), URL: e.name}); err != nil || held {
			return nil, err
		}
		r, err := s.Reports.URL(ctx, e.name, urlSections, reportItems)
		if err != nil {
			if intel.KindOf(err) == intel.KindInvalid {
				return nil, nil // a stored key the lookup would refuse
			}
			return nil, err // the store's error names the web address
		}
		if !c.shows(r.Zone) {
			return nil, nil
		}
		return render.URLIndicator(r, e.at), nil
	case kindHost:
		if !c.Domains {
			return nil, nil
		}
		if _, err := netip.ParseAddr(e.name); err == nil {
			return nil, nil // an address as a host: the address entries show it
		}
		if held, err := s.held(ctx, intel.HoldQuery{Domain: e.name}); err != nil || held {
			return nil, err
		}
		r, err := s.Reports.Domain(ctx, e.name, domainSections, reportItems)
		if err != nil {
			if intel.KindOf(err) == intel.KindInvalid {
				return nil, nil
			}
			return nil, err
		}
		if !c.shows(r.Zone) {
			return nil, nil
		}
		return render.DomainIndicator(r, e.at), nil
	case kindFile:
		if !c.Files {
			return nil, nil
		}
		if held, err := s.held(ctx, intel.HoldQuery{Hashes: []string{e.name}}); err != nil || held {
			return nil, err
		}
		r, err := s.Reports.File(ctx, e.name, fileSections, reportItems)
		if err != nil {
			if intel.KindOf(err) == intel.KindInvalid {
				return nil, nil
			}
			return nil, err
		}
		if !c.shows(r.Zone) {
			return nil, nil
		}
		if dup, err := s.sameAsFileEntry(ctx, e, r); err != nil || dup {
			return nil, err
		}
		return render.FileIndicator(r, e.at), nil
	}
	return nil, nil
}

// sameAsURLEntry reports whether the object entry e of a web address adds
// nothing to the web address entries: when the object has no records of
// its own (it only owns the list of the web addresses under its match key,
// each of which has entries of its own), or when the web address has an
// entry of store.ChangedURLs with the same stamp (the same objects with the
// same date). The second check reads the entries of that stamp from just
// before the key: one bounded read.
func (s *Server) sameAsURLEntry(ctx context.Context, e entry) (bool, error) {
	if s.Reports == nil || s.Reports.Store == nil {
		return false, nil
	}
	o, err := s.Reports.Store.Object(ctx, intel.ObjectURL, e.name)
	if err != nil {
		return false, fmt.Errorf("read web address %q: %w", e.name, err)
	}
	o.Lists[intel.LinkURLVariants] = intel.ListCount{}
	if !o.Known() {
		return true, nil
	}
	before, ok := keyBefore(e.name)
	if !ok || s.Changes == nil {
		return false, nil
	}
	l, err := s.Changes.Changes(ctx, store.ChangedURLs, store.Change{At: e.at, URL: before}, 1)
	if err != nil {
		return false, fmt.Errorf("read changes: %w", err)
	}
	return len(l) == 1 && l[0].At.Equal(e.at) && l[0].URL == e.name, nil
}

// sameAsFileEntry reports whether the file entry e (one of the file's
// hashes) repeats the entry of a stronger hash of the same file (SHA-256
// over SHA-1 over MD5) with the same stamp. A record that ties a file's
// hashes changes the summaries of all of them in one batch, so they have
// entries of one stamp, and the objects of the file, which carry all its
// hashes and the same ids from any of them, are rendered once: from the
// entry of the strongest. An entry of another stamp is a change of its
// own and is rendered. One bounded read of the stamp's entries per
// stronger hash.
func (s *Server) sameAsFileEntry(ctx context.Context, e entry, r *report.FileReport) (bool, error) {
	if s.Changes == nil {
		return false, nil
	}
	for _, h := range [...]string{r.SHA256, r.SHA1, r.MD5} {
		if h == e.name {
			return false, nil // no stronger hash has an entry of this stamp
		}
		before, ok := keyBefore(h)
		if !ok {
			continue
		}
		l, err := s.Changes.Changes(ctx, store.ChangedObjects, store.Change{At: e.at, Kind: intel.ObjectFile, Key: before}, 1)
		if err != nil {
			return false, fmt.Errorf("read changes: %w", err)
		}
		if len(l) == 1 && l[0].At.Equal(e.at) && l[0].Kind == intel.ObjectFile && l[0].Key == h {
			return true, nil
		}
	}
	return false, nil
}

// keyBefore is a text that sorts just before key: no web address key sorts
// between them (keys are printable ASCII; the text ends with the largest
// code point). ok is false when key has no such text.
func keyBefore(key string) (string, bool) {
	n := len(key)
	if n == 0 || key[n-1] <= ' ' || key[n-1] > '~' {
		return "", false
	}
	return key[:n-1] + string(key[n-1]-1) + "\U0010FFFF", true
}

func (s *Server) held(ctx context.Context, q intel.HoldQuery) (bool, error) {
	if s.Held == nil {
		return false, nil
	}
	h, err := s.Held(ctx, q)
	if err != nil {
		return false, fmt.Errorf("check legal holds: %w", err)
	}
	return h, nil
}
