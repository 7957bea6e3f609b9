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
)

// judge computes verdicts for one report, each object at most once.
type judge struct {
	b     *Builder
	now   time.Time
	hosts map[string]*hostEv
	urls  map[string]*urlEv
	files map[string]*fileEv
	ips   map[netip.Addr]ipEv
	masks map[netip.Addr][]intel.FeedMask
	// hostMasks memoises LinkHostMasks reads (maxMaskScan items) by host.
	hostMasks map[string][]intel.Link
	// held is the legal holds once read (see holds); nil before.
	held *[]intel.Hold
}

func (b *Builder) judge() *judge {
	return &judge{b: b, now: b.now(), hosts: map[string]*hostEv{}, urls: map[string]*urlEv{},
		files: map[string]*fileEv{}, ips: map[netip.Addr]ipEv{}, masks: map[netip.Addr][]intel.FeedMask{},
		hostMasks: map[string][]intel.Link{}}
}

// maskLinks reads the masks kept for a host (LinkHostMasks, at most
// maxMaskScan, most severe first).
func (j *judge) maskLinks(ctx context.Context, host string) ([]intel.Link, error) {
	if l, ok := j.hostMasks[host]; ok {
		return l, nil
	}
	l, err := j.b.Store.Links(ctx, intel.LinkHostMasks, host, maxMaskScan)
	if err != nil {
		return nil, err
	}
	j.hostMasks[host] = l
	return l, nil
}

// hostEv is the evidence on one domain name and its verdict.
type hostEv struct {
	sum     intel.ObjectSummary
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
	st := j.b.Store
	sum, err := st.Object(ctx, intel.ObjectHost, name)
	if err != nil {
		return nil, err
	}
	h := &hostEv{sum: sum}
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
		s, err := st.Object(ctx, intel.ObjectHost, a)
		if err != nil {
			ancErr = err
			return
		}
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
	in.Hits = hostHits(&sum)
	in.LastSeen = sum.Info.LastSeen
	h.res = score.ObjectVerdict(j.b.Score, in)
	j.hosts[name] = h
	return h, nil
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
		links, err := j.b.Store.Links(ctx, list, o, MaxReports)
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
	return j.b.reports(ctx, ids)
}

// linkMask is the feed mask of a LinkHostMasks item.
func linkMask(l *intel.Link) intel.FeedMask {
	mask, typ, _ := strings.Cut(l.Item, intel.ItemSep)
	return intel.FeedMask{Mask: mask, MaskType: typ, Zone: l.Zone, Feeds: slices.Clone(l.Attrs), LastSeen: l.LastSeen, Source: l.Source}
}

// urlEv is the evidence on one web address (all stored addresses with its
// match key) and its verdict.
type urlEv struct {
	key    string
	keys   []string // key first, then the other stored variants
	host   string
	hostIP netip.Addr // valid for a public IP-literal host
	sum    intel.URLSummary
	known  bool
	cats   []intel.Category // recorded categories of every variant
	hostEv *hostEv          // nil for an IP host
	// reports name one of the variants (not the host).
	reports []intel.Report
	masks   []intel.FeedMask // ordered by maskOrder
	in      score.ObjectInput
	res     score.Result
}

// url gathers the evidence on the web address key (normalised) and
// computes its verdict.
func (j *judge) url(ctx context.Context, key string) (*urlEv, error) {
	if u := j.urls[key]; u != nil {
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
	vars, err := st.Links(ctx, intel.LinkURLVariants, intel.URLMatchKey(key), maxVariants)
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
		switch {
		case err == nil:
			mergeURLSummary(&u.sum, &s, !u.known)
			u.known = true
		case errors.Is(err, intel.ErrNotFound):
		default:
			return nil, err
		}
		os, err := st.Object(ctx, intel.ObjectURL, k)
		if err != nil {
			return nil, err
		}
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
	covers := func(m intel.FeedMask) bool {
		for _, k := range u.keys {
			if maskCovers(m, k, intel.URLHost(k)) {
				return true
			}
		}
		return false
	}
	var hosts []string
	for _, k := range u.keys {
		if h := intel.URLHost(k); h != "" && !slices.Contains(hosts, h) {
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
		masks, ok := j.masks[a]
		if !ok {
			var err error
			if masks, err = j.b.Store.Masks(ctx, a, maxMaskScan); err != nil {
				return nil, err
			}
			j.masks[a] = masks
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
	sums   []intel.ObjectSummary
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
		s, err := st.Object(ctx, intel.ObjectFile, k)
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
	for _, k := range f.keys {
		if j.files[k] == nil && ok {
			j.files[k] = f
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
	v := ipEv{zone: intel.ZoneGrey}
	if _, reserved := netdata.Reserved(ip); !reserved {
		in, _, err := j.b.ipInput(ctx, ip)
		if err != nil {
			return v, err
		}
		res := score.Verdict(j.b.Score, in)
		v = ipEv{zone: res.Zone, score: res.Score}
	}
	j.ips[ip] = v
	return v, nil
}

// ipInput reads the scoring inputs of a (not special-purpose) address as
// IP does, and its linked reports.
func (b *Builder) ipInput(ctx context.Context, ip netip.Addr) (*score.Input, []intel.Report, error) {
	info := b.netInfo(ip)
	sum, err := b.Store.Address(ctx, ip)
	if err != nil {
		return nil, nil, err
	}
	reports, err := b.reports(ctx, sum.ReportIDs)
	if err != nil {
		return nil, nil, err
	}
	res, err := b.Store.Resolutions(ctx, ip, RedDomainScan)
	if err != nil {
		return nil, nil, err
	}
	rel := score.Related{RedURLs: sum.RedURLs, RedFiles: sum.RedFiles}
	for i := range res {
		if res[i].Zone == intel.ZoneRed {
			rel.RedDomains++
		}
	}
	return &score.Input{Summary: &sum, NetListings: info.Listings, Allows: info.Allows, Related: rel,
		Reports: reportRefs(reports), Now: b.now()}, reports, nil
}

// fileZone, urlZone and hostZone are the zones of list items.
func (j *judge) fileZone(ctx context.Context, md5 string) (intel.Zone, error) {
	f, err := j.file(ctx, md5)
	if err != nil {
		return "", err
	}
	return f.res.Zone, nil
}

func (j *judge) urlZone(ctx context.Context, key string) (intel.Zone, error) {
	u, err := j.url(ctx, key)
	if err != nil {
		return "", err
	}
	return u.res.Zone, nil
}
