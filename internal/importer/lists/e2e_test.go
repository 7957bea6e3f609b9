package lists_test

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/importer/lists"
	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// resolutions are the passive DNS the fixtures' domains need.
const resolutions = `{"kind":"resolution","domain":"login.secure-bank.test","ip":"91.215.85.40","first_seen":"2026-11-01","last_seen":"2026-11-27"}
{"kind":"resolution","domain":"login.secure-bank.test","ip":"2a0e:9b40::40","first_seen":"2026-11-01","last_seen":"2026-11-27"}
{"kind":"resolution","domain":"secure-paypa1.test","ip":"91.215.85.41","first_seen":"2026-11-20","last_seen":"2026-11-27"}
`

func withDNS(t *testing.T) *importtest.World {
	t.Helper()
	w := importtest.NewWorld()
	path := filepath.Join(t.TempDir(), "dns.jsonl")
	if err := os.WriteFile(path, []byte(resolutions), 0o644); err != nil {
		t.Fatal(err)
	}
	w.Import(t, path, func() importer.Parser { return jsonl.New(importer.ParserConfig{}) }, importer.Options{})
	return w
}

func cats(r importtest.TIPReport) string { return strings.Join(r.IpGeneralInfo.Categories, ",") }

func TestDROPEndToEnd(t *testing.T) {
	for _, name := range []string{"drop.txt", "drop.json"} {
		t.Run(name, func(t *testing.T) {
			w := importtest.NewWorld()
			o := importer.Options{}
			mk := func() importer.Parser { return lists.NewDROP(o.ParserConfig()) }
			path := filepath.Join("testdata", name)
			if sum := w.Import(t, path, mk, o); sum.Read < 4 || sum.Skipped != 0 {
				t.Errorf("got %s, want 4 networks read, none skipped", sum)
			}
			for _, ip := range []string{"46.36.201.7", "2a0e:9b00:1::1"} {
				r, _ := w.TIP(t, ip)
				if r.Zone != "Orange" || cats(r) != "CATEGORY_BAD_REPUTATION" {
					t.Errorf("%s: got zone %s categories %s, want Orange, bad reputation", ip, r.Zone, cats(r))
				}
				if len(r.FeedMasks) != 1 || r.FeedMasks[0].MaskType != "Network" || strings.Join(r.FeedMasks[0].FeedNames, ",") != lists.FeedDROP {
					t.Errorf("%s: got feed masks %+v, want one Network mask of %s", ip, r.FeedMasks, lists.FeedDROP)
				}
			}
			r, _ := w.TIP(t, "46.36.201.7")
			if r.FeedMasks[0].NormalizedMask != "46.36.200.0/22" || r.FeedMasks[0].Zone != "Orange" {
				t.Errorf("got mask %+v, want 46.36.200.0/22 Orange", r.FeedMasks[0])
			}
			if r, _ := w.TIP(t, "46.36.204.1"); r.Zone != "Grey" || len(r.FeedMasks) != 0 {
				t.Errorf("46.36.204.1 (outside): got zone %s masks %+v, want Grey, none", r.Zone, r.FeedMasks)
			}
			ips := []string{"46.36.201.7", "77.90.130.1", "185.99.16.200", "2a0e:9b00:1::1"}
			before := w.Snapshot(t, ips...)
			w.Import(t, importtest.Gzip(t, path), mk, o)
			importtest.SameSnapshots(t, before, w.Snapshot(t, ips...))
		})
	}
}

