package report

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
)

// The verdicts on domains, web addresses, files and addresses, computed
// by one function per kind whether the object is looked up itself or
// shown as an item of another object's list: an object's zone in a list
// is its own lookup's. A judge computes each object once per report.

// Bounds of the reads behind one verdict.
const (
	// maxVariants is the most stored web addresses read under one match
	// key (the address asked included).
	maxVariants = 16
	// relScan is how many items of each related list are checked for Red
	// (RelatedObjects.HasRedZone of domains, web addresses and files).
	relScan = 16
	// listProbe is the size of the first read of a list whose length is
	// not known.
	listProbe = 4
)

// judge computes verdicts for one report, each object at most once.
type judge struct {
	b     *Builder
	now   time.Time
	gen   *verdictGen // the verdicts kept across reports; nil: none
	hosts map[string]*hostEv
	urls  map[string]*urlEv
	files map[string]*fileEv
	ips   map[netip.Addr]ipEv
	masks map[netip.Addr][]intel.FeedMask
	// hostMasks memoises LinkHostMasks reads (maxMaskScan items) by host.
	hostMasks map[string][]intel.Link
	// held is the legal holds once read (see holds); nil before.
	held *[]intel.Hold
	// sums memoises the object summaries read (a name and its ancestors,
	// the variants of a web address, the hashes of a file).
	sums map[objKey]*intel.ObjectSummary
	// reads memoises list reads by list and owner.
	reads map[listKey]listRead
	// pinned are pages of lists that stand for the lists themselves
	// (listpage.go); nil in a judge of a whole report.
	pinned map[listKey][]intel.Link
	// pinnedFiles are pages of the files of web addresses, by key, that
	// stand for their URLFiles reads (nil: none).
	pinnedFiles map[string][]intel.FileDownload
	// reps memoises the reports read, by ID (absent ones too, as ok false).
	reps map[string]knownReport
}

// knownReport is a report read by ID; ok is false when the store does not
// know the ID.
type knownReport struct {
	r  intel.Report
	ok bool
}

// reports is Builder.reports with each report read once per report.
func (j *judge) reports(ctx context.Context, ids []string) ([]intel.Report, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = ids[:min(len(ids), MaxReports)]
	var missing []string
	for _, id := range ids {
		if _, ok := j.reps[id]; !ok && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		got, err := store.ReportsByID(ctx, j.b.Store, missing)
		if err != nil {
			return nil, err
		}
		for _, id := range missing {
			j.reps[id] = knownReport{}
		}
		for i := range got {
			j.reps[got[i].ID] = knownReport{got[i], true}
		}
	}
	out := make([]intel.Report, 0, len(ids))
	for _, id := range ids {
		if k := j.reps[id]; k.ok {
			out = append(out, k.r)
		}
	}
	sortReports(out)
	return out, nil
}

// listKey names one list of one owner.
type listKey struct {
	list  intel.LinkList
	owner string
}

// listRead is a read of at most limit items of a list: the whole list
// when it holds fewer than limit.
type listRead struct {
	links []intel.Link
	limit int
}

// objKey names an object summary.
type objKey struct {
	kind intel.ObjectKind
	key  string
}

func (b *Builder) judge() *judge {
	return b.judgeAt(b.generation())
}

// judgeAt is a judge of the generation gen (nil: none) scoring at now.
func (b *Builder) judgeAt(gen *verdictGen, now time.Time) *judge {
	return &judge{b: b, now: now, gen: gen, hosts: map[string]*hostEv{}, urls: map[string]*urlEv{},
		files: map[string]*fileEv{}, ips: map[netip.Addr]ipEv{}, masks: map[netip.Addr][]intel.FeedMask{},
		hostMasks: map[string][]intel.Link{}, sums: map[objKey]*intel.ObjectSummary{},
		reads: map[listKey]listRead{}, reps: map[string]knownReport{}}
}

