package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/gen"
	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/netdata"
	"github.com/tipd/tipd/internal/render"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/score"
	"github.com/tipd/tipd/internal/store"
	"github.com/tipd/tipd/internal/store/mem"
	"github.com/tipd/tipd/internal/store/pebble"
)

// The consistency property of the answers: every object shown in a list
// of any answer (an address, a domain, a web address, a file) carries the
// zone its own lookup gives (and an address its threat score), and a web
// address or name shown next to a feed mask naming or covering it is at
// least as severe as the mask unless an allow list overrides the mask —
// which its explanation then names.

var worldNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// world is a random small world: the records of one import, and the
// objects to look up.
type world struct {
	batch *intel.Batch
	ips   []netip.Addr
	names []string
	urls  []string
	md5s  []string
}

// randomWorld builds the world of seed: a few addresses (one reserved,
// one in an allow-listed network, some in a listed network), names under
// three sites (one allow-listed), web addresses on names and addresses,
// files downloaded from them, masks, listings, reports and links, with
// random zones and dates (some undated), as the importer would apply them
// (links derived, undated links dated at the import).
func randomWorld(seed uint64) world {
	r := rand.New(rand.NewPCG(seed, 14))
	src := intel.Source{Feed: "gen", File: "world.jsonl", Imported: worldNow.Add(-time.Hour)}
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	date := func() (time.Time, time.Time) {
		if r.IntN(4) == 0 {
			return time.Time{}, time.Time{} // undated
		}
		last := worldNow.Add(-time.Duration(r.IntN(300)) * 24 * time.Hour).Truncate(time.Minute)
		return last.Add(-time.Duration(r.IntN(30)) * 24 * time.Hour), last
	}
	zones := []intel.Zone{intel.ZoneRed, intel.ZoneOrange, intel.ZoneYellow, intel.ZoneGreen, intel.ZoneGrey}
	zone := func() intel.Zone { return zones[r.IntN(len(zones))] }
	cats := []intel.Category{intel.CatMalware, intel.CatBotnetCNC, intel.CatPhishing, intel.CatSpam, intel.CatScanner,
		intel.CatAdware, intel.CatBenign}
	cat := func() intel.Category {
		if r.IntN(12) == 0 {
			return intel.CatBenign
		}
		return cats[r.IntN(len(cats)-1)]
	}
	feeds := []string{"Feed A", "Feed B", "Feed C"}

	w := world{batch: &intel.Batch{}}
	b := w.batch
	for _, a := range []string{"45.95.147.10", "45.95.147.11", "45.95.147.12", "185.100.87.2", "185.100.87.3",
		"8.8.8.8", "192.0.2.7"} {
		w.ips = append(w.ips, netip.MustParseAddr(a))
	}
	public := w.ips[:5]
	b.Allows = []intel.Allow{{Prefix: netip.MustParsePrefix("8.8.8.0/24"), List: "Public DNS", Source: src}}
	if r.IntN(2) == 0 {
		first, last := date()
		b.NetListings = append(b.NetListings, intel.NetListing{Prefix: netip.MustParsePrefix("45.95.147.0/24"),
			Category: []intel.Category{intel.CatBotnetCNC, intel.CatSpam, intel.CatScanner}[r.IntN(3)], Feed: "DROP",
			FirstSeen: first, LastSeen: last, Source: src})
	}
	for _, ip := range public {
		for range r.IntN(3) {
			first, last := date()
			b.Listings = append(b.Listings, intel.Listing{IP: ip, Category: cat(), Feed: pick(feeds),
				FirstSeen: first, LastSeen: last, Source: src})
		}
	}
	w.names = []string{"bad.example", "c2.bad.example", "cdn.bad.example", "shop.example", "www.shop.example",
		"good.example", "api.good.example", "x.dyn.example"}
	b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectHost, Key: "good.example",
		Allows: []string{"Top sites"}, Source: src})
	resolves := map[string][]netip.Addr{}
	for _, n := range w.names {
		for range 1 + r.IntN(2) {
			ip := w.ips[r.IntN(len(w.ips))]
			if slices.Contains(resolves[n], ip) {
				continue
			}
			resolves[n] = append(resolves[n], ip)
			first, last := date()
			b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: n, FirstSeen: first, LastSeen: last,
				Hits: int64(1 + r.IntN(100)), Source: src})
		}
		if r.IntN(2) == 0 {
			var cs []intel.Category
			if r.IntN(2) == 0 {
				cs = []intel.Category{cat()}
			}
			b.Domains = append(b.Domains, intel.DomainInfo{Domain: n, Zone: zone(), Categories: cs, Source: src})
		}
	}
	// Web addresses on names (hosted on an address the name resolves to)
	// and on addresses.
	urlIPs := map[string][]netip.Addr{}
	for i := range 12 {
		var host string
		var ip netip.Addr
		if i%3 == 0 {
			ip = public[r.IntN(len(public))]
			host = ip.String()
		} else {
			host = pick(w.names)
			ip = resolves[host][r.IntN(len(resolves[host]))]
		}
		u := fmt.Sprintf("%s/%s/p%d", host, pick([]string{"bins", "login", "static"}), i)
		w.urls = append(w.urls, u)
		urlIPs[u] = append(urlIPs[u], ip)
		first, last := date()
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: u, Zone: zone(), Hits: int64(1 + r.IntN(50)),
			FirstSeen: first, LastSeen: last, Source: src})
		if r.IntN(3) == 0 {
			first, last := date()
			b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectURL, Key: u, Category: cat(),
				Feed: pick(feeds), FirstSeen: first, LastSeen: last, Source: src})
		}
	}
	dets := []string{"", "", "HEUR:Trojan.Linux.Mirai.b", "not-a-virus:HEUR:AdWare.Win32.Agent.gen"}
	for i := range 8 {
		md5 := fmt.Sprintf("%032X", seed*1000+uint64(i))
		w.md5s = append(w.md5s, md5)
		for range 1 + r.IntN(2) {
			u := pick(w.urls)
			first, last := date()
			b.Files = append(b.Files, intel.FileDownload{IP: urlIPs[u][0], MD5: md5, URL: "http://" + u, Zone: zone(),
				DetectionName: pick(dets), Hits: int64(1 + r.IntN(20)), FirstSeen: first, LastSeen: last, Source: src})
		}
		if r.IntN(4) == 0 {
			b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectFile, Key: md5, Category: cat(),
				Feed: pick(feeds), Source: src})
		}
		if r.IntN(3) == 0 {
			u := pick(w.urls)
			b.Links = append(b.Links,
				intel.Link{List: intel.LinkURLAccessed, Owner: u, Item: md5, Hits: 1, Source: src},
				intel.Link{List: intel.LinkFileAccessedURLs, Owner: md5, Item: u, Hits: 1, Source: src},
				intel.Link{List: intel.LinkHostAccessed, Owner: intel.URLHost(u), Item: md5 + intel.ItemSep + u, Hits: 1, Source: src})
		}
	}
	for range 3 {
		from, to := pick(w.urls), pick(w.urls)
		b.Links = append(b.Links,
			intel.Link{List: intel.LinkURLReferredTo, Owner: from, Item: to, Source: src},
			intel.Link{List: intel.LinkURLReferrals, Owner: to, Item: from, Source: src},
			intel.Link{List: intel.LinkHostReferrals, Owner: intel.URLHost(to), Item: from, Source: src})
	}
	// Masks, kept with an address the web address or host was seen on.
	for range 4 {
		u := pick(w.urls)
		var m intel.FeedMask
		switch r.IntN(3) {
		case 0:
			m = intel.FeedMask{Mask: intel.URLHost(u), MaskType: intel.MaskHost}
		case 1:
			m = intel.FeedMask{Mask: u[:strings.LastIndex(u, "/")+1], MaskType: intel.MaskURLPrefix}
		default:
			m = intel.FeedMask{Mask: u, MaskType: intel.MaskURL}
		}
		m.IP, m.Zone, m.Feeds, m.Source = urlIPs[u][0], zone(), []string{pick(feeds)}, src
		if m.Zone == intel.ZoneGrey {
			m.Zone = intel.ZoneRed
		}
		_, m.LastSeen = date()
		b.Masks = append(b.Masks, m)
	}
	b.Reports = []intel.Report{{ID: "rpt-1", Type: intel.ReportAPT, Title: "Campaign", Published: worldNow.Add(-40 * 24 * time.Hour), Source: src}}
	b.ReportLinks = []intel.ReportLink{{IP: public[r.IntN(len(public))], ReportID: "rpt-1", Source: src},
		{IP: resolves["c2.bad.example"][0], Domain: "c2.bad.example", ReportID: "rpt-1", Source: src}}
	b.AddObjects()
	b.DateLinks(src.Imported)
	return w
}