func TestIPSetEndToEnd(t *testing.T) {
	w := importtest.NewWorld()
	o := importer.Options{Feed: "Example Level 1", Category: intel.CatBadReputation}
	mk := func() importer.Parser { return lists.NewIPSet(o.ParserConfig()) }
	path := filepath.Join("testdata", "firehol.netset")
	if sum := w.Import(t, path, mk, o); sum.Read != 5 || sum.Skipped != 0 {
		t.Errorf("got %s, want 5 read, none skipped (10.0.0.0/8 included)", sum)
	}
	// Private space is kept but never shown: the address is Reserved.
	r, _ := w.TIP(t, "10.1.2.3")
	if r.Zone != "Grey" || r.IpGeneralInfo.Status != "Reserved" || len(r.IpGeneralInfo.Categories) != 0 || len(r.FeedMasks) != 0 {
		t.Errorf("10.1.2.3: got zone %s status %s categories %v masks %v, want Grey, Reserved, nothing", r.Zone, r.IpGeneralInfo.Status, r.IpGeneralInfo.Categories, r.FeedMasks)
	}
	r, _ = w.TIP(t, "46.36.202.9")
	if r.Zone != "Orange" || cats(r) != "CATEGORY_BAD_REPUTATION" || len(r.FeedMasks) != 1 ||
		r.FeedMasks[0].NormalizedMask != "46.36.200.0/22" || strings.Join(r.FeedMasks[0].FeedNames, ",") != "Example Level 1" {
		t.Errorf("46.36.202.9: got zone %s categories %s masks %+v", r.Zone, cats(r), r.FeedMasks)
	}
	r, _ = w.TIP(t, "77.90.140.7")
	if r.Zone != "Orange" || cats(r) != "CATEGORY_BAD_REPUTATION" || len(r.FeedMasks) != 0 {
		t.Errorf("77.90.140.7 (single address): got zone %s categories %s masks %+v, want a listing, no network mask", r.Zone, cats(r), r.FeedMasks)
	}
	ips := []string{"10.1.2.3", "46.36.202.9", "77.90.140.7", "85.209.11.0", "2a0e:9b40:5::5"}
	before := w.Snapshot(t, ips...)
	w.Import(t, importtest.Gzip(t, path), mk, o)
	importtest.SameSnapshots(t, before, w.Snapshot(t, ips...))
}