// object reads the summary of an object, once per report.
func (j *judge) object(ctx context.Context, kind intel.ObjectKind, key string) (*intel.ObjectSummary, error) {
	k := objKey{kind, key}
	if s := j.sums[k]; s != nil {
		return s, nil
	}
	s, err := j.b.Store.Object(ctx, kind, key)
	if err != nil {
		return nil, err
	}
	j.sums[k] = &s
	return &s, nil
}

// links reads at most limit items of one list of owner, once per report
// (a later read of no more items, or of a list read whole, is served from
// the first; the items must not be modified). When the owner's summary
// has been read, the read is bounded by the list's item count and
// skipped for an empty list; otherwise a large read starts with a short
// one (most lists are short, and the store sizes its scan by the limit).
// The items are the same either way.
func (j *judge) links(ctx context.Context, list intel.LinkList, owner string, limit int) ([]intel.Link, error) {
	if p, ok := j.pinned[listKey{list, owner}]; ok { // a page of the list (listpage.go)
		return p[:min(limit, len(p))], nil
	}
	known := false
	if list != intel.LinkURLVariants {
		if s := j.sums[objKey{list.Owner(), owner}]; s != nil {
			limit = int(min(int64(limit), s.Lists[list].Items))
			known = true
		}
	}
	if limit <= 0 {
		return nil, nil
	}
	k := listKey{list, owner}
	if r, ok := j.reads[k]; ok && (limit <= r.limit || len(r.links) < r.limit) {
		return r.links[:min(limit, len(r.links))], nil
	}
	if !known && limit > listProbe {
		l, err := j.b.Store.Links(ctx, list, owner, listProbe)
		if err != nil {
			return nil, err
		}
		if len(l) < listProbe {
			j.reads[k] = listRead{l, listProbe}
			return l, nil
		}
	}
	l, err := j.b.Store.Links(ctx, list, owner, limit)
	if err != nil {
		return nil, err
	}
	j.reads[k] = listRead{l, limit}
	return l, nil
}

// maskLinks reads the masks kept for a host (LinkHostMasks, at most
// maxMaskScan, most severe first).
func (j *judge) maskLinks(ctx context.Context, host string) ([]intel.Link, error) {
	if l, ok := j.hostMasks[host]; ok {
		return l, nil
	}
	l, err := j.links(ctx, intel.LinkHostMasks, host, maxMaskScan)
	if err != nil {
		return nil, err
	}
	j.hostMasks[host] = l
	return l, nil
}

// addrMasks reads the masks of an address (at most maxMaskScan), once per
// report. A short read first: most addresses have a few masks, and the
// store sizes its scan by the limit.
func (j *judge) addrMasks(ctx context.Context, a netip.Addr) ([]intel.FeedMask, error) {
	if m, ok := j.masks[a]; ok {
		return m, nil
	}
	m, err := j.b.Store.Masks(ctx, a, listProbe)
	if err == nil && len(m) >= listProbe {
		m, err = j.b.Store.Masks(ctx, a, maxMaskScan)
	}
	if err != nil {
		return nil, err
	}
	j.masks[a] = m
	return m, nil
}

// hostEv is the evidence on one domain name and its verdict.
type hostEv struct {
	sum     *intel.ObjectSummary   // shared with judge.sums
	anc     []*intel.ObjectSummary // the ancestors' summaries, nearest first
	reports []intel.Report
	in      score.ObjectInput
	res     score.Result
}