// shown is an object shown in a list of an answer.
type shown struct {
	kind  string // "address", "domain", "url", "file"
	key   string
	zone  intel.Zone
	score *int // addresses: ThreatScore
	where string
}

// mask is a FeedMasks item of an answer.
type mask struct {
	typ, mask string
	zone      intel.Zone
	where     string
}

// collect walks an answer's JSON and returns the objects of its lists and
// its feed masks.
func collect(t *testing.T, where string, data []byte) ([]shown, []mask) {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var items []shown
	var masks []mask
	for section, v := range top {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		for i, it := range list {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			z, _ := m["Zone"].(string)
			at := fmt.Sprintf("%s %s[%d]", where, section, i)
			str := func(k string) string { s, _ := m[k].(string); return s }
			switch {
			case str("NormalizedMask") != "":
				masks = append(masks, mask{str("MaskType"), str("NormalizedMask"), intel.Zone(z), at})
			case z == "":
			case str("Md5") != "":
				items = append(items, shown{"file", str("Md5"), intel.Zone(z), nil, at})
			case str("Url") != "":
				items = append(items, shown{"url", str("Url"), intel.Zone(z), nil, at})
			case str("Subdomain") != "":
				items = append(items, shown{"domain", str("Subdomain"), intel.Zone(z), nil, at})
			case str("Ip") != "":
				s := int(m["ThreatScore"].(float64))
				items = append(items, shown{"address", str("Ip"), intel.Zone(z), &s, at})
			case str("Domain") != "":
				items = append(items, shown{"domain", str("Domain"), intel.Zone(z), nil, at})
			}
		}
	}
	return items, masks
}