func TestOpenPhishEndToEnd(t *testing.T) {
	w := withDNS(t)
	o := importer.Options{}
	mk := func() importer.Parser { return lists.NewOpenPhish(o.ParserConfig()) }
	path := filepath.Join("testdata", "openphish.txt")
	if sum := w.Import(t, path, mk, o); sum.Read != 4 || sum.Skipped != 0 || sum.Unplaced != 0 {
		t.Errorf("got %s, want 4 read, none skipped or unplaced", sum)
	}
	root := filepath.Join(t.TempDir(), "root.txt")
	if err := os.WriteFile(root, []byte("https://Secure-Paypa1.test/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.Import(t, root, mk, o)
	// The URL and domain lookups: a phishing page deep in a site lists the
	// web address only; a site's root lists its host too.
	phishing := []intel.Category{intel.CatPhishing}
	for _, key := range []string{"login.secure-bank.test/verify/account.php", "secure-paypa1.test", "91.215.85.10/paypal.example/signin/"} {
		if got := importtest.Categories(w.Object(t, intel.ObjectURL, key)); !slices.Equal(got, phishing) {
			t.Errorf("%s: got categories %v, want phishing", key, got)
		}
	}
	if got := w.Object(t, intel.ObjectHost, "login.secure-bank.test"); len(got.Listings) != 0 {
		t.Errorf("login.secure-bank.test: got listings %+v, want none", got.Listings)
	}
	if got := w.Object(t, intel.ObjectHost, "secure-paypa1.test"); !importtest.HasListing(got, intel.CatPhishing, lists.FeedOpenPhish) {
		t.Errorf("secure-paypa1.test: got listings %+v, want phishing by OpenPhish", got.Listings)
	}
	// The list has no dates: its listings are dated by the minute of the
	// import (the version of the feed imported then lists them), so they
	// weigh as fresh evidence: the address is Red, its web address Red,
	// shown dated by that minute.
	r, _ := w.TIP(t, "91.215.85.10")
	if r.Zone != "Red" || cats(r) != "CATEGORY_PHISHING" || !r.RelatedObjects.HasRedZone || len(r.HostedUrls) != 1 ||
		r.HostedUrls[0].Zone != "Red" || r.HostedUrls[0].Url != "91.215.85.10/paypal.example/signin/" ||
		r.HostedUrls[0].IsUrlTruncated || importtest.Str(r.HostedUrls[0].FirstSeen) == "null" ||
		importtest.Str(r.HostedUrls[0].FirstSeen) != importtest.Str(r.HostedUrls[0].LastSeen) {
		t.Errorf("91.215.85.10: got zone %s categories %s URLs %+v", r.Zone, cats(r), r.HostedUrls)
	}
	if len(r.FeedMasks) != 1 || r.FeedMasks[0].MaskType != "UrlPrefix" || strings.Join(r.FeedMasks[0].FeedNames, ",") != lists.MaskFeedPhishing {
		t.Errorf("91.215.85.10: got masks %+v", r.FeedMasks)
	}
	r, _ = w.TIP(t, "91.215.85.11")
	if len(r.HostedUrls) != 1 || !r.HostedUrls[0].IsUrlTruncated || r.HostedUrls[0].Url != "91.215.85.11/~user/webmail/index.html" || len(r.FeedMasks) != 0 {
		t.Errorf("91.215.85.11: got URLs %+v masks %+v, want the session cut, flagged, no mask", r.HostedUrls, r.FeedMasks)
	}
	// A domain's web address lands on every address it resolved to.
	for _, ip := range []string{"91.215.85.40", "2a0e:9b40::40"} {
		r, _ = w.TIP(t, ip)
		if len(r.HostedUrls) != 1 || r.HostedUrls[0].Url != "login.secure-bank.test/verify/account.php" || len(r.FeedMasks) != 1 || !r.RelatedObjects.HasRedZone {
			t.Errorf("%s: got URLs %+v masks %+v", ip, r.HostedUrls, r.FeedMasks)
		}
	}
	ips := []string{"91.215.85.10", "91.215.85.11", "91.215.85.40", "2a0e:9b40::22"}
	before := w.Snapshot(t, ips...)
	w.Import(t, importtest.Gzip(t, path), mk, o)
	importtest.SameSnapshots(t, before, w.Snapshot(t, ips...))
}

func TestPhishTankEndToEnd(t *testing.T) {
	w := withDNS(t)
	o := importer.Options{}
	mk := func() importer.Parser { return lists.NewPhishTank(o.ParserConfig()) }
	path := filepath.Join("testdata", "phishtank.csv")
	sum := w.Import(t, path, mk, o)
	if sum.Read != 3 || sum.Skipped != 0 || len(sum.Ignored) != 1 || sum.Ignored[0].What != lists.IgnoredUnverified {
		t.Errorf("got %s, want 3 read and the unverified entry ignored", sum)
	}
	r, _ := w.TIP(t, "91.215.85.10")
	if r.Zone != "Red" || !strings.Contains(cats(r), "CATEGORY_PHISHING") || len(r.HostedUrls) != 1 ||
		importtest.Str(r.HostedUrls[0].FirstSeen) != "2026-11-25T10:00Z" {
		t.Errorf("91.215.85.10: got zone %s categories %s URLs %+v", r.Zone, cats(r), r.HostedUrls)
	}
	p := r.IPPhishingInfo
	if p.PhishingAttacks != 1 || importtest.Str(p.LastAttackDate) != "2026-11-25T10:00:00Z" || strings.Join(p.AttackedOrganization, "|") != "Example Bank" {
		t.Errorf("91.215.85.10: got phishing info %+v, want 1 attack on Example Bank", p)
	}
	// Offline: the web address is kept Orange, without a mask.
	r, _ = w.TIP(t, "91.215.85.13")
	if len(r.HostedUrls) != 1 || r.HostedUrls[0].Zone != "Orange" || r.HostedUrls[0].Url != "91.215.85.13/a,b/login.html" || len(r.FeedMasks) != 0 ||
		strings.Join(r.IPPhishingInfo.AttackedOrganization, "|") != "Example Mail, Inc." {
		t.Errorf("91.215.85.13: got URLs %+v masks %+v phishing %+v", r.HostedUrls, r.FeedMasks, r.IPPhishingInfo)
	}
	// On a domain: the event reaches every address it resolved to; target
	// "Other" names no organisation.
	for _, ip := range []string{"91.215.85.40", "2a0e:9b40::40"} {
		r, _ = w.TIP(t, ip)
		if r.IPPhishingInfo.PhishingAttacks != 1 || len(r.IPPhishingInfo.AttackedOrganization) != 0 || len(r.HostedUrls) != 1 {
			t.Errorf("%s: got phishing %+v URLs %+v, want one attack without organisation", ip, r.IPPhishingInfo, r.HostedUrls)
		}
	}
	if r, _ = w.TIP(t, "91.215.85.14"); len(r.HostedUrls) != 0 || r.Zone != "Grey" {
		t.Errorf("91.215.85.14 (not verified): got zone %s URLs %+v, want nothing", r.Zone, r.HostedUrls)
	}
	// The URL lookup: verified entries are phishing web addresses, online
	// or not; the unverified one is unknown.
	for key, want := range map[string]int{"91.215.85.13/a,b/login.html": 1, "login.secure-bank.test/verify/account.php": 1, "91.215.85.14/x": 0} {
		u := w.Object(t, intel.ObjectURL, key)
		if len(u.Listings) != want || want > 0 && (u.Listings[0].Category != intel.CatPhishing || u.Listings[0].Feed != lists.FeedPhishTank) {
			t.Errorf("%s: got listings %+v, want %d phishing by PhishTank", key, u.Listings, want)
		}
	}
	ips := []string{"91.215.85.10", "91.215.85.13", "91.215.85.40", "2a0e:9b40::40"}
	before := w.Snapshot(t, ips...)
	w.Import(t, importtest.Gzip(t, path), mk, o)
	importtest.SameSnapshots(t, before, w.Snapshot(t, ips...))
}

// TestFeedVersionsDateListings: a list without dates is dated by its
// imports. Each version imported lists its entries as seen then; an entry
// a newer version no longer holds keeps the last version's date and decays
// from there, while the entries still listed are fresh.
func TestFeedVersionsDateListings(t *testing.T) {
	w := importtest.NewWorld()
	o := importer.Options{Feed: "Example Plain List", Category: intel.CatBadReputation}
	mk := func() importer.Parser { return lists.NewIPSet(o.ParserConfig()) }
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := importtest.Now.AddDate(0, 0, -30).Add(17 * time.Second)
	o.Now = func() time.Time { return first }
	w.Import(t, write("v1.txt", "77.90.140.201\n77.90.140.202\n"), mk, o)
	o.Now = func() time.Time { return importtest.Now }
	w.Import(t, write("v2.txt", "77.90.140.201\n"), mk, o)

	firstMinute := first.Truncate(time.Minute)
	// The feed's latest version is the second import's minute.
	vers, err := store.FeedVersions(t.Context(), w.Store)
	if err != nil {
		t.Fatal(err)
	}
	if len(vers) != 1 || !vers["Example Plain List"].Equal(importtest.Now.Truncate(time.Minute)) {
		t.Errorf("feed versions %v, want Example Plain List at %s", vers, importtest.Now.Truncate(time.Minute))
	}
	for _, tc := range []struct {
		ip          string
		first, last time.Time
		score       int
		zone        string
	}{
		{"77.90.140.201", firstMinute, importtest.Now, 65, "Orange"}, // still listed: fresh
		{"77.90.140.202", firstMinute, firstMinute, 52, "Orange"},    // no longer listed: 65 × 2^(-30/90)
	} {
		e := w.Explain(t, tc.ip)
		if len(e.Summary.Listings) != 1 {
			t.Fatalf("%s: got listings %+v, want one", tc.ip, e.Summary.Listings)
		}
		l := e.Summary.Listings[0]
		if !l.FirstSeen.Equal(tc.first) || !l.LastSeen.Equal(tc.last) {
			t.Errorf("%s: listing seen %s – %s, want %s – %s", tc.ip, l.FirstSeen, l.LastSeen, tc.first, tc.last)
		}
		if e.Result.Score != tc.score || string(e.Result.Zone) != tc.zone {
			t.Errorf("%s: got score %d zone %s, want %d %s", tc.ip, e.Result.Score, e.Result.Zone, tc.score, tc.zone)
		}
		if c := e.Result.Contributions; len(c) == 0 || !c[0].RecencyDate.Equal(tc.last) {
			t.Errorf("%s: got contributions %+v, want the first dated %s", tc.ip, c, tc.last)
		}
		// The explanation says which listing the latest version dropped.
		d, err := w.Builder.ExplainData(t.Context(), report.ExplainTarget{Kind: report.ExplainAddress, IP: netip.MustParseAddr(tc.ip)})
		if err != nil {
			t.Fatal(err)
		}
		c := d.Evidence[0]
		dropped := tc.last.Before(importtest.Now)
		wantNote := "; not in Example Plain List's latest version (2026-11-28)"
		if dropped != !c.FeedLatestVersion.IsZero() || dropped && (!c.FeedLatestVersion.Equal(importtest.Now) || !strings.HasSuffix(c.Note, wantNote)) ||
			!dropped && strings.Contains(c.Note, "latest version") {
			t.Errorf("%s: latest version %s, note %q; dropped by the latest version: %v", tc.ip, c.FeedLatestVersion, c.Note, dropped)
		}
		js, _ := json.Marshal(d)
		if got := strings.Contains(string(js), `"FeedLatestVersion":"2026-11-28T12:00:00Z"`); got != dropped {
			t.Errorf("%s: JSON %s", tc.ip, js)
		}
	}
}