// host gathers the evidence on a domain name: its summary, the allow lists
// naming it or an ancestor, the Host masks naming it and the reports
// naming it.
func (j *judge) host(ctx context.Context, name string) (*hostEv, error) {
	if h := j.hosts[name]; h != nil {
		return h, nil
	}
	if e, ok := j.gen.evidenceOf(objKey{intel.ObjectHost, name}); ok {
		j.adoptHost(name, e.h)
		return e.h, nil
	}
	s, err := j.object(ctx, intel.ObjectHost, name)
	if err != nil {
		return nil, err
	}
	h := &hostEv{sum: s}
	sum := s
	in := &h.in
	in.Kind, in.Listings, in.Now = intel.ObjectHost, sum.Listings, j.now
	for _, a := range sum.Info.Allows {
		in.Allows = append(in.Allows, score.AllowRef{List: a, Name: name})
	}
	var ancErr error
	intel.Ancestors(name, func(a string) {
		if ancErr != nil {
			return
		}
		s, err := j.object(ctx, intel.ObjectHost, a)
		if err != nil {
			ancErr = err
			return
		}
		h.anc = append(h.anc, s)
		for _, l := range s.Info.Allows {
			in.Allows = append(in.Allows, score.AllowRef{List: l, Name: a})
		}
	})
	if ancErr != nil {
		return nil, ancErr
	}
	if sum.Lists[intel.LinkHostMasks].Items > 0 {
		links, err := j.maskLinks(ctx, name)
		if err != nil {
			return nil, err
		}
		for i := range links {
			m := linkMask(&links[i])
			if m.MaskType == intel.MaskHost && maskCovers(m, "", name) {
				in.Masks = append(in.Masks, m)
			}
		}
	}
	if sum.Lists[intel.LinkHostReports].Items > 0 {
		if h.reports, err = j.linkedReports(ctx, intel.LinkHostReports, []string{name}); err != nil {
			return nil, err
		}
	}
	in.Reports = reportRefs(h.reports)
	in.ServesRed = sum.Lists[intel.LinkHostURLs].MaxZone == intel.ZoneRed
	in.Hits = hostHits(sum)
	in.LastSeen = sum.Info.LastSeen
	h.res = score.ObjectVerdict(j.b.Score, in)
	j.hosts[name] = h
	j.gen.putHost(name, hostVerdict{zone: h.res.Zone, files: sum.Lists[intel.LinkHostFiles].Items,
		urls: sum.Lists[intel.LinkHostURLs].Items, hits: hostHits(sum)})
	j.gen.putEvidence(objKey{intel.ObjectHost, name}, evidence{h: h, size: h.size()})
	return h, nil
}

// adoptHost makes the kept evidence h of a name this report's, with the
// summaries it read.
func (j *judge) adoptHost(name string, h *hostEv) {
	j.hosts[name] = h
	j.sums[objKey{intel.ObjectHost, name}] = h.sum
	for _, a := range h.anc {
		k := objKey{intel.ObjectHost, a.Key}
		if j.sums[k] == nil {
			j.sums[k] = a
		}
	}
}

// hostItem is what a list item of a domain name shows of it: its own zone
// and counts, kept across reports (see Verdicts).
func (j *judge) hostItem(ctx context.Context, name string) (hostVerdict, error) {
	if h := j.hosts[name]; h != nil {
		s := h.sum
		return hostVerdict{zone: h.res.Zone, files: s.Lists[intel.LinkHostFiles].Items,
			urls: s.Lists[intel.LinkHostURLs].Items, hits: hostHits(s)}, nil
	}
	if v, ok := j.gen.host(name); ok {
		return v, nil
	}
	h, err := j.host(ctx, name)
	if err != nil {
		return hostVerdict{}, err
	}
	s := h.sum
	return hostVerdict{zone: h.res.Zone, files: s.Lists[intel.LinkHostFiles].Items,
		urls: s.Lists[intel.LinkHostURLs].Items, hits: hostHits(s)}, nil
}

// hostHits is a name's HitsCount: the hits of its resolutions and its own
// sightings.
func hostHits(s *intel.ObjectSummary) int64 {
	return s.Lists[intel.LinkHostIPv4].Hits + s.Lists[intel.LinkHostIPv6].Hits + s.Info.Hits
}

// linkedReports reads the reports of a report list (LinkHostReports,
// LinkURLReports, LinkFileReports) of the owners, at most MaxReports.
func (j *judge) linkedReports(ctx context.Context, list intel.LinkList, owners []string) ([]intel.Report, error) {
	var ids []string
	for _, o := range owners {
		links, err := j.links(ctx, list, o, MaxReports)
		if err != nil {
			return nil, err
		}
		for i := range links {
			if !slices.Contains(ids, links[i].Item) {
				ids = append(ids, links[i].Item)
			}
		}
	}
	slices.Sort(ids)
	return j.reports(ctx, ids)
}