// own is an object's own lookup: zone, score, and its explanation's rules.
type own struct {
	zone  intel.Zone
	score int
	rules []string
}

// checkConsistency looks up every object of w, then every object its
// answers show, and checks the property. It returns the number of items
// checked by kind, of special-purpose ("reserved") and allow-listed
// ("allow-listed") objects among them, and of masks an allow list
// overrides ("floors").
func checkConsistency(t *testing.T, b *report.Builder, w world) map[string]int {
	ctx := context.Background()
	owns := map[string]own{}
	lookup := func(kind, key string) own {
		t.Helper()
		k := kind + " " + key
		if o, ok := owns[k]; ok {
			return o
		}
		var o own
		var contribs []score.Contribution
		switch kind {
		case "address":
			ip := netip.MustParseAddr(key)
			r, err := b.IP(ctx, ip, report.SecZone|report.SecIPGeneralInfo, 1)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			o = own{zone: r.Zone, score: r.General.ThreatScore}
			x, err := b.Explain(ctx, ip)
			if err != nil {
				t.Fatalf("explain %s: %v", k, err)
			}
			contribs = x.Result.Contributions
		case "domain":
			r, err := b.Domain(ctx, key, report.SecZone, 1)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			o.zone = r.Zone
			x, err := b.ExplainDomain(ctx, key)
			if err != nil {
				t.Fatalf("explain %s: %v", k, err)
			}
			contribs = x.Contributions
		case "url":
			r, err := b.URL(ctx, key, report.SecZone, 1)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			o.zone = r.Zone
			x, err := b.ExplainURL(ctx, key)
			if err != nil {
				t.Fatalf("explain %s: %v", k, err)
			}
			contribs = x.Contributions
		case "file":
			r, err := b.File(ctx, key, report.SecZone, 1)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			o.zone = r.Zone
		}
		for _, c := range contribs {
			if !slices.Contains(o.rules, c.Rule) {
				o.rules = append(o.rules, c.Rule)
			}
		}
		owns[k] = o
		return o
	}

	type answer struct {
		where string
		data  []byte
	}
	var answers []answer
	for _, ip := range w.ips {
		r, err := b.IP(ctx, ip, report.AllIPSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		data, err := render.IPJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		r.Release()
		answers = append(answers, answer{"address " + ip.String(), data})
	}
	for _, n := range w.names {
		r, err := b.Domain(ctx, n, report.AllDomainSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		data, err := render.DomainJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, answer{"domain " + n, data})
	}
	for _, u := range w.urls {
		r, err := b.URL(ctx, u, report.AllURLSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		data, err := render.URLJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, answer{"url " + u, data})
	}
	for _, h := range w.md5s {
		r, err := b.File(ctx, h, report.AllFileSections, 100)
		if err != nil {
			t.Fatal(err)
		}
		data, err := render.FileJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, answer{"file " + h, data})
	}

	checked, floors := map[string]int{}, 0
	for _, a := range answers {
		items, masks := collect(t, a.where, a.data)
		for _, it := range items {
			o := lookup(it.kind, it.key)
			checked[it.kind]++
			if it.zone != o.zone {
				t.Errorf("%s: %s %s shown %s, its own lookup %s", it.where, it.kind, it.key, it.zone, o.zone)
			}
			if it.score != nil && *it.score != o.score {
				t.Errorf("%s: address %s shown with score %d, its own lookup %d", it.where, it.key, *it.score, o.score)
			}
			// The rules that set a zone whatever the evidence are named,
			// and the zone shown is theirs.
			switch {
			case slices.Contains(o.rules, score.RuleReserved):
				checked["reserved"]++
				if it.zone != intel.ZoneGrey || (it.score != nil && *it.score != 0) {
					t.Errorf("%s: special-purpose address %s shown %s, want Grey and 0", it.where, it.key, it.zone)
				}
			case it.kind != "file" && (slices.Contains(o.rules, score.RuleAllowList) || slices.Contains(o.rules, score.RuleKnownBenign)):
				checked["allow-listed"]++
				if it.zone != intel.ZoneGreen && it.kind != "url" {
					t.Errorf("%s: allow-listed %s %s shown %s, want Green", it.where, it.kind, it.key, it.zone)
				}
			}
		}
		// A mask and what it names or covers, side by side in one answer.
		for _, m := range masks {
			for _, it := range items {
				var floor, allowable bool
				switch {
				case it.kind == "domain" && m.typ == intel.MaskHost:
					floor, allowable = it.key == m.mask, true
				case it.kind == "url" && m.typ == intel.MaskHost:
					floor, allowable = intel.URLHost(it.key) == m.mask, true
				case it.kind == "url" && m.typ == intel.MaskURLPrefix:
					floor = strings.HasPrefix(it.key, m.mask)
				case it.kind == "url" && m.typ == intel.MaskURL:
					floor = it.key == m.mask
				}
				if !floor || intel.MaxZone(it.zone, m.zone) == it.zone {
					continue
				}
				floors++
				o := lookup(it.kind, it.key)
				named := slices.Contains(o.rules, score.RuleAllowList) || slices.Contains(o.rules, score.RuleKnownBenign)
				if !allowable || !named || !slices.Contains(o.rules, score.RuleSuppressed) {
					t.Errorf("%s: %s %s shown %s under the %s mask %s (%s), and its explanation names no allow list that overrides it (rules %v)",
						it.where, it.kind, it.key, it.zone, m.typ, m.mask, m.zone, o.rules)
				}
			}
		}
	}
	for _, kind := range []string{"address", "domain", "url", "file"} {
		if checked[kind] == 0 {
			t.Errorf("no %s shown in a list", kind)
		}
	}
	t.Logf("%d answers; list items checked: %v; masks overridden by an allow list: %d", len(answers), checked, floors)
	checked["floors"] = floors
	return checked
}