// linkMask is the feed mask of a LinkHostMasks item.
func linkMask(l *intel.Link) intel.FeedMask {
	mask, typ, _ := strings.Cut(l.Item, intel.ItemSep)
	return intel.FeedMask{Mask: mask, MaskType: typ, Zone: l.Zone, Feeds: slices.Clone(l.Attrs), LastSeen: l.LastSeen, Source: l.Source}
}

// urlEv is the evidence on one web address (all stored addresses with its
// match key) and its verdict.
type urlEv struct {
	key  string
	keys []string // key first, then the other stored variants
	// files counts the files downloaded from each of keys (the store's
	// URLSummary.Files; 0 when it knows no summary).
	files  []int64
	host   string
	hostIP netip.Addr // valid for a public IP-literal host
	sum    intel.URLSummary
	known  bool
	cats   []intel.Category // recorded categories of every variant
	hostEv *hostEv          // nil for an IP host
	// reports name one of the variants (not the host).
	reports []intel.Report
	masks   []intel.FeedMask       // ordered by maskOrder
	osums   []*intel.ObjectSummary // the object summaries of keys
	in      score.ObjectInput
	res     score.Result
}

// url gathers the evidence on the web address key (normalised) and
// computes its verdict.
func (j *judge) url(ctx context.Context, key string) (*urlEv, error) {
	if u := j.urls[key]; u != nil {
		return u, nil
	}
	if e, ok := j.gen.evidenceOf(objKey{intel.ObjectURL, key}); ok {
		u := e.u
		j.urls[key] = u
		for _, s := range u.osums {
			j.sums[objKey{intel.ObjectURL, s.Key}] = s
		}
		if u.hostEv != nil && j.hosts[u.host] == nil {
			j.adoptHost(u.host, u.hostEv)
		}
		return u, nil
	}
	st := j.b.Store
	u := &urlEv{key: key, keys: []string{key}, host: intel.URLHost(key)}
	if a, err := netip.ParseAddr(u.host); err == nil {
		a = a.Unmap().WithZone("")
		if _, reserved := netdata.Reserved(a); !reserved {
			u.hostIP = a
		}
	}
	vars, err := j.links(ctx, intel.LinkURLVariants, intel.URLMatchKey(key), maxVariants)
	if err != nil {
		return nil, err
	}
	for i := range vars {
		if len(u.keys) < maxVariants && !slices.Contains(u.keys, vars[i].Item) {
			u.keys = append(u.keys, vars[i].Item)
		}
	}
	var listings []intel.ObjectListing
	var reportOwners []string
	for _, k := range u.keys {
		s, err := st.URL(ctx, k)
		u.files = append(u.files, s.Files)
		switch {
		case err == nil:
			mergeURLSummary(&u.sum, &s, !u.known)
			u.known = true
		case errors.Is(err, intel.ErrNotFound):
		default:
			return nil, err
		}
		os, err := j.object(ctx, intel.ObjectURL, k)
		if err != nil {
			return nil, err
		}
		u.osums = append(u.osums, os)
		if os.Known() {
			u.known = true
		}
		listings = append(listings, os.Listings...)
		if os.Lists[intel.LinkURLReports].Items > 0 {
			reportOwners = append(reportOwners, k)
		}
		u.sum.Hits = max(u.sum.Hits, os.Info.Hits)
		u.sum.FirstSeen = intel.MinTime(u.sum.FirstSeen, os.Info.FirstSeen)
		u.sum.LastSeen = intel.MaxTime(u.sum.LastSeen, os.Info.LastSeen)
	}
	u.sum.URL = key
	if len(reportOwners) > 0 {
		if u.reports, err = j.linkedReports(ctx, intel.LinkURLReports, reportOwners); err != nil {
			return nil, err
		}
	}
	in := &u.in
	in.Kind, in.Listings, in.Reports, in.Now = intel.ObjectURL, listings, reportRefs(u.reports), j.now
	in.Host, in.Hits, in.LastSeen = u.host, u.sum.Hits, u.sum.LastSeen
	if u.known {
		in.Recorded = u.sum.Zone
	}
	var info netdata.Info
	if u.hostIP.IsValid() {
		info = j.b.netInfo(u.hostIP)
		for _, a := range info.Allows {
			in.Allows = append(in.Allows, score.AllowRef{List: a.List, Name: a.Prefix.String()})
		}
	} else if u.host != "" && !strings.HasPrefix(u.host, "[") {
		if _, err := netip.ParseAddr(u.host); err != nil {
			h, err := j.host(ctx, u.host)
			if err != nil {
				return nil, err
			}
			u.hostEv = h
			in.Allows = h.in.Allows
			in.HostZone = h.res.Zone
		}
	}
	if u.masks, err = j.urlMasks(ctx, u, &info); err != nil {
		return nil, err
	}
	in.Masks = u.masks
	u.res = score.ObjectVerdict(j.b.Score, in)
	j.urls[key] = u
	j.gen.putURL(key, u.res.Zone)
	j.gen.putEvidence(objKey{intel.ObjectURL, key}, evidence{u: u, size: u.size()})
	return u, nil
}

// mergeURLSummary merges the summary of a variant into the merged one.
func mergeURLSummary(m, s *intel.URLSummary, first bool) {
	if first {
		*m = *s
		m.Categories = slices.Clone(s.Categories)
		m.IPs = slices.Clone(s.IPs)
		return
	}
	m.Zone = intel.MaxZone(m.Zone, s.Zone)
	for _, c := range s.Categories {
		if !slices.Contains(m.Categories, c) {
			m.Categories = append(m.Categories, c)
		}
	}
	m.Hits += s.Hits
	m.Truncated = m.Truncated || s.Truncated
	m.FirstSeen = intel.MinTime(m.FirstSeen, s.FirstSeen)
	m.LastSeen = intel.MaxTime(m.LastSeen, s.LastSeen)
	for _, a := range s.IPs {
		if !slices.Contains(m.IPs, a) {
			m.IPs = append(m.IPs, a)
		}
	}
	slices.SortFunc(m.IPs, netip.Addr.Compare)
	m.Files += s.Files
}

// addrs are the addresses of a web address whose masks are read: those
// the store saw it on (at most maxURLAddrs) and its IP-literal host.
func (u *urlEv) addrs() []netip.Addr {
	addrs := slices.Clone(u.sum.IPs[:min(len(u.sum.IPs), maxURLAddrs)])
	if u.hostIP.IsValid() && !slices.Contains(addrs, u.hostIP) {
		addrs = append(addrs, u.hostIP)
	}
	return addrs
}