// openWorld applies the world to st and returns a Builder on it at the
// world's time.
func openWorld(t *testing.T, st store.Intel, w world, verdicts bool) *report.Builder {
	t.Helper()
	ctx := context.Background()
	if err := st.Apply(ctx, w.batch); err != nil {
		t.Fatal(err)
	}
	h := netdata.NewHolder()
	if err := h.Refresh(ctx, st, true); err != nil {
		t.Fatal(err)
	}
	b := &report.Builder{Store: st, Net: h, Now: func() time.Time { return worldNow }}
	if verdicts {
		b.Verdicts = report.NewVerdicts(0)
	}
	return b
}

// TestAnswersConsistent is the property on random worlds of several
// seeds, on the reference store with and without kept verdicts, and on
// Pebble.
func TestAnswersConsistent(t *testing.T) {
	total := map[string]int{}
	for seed := range uint64(8) {
		for _, verdicts := range []bool{false, true} {
			t.Run(fmt.Sprintf("mem/seed=%d/kept=%v", seed, verdicts), func(t *testing.T) {
				w := randomWorld(seed)
				for k, n := range checkConsistency(t, openWorld(t, mem.New(), w, verdicts), w) {
					total[k] += n
				}
			})
		}
	}
	if len(total) > 0 && (total["reserved"] == 0 || total["allow-listed"] == 0 || total["floors"] == 0) {
		t.Errorf("the worlds showed %d special-purpose addresses, %d allow-listed objects, %d masks an allow list overrides; want some of each",
			total["reserved"], total["allow-listed"], total["floors"])
	}
	// Pebble's address lists live in memory reused by the next read: kept
	// verdicts must not keep their strings.
	for seed := range uint64(4) {
		for _, verdicts := range []bool{false, true} {
			if !verdicts && seed > 0 {
				continue
			}
			t.Run(fmt.Sprintf("pebble/seed=%d/kept=%v", seed, verdicts), func(t *testing.T) {
				st, err := pebble.Open(t.TempDir(), pebble.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				w := randomWorld(seed)
				checkConsistency(t, openWorld(t, st, w, verdicts), w)
			})
		}
	}
}

// TestDemoWorldConsistent is the property on the demo world (the world
// `tipd demo` imports, at its size; a fiftieth with -short),
// imported from its jsonl through the importer: the objects the demo
// prints as examples and the first objects its records name are looked
// up, then every object their answers show.
func TestDemoWorldConsistent(t *testing.T) {
	size := gen.DefaultSize // the demo world
	if testing.Short() {
		size = gen.DefaultSize / 50
	}
	// TIPD_CONSISTENCY_SIZE runs it on a larger world (docs/scoring.md:
	// 100000, the size of `tipd gen -size 100000`).
	if v := os.Getenv("TIPD_CONSISTENCY_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > gen.MaxSize {
			t.Fatalf("TIPD_CONSISTENCY_SIZE %q is not a world size", v)
		}
		size = n
	}
	var data bytes.Buffer
	ex, objs, err := gen.WriteWorld(&data, gen.Options{Size: size, Seed: 1, Now: worldNow})
	if err != nil {
		t.Fatal(err)
	}
	w := world{batch: &intel.Batch{}}
	// Besides the examples, the objects the world's records name (at most
	// maxPerKind of each kind, in the order of the file).
	const maxPerKind = 150
	seen := map[string]bool{}
	for line := range bytes.Lines(data.Bytes()) {
		var rec struct{ IP, Domain, URL, MD5 string }
		if json.Unmarshal(line, &rec) != nil {
			continue
		}
		add := func(list *[]string, v string) {
			if v != "" && !seen[v] && len(*list) < maxPerKind {
				seen[v] = true
				*list = append(*list, v)
			}
		}
		if a, err := netip.ParseAddr(rec.IP); err == nil && !seen[rec.IP] && len(w.ips) < maxPerKind {
			seen[rec.IP] = true
			w.ips = append(w.ips, a)
		}
		add(&w.names, rec.Domain)
		add(&w.urls, rec.URL)
		add(&w.md5s, strings.ToUpper(rec.MD5))
	}
	st := mem.New()
	o := importer.Options{File: gen.WorldFile, Now: func() time.Time { return worldNow }}
	sum, err := importer.Import(context.Background(), st, &data, func() importer.Parser { return jsonl.New(o.ParserConfig()) }, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 0 {
		t.Fatalf("import: %d bad lines %v", sum.Skipped, sum.Bad)
	}
	for _, ips := range ex {
		w.ips = append(w.ips, ips...)
	}
	for _, v := range objs.Domains {
		w.names = append(w.names, v...)
	}
	for _, v := range objs.URLs {
		w.urls = append(w.urls, v...)
	}
	for _, v := range objs.Hashes {
		w.md5s = append(w.md5s, v...)
	}
	for _, verdicts := range []bool{false, true} {
		t.Run(fmt.Sprintf("kept=%v", verdicts), func(t *testing.T) {
			checkConsistency(t, openWorld(t, st, w, verdicts), w)
		})
	}
}