// urlMasks collects the masks that cover a web address or one of its
// variants: Host masks of its host, UrlPrefix masks that are a prefix of
// it, Url masks equal to it — kept on its hosts (LinkHostMasks) or on
// any of its addresses — and the network listings covering an IP-literal
// host (unless allow-listed). Masks found twice are merged.
func (j *judge) urlMasks(ctx context.Context, u *urlEv, info *netdata.Info) ([]intel.FeedMask, error) {
	var out []intel.FeedMask
	merge := func(m intel.FeedMask) {
		m.IP = netip.Addr{}
		for i := range out {
			o := &out[i]
			if o.MaskType == m.MaskType && o.Mask == m.Mask {
				o.Zone = intel.MaxZone(o.Zone, m.Zone)
				for _, f := range m.Feeds {
					if !slices.Contains(o.Feeds, f) {
						o.Feeds = append(o.Feeds, f)
					}
				}
				o.LastSeen = maxTime(o.LastSeen, m.LastSeen)
				return
			}
		}
		m.Feeds = slices.Clone(m.Feeds)
		out = append(out, m)
	}
	keyHosts := make([]string, len(u.keys))
	for i, k := range u.keys {
		keyHosts[i] = intel.URLHost(k)
	}
	covers := func(m intel.FeedMask) bool {
		for i, k := range u.keys {
			if maskCovers(m, k, keyHosts[i]) {
				return true
			}
		}
		return false
	}
	var hosts []string
	for _, h := range keyHosts {
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	for _, h := range hosts {
		links, err := j.maskLinks(ctx, h)
		if err != nil {
			return nil, err
		}
		for i := range links {
			if m := linkMask(&links[i]); covers(m) {
				merge(m)
			}
		}
	}
	for _, a := range u.addrs() {
		masks, err := j.addrMasks(ctx, a)
		if err != nil {
			return nil, err
		}
		for _, m := range masks {
			if covers(m) {
				merge(m)
			}
		}
	}
	if u.hostIP.IsValid() && len(info.Allows) == 0 {
		for _, m := range networkMasks(info) {
			merge(m)
		}
	}
	for i := range out {
		slices.Sort(out[i].Feeds)
	}
	slices.SortFunc(out, func(a, b intel.FeedMask) int { return maskOrder(&a, &b) })
	return out, nil
}

// fileEv is the evidence on one file (all its known hashes) and its
// verdict.
type fileEv struct {
	hashes intel.FileHashes // the query's kind filled at least
	keys   []string         // known hashes, MD5, SHA-1, SHA-256 order
	sums   []*intel.ObjectSummary
	known  bool
	in     score.FileInput
	res    score.FileResult
}

// file gathers the evidence on a file asked by hash (upper-case hex) over
// all the hashes stored with it.
func (j *judge) file(ctx context.Context, hash string) (*fileEv, error) {
	if f := j.files[hash]; f != nil {
		return f, nil
	}
	if e, ok := j.gen.evidenceOf(objKey{intel.ObjectFile, hash}); ok {
		f := e.f
		j.files[hash] = f
		for _, s := range f.sums {
			j.sums[objKey{intel.ObjectFile, s.Key}] = s
		}
		return f, nil
	}
	st := j.b.Store
	h, ok, err := st.FileHashes(ctx, hash)
	if err != nil {
		return nil, err
	}
	f := &fileEv{hashes: h, known: ok}
	if !ok {
		f.hashes = intel.FileHashes{}
	}
	switch intel.HashKind(hash) {
	case "MD5":
		f.hashes.MD5 = cmpOr(f.hashes.MD5, hash)
	case "SHA-1":
		f.hashes.SHA1 = cmpOr(f.hashes.SHA1, hash)
	case "SHA-256":
		f.hashes.SHA256 = cmpOr(f.hashes.SHA256, hash)
	}
	f.keys = f.hashes.Hashes()
	if !slices.Contains(f.keys, hash) {
		f.keys = append(f.keys, hash)
	}
	in := &f.in
	for _, k := range f.keys {
		s, err := j.object(ctx, intel.ObjectFile, k)
		if err != nil {
			return nil, err
		}
		f.sums = append(f.sums, s)
		f.known = f.known || s.Known()
		in.Detected = intel.MaxZone(in.Detected, s.Lists[intel.LinkDetections].MaxZone)
		if in.Detected == intel.ZoneGrey {
			in.Detected = ""
		}
		in.Listings = append(in.Listings, s.Listings...)
		in.Reports += s.Lists[intel.LinkFileReports].Items
		for _, a := range s.Info.Allows {
			if !slices.Contains(in.Allows, a) {
				in.Allows = append(in.Allows, a)
			}
		}
	}
	f.res = score.FileVerdict(in)
	j.files[hash] = f
	j.gen.putFile(hash, f.res.Zone)
	j.gen.putEvidence(objKey{intel.ObjectFile, hash}, evidence{f: f, size: f.size()})
	for _, k := range f.keys {
		if j.files[k] == nil && ok {
			j.files[k] = f
			j.gen.putFile(k, f.res.Zone)
		}
	}
	return f, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ipEv is an address's zone and threat score as its own lookup gives them.
type ipEv struct {
	zone  intel.Zone
	score int
}

// ip computes an address's verdict with the inputs of IP (Grey and 0 for
// a special-purpose address).
func (j *judge) ip(ctx context.Context, ip netip.Addr) (ipEv, error) {
	ip = ip.Unmap().WithZone("")
	if v, ok := j.ips[ip]; ok {
		return v, nil
	}
	if v, ok := j.gen.ip(ip); ok {
		j.ips[ip] = v
		return v, nil
	}
	v := ipEv{zone: intel.ZoneGrey}
	if _, reserved := netdata.Reserved(ip); !reserved {
		in, _, err := j.b.ipInput(ctx, ip, j.now, j.reports)
		if err != nil {
			return v, err
		}
		res := score.Verdict(j.b.Score, in)
		v = ipEv{zone: res.Zone, score: res.Score}
	}
	j.ips[ip] = v
	j.gen.putIP(ip, v)
	return v, nil
}

// ipInput reads the scoring inputs of a (not special-purpose) address as
// IP does, and its linked reports.
func (b *Builder) ipInput(ctx context.Context, ip netip.Addr, now time.Time, read func(context.Context, []string) ([]intel.Report, error)) (*score.Input, []intel.Report, error) {
	info := b.netInfo(ip)
	sum, err := b.Store.Address(ctx, ip)
	if err != nil {
		return nil, nil, err
	}
	reports, err := read(ctx, sum.ReportIDs)
	if err != nil {
		return nil, nil, err
	}
	// The resolutions are only counted: read into pooled memory.
	lists := listsPool.Get().(*store.AddressLists)
	defer listsPool.Put(lists)
	if err := store.ReadLists(ctx, b.Store, ip, store.ListLimits{Resolutions: RedDomainScan}, lists); err != nil {
		return nil, nil, err
	}
	rel := related(&sum, lists.Resolutions)
	return &score.Input{Summary: &sum, NetListings: info.Listings, Allows: info.Allows, Related: rel,
		Reports: reportRefs(reports), Now: now}, reports, nil
}

// related are the facts about an address's related objects that its
// verdict counts: its Red web addresses and files, and, among its most
// recent resolutions (at most RedDomainScan), the Red names and, when it
// has Red content (the only case the count matters), the distinct sites
// (registrable domains).
func related(sum *intel.AddressSummary, res []intel.Resolution) score.Related {
	res = res[:min(len(res), RedDomainScan)]
	rel := score.Related{RedURLs: sum.RedURLs, RedFiles: sum.RedFiles}
	var sites []string
	for i := range res {
		if res[i].Zone == intel.ZoneRed {
			rel.RedDomains++
		}
		if rel.RedURLs+rel.RedFiles == 0 {
			continue
		}
		name := res[i].Domain
		if slices.ContainsFunc(sites, func(s string) bool { return name == s || isSubdomain(name, s) }) {
			continue // a name of a site already counted (no Public Suffix List lookup)
		}
		site := intel.RegistrableDomain(name)
		if site == "" {
			site = res[i].Domain
		}
		if !slices.Contains(sites, site) {
			sites = append(sites, site)
		}
	}
	rel.Sites = len(sites)
	return rel
}

// isSubdomain reports whether name is below parent.
func isSubdomain(name, parent string) bool {
	return len(name) > len(parent) && strings.HasSuffix(name, parent) && name[len(name)-len(parent)-1] == '.'
}

// fileZone, urlZone and hostZone are the zones of list items.
func (j *judge) fileZone(ctx context.Context, md5 string) (intel.Zone, error) {
	if f := j.files[md5]; f != nil {
		return f.res.Zone, nil
	}
	if z, ok := j.gen.file(md5); ok {
		return z, nil
	}
	f, err := j.file(ctx, md5)
	if err != nil {
		return "", err
	}
	return f.res.Zone, nil
}

func (j *judge) urlZone(ctx context.Context, key string) (intel.Zone, error) {
	if u := j.urls[key]; u != nil {
		return u.res.Zone, nil
	}
	if z, ok := j.gen.url(key); ok {
		return z, nil
	}
	u, err := j.url(ctx, key)
	if err != nil {
		return "", err
	}
	return u.res.Zone, nil
}
