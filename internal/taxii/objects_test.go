package taxii

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// Files of the object world.
const (
	redMD5    = "0F343B0931126A20F133D67C2B018A3B"
	redSHA256 = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
	greyMD5   = "5D41402ABC4B2A76B9719D911017C592"
)

// objectWorld is the world with domain and file records applied after it
// in two more batches: the first lists a Red and an Orange domain, a Grey
// one, a Red file (by a detection of its MD5 and its hashes) and a Grey
// file, and hosts a Grey web address; the second lists that web address
// as a botnet controller and malware (object records alone turn it Red).
type objectWorld struct {
	*world
	stamps map[string]time.Time // by "kind key" of the object change order
}

func newObjectWorld(t *testing.T) *objectWorld {
	t.Helper()
	w := &objectWorld{world: newWorld(t), stamps: map[string]time.Time{}}
	seen := now.Add(-24 * time.Hour)
	src := intel.Source{Feed: "test"}
	listing := func(kind intel.ObjectKind, key string, c intel.Category) intel.ObjectListing {
		return intel.ObjectListing{Kind: kind, Key: key, Category: c, Feed: "F", FirstSeen: seen, LastSeen: seen, Source: src}
	}
	for _, b := range []*intel.Batch{{
		ObjectListings: []intel.ObjectListing{
			listing(intel.ObjectHost, "c2.bad.example", intel.CatBotnetCNC),
			listing(intel.ObjectHost, "c2.bad.example", intel.CatMalware),
			listing(intel.ObjectHost, "spam.bad.example", intel.CatSpam),
		},
		Links: []intel.Link{
			{List: intel.LinkHostIPv4, Owner: "quiet.example", Item: "45.95.9.9", Hits: 2, FirstSeen: seen, LastSeen: seen, Source: src},
			{List: intel.LinkDetections, Owner: redMD5, Item: "HEUR:Backdoor.Linux.Mirai.b", Zone: intel.DetectionZone("HEUR:Backdoor.Linux.Mirai.b"),
				FirstSeen: seen, LastSeen: seen, Source: src},
		},
		ObjectInfos: []intel.ObjectInfo{{Kind: intel.ObjectFile, Key: greyMD5, Hits: 1, FirstSeen: seen, LastSeen: seen, Source: src}},
		FileHashes:  []intel.FileHashes{{MD5: redMD5, SHA256: redSHA256, Source: src}},
		HostedURLs: []intel.HostedURL{{IP: addr(200), URL: "calm.example/login", Zone: intel.ZoneGrey, Hits: 1,
			FirstSeen: seen, LastSeen: seen, Source: src}},
	}, {
		ObjectListings: []intel.ObjectListing{listing(intel.ObjectURL, "calm.example/login", intel.CatBotnetCNC),
			listing(intel.ObjectURL, "calm.example/login", intel.CatMalware)},
	}} {
		if err := w.st.Apply(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	l, err := w.st.Changes(context.Background(), store.ChangedObjects, store.Change{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range l {
		w.stamps[c.Kind.String()+" "+c.Key] = c.At
	}
	return w
}

var (
	redDomain    = "[domain-name:value = 'c2.bad.example']"
	orangeDomain = "[domain-name:value = 'spam.bad.example']"
	redFile      = "[file:hashes.'SHA-256' = '32bf9bfa0e40fe005f9b4ae4d242d65191c6847282e5bcb2c95d8c1892e91771']"
	calmURL      = "[url:value = 'http://calm.example/login']"
)

func TestObjectCollectionsHoldTheirZones(t *testing.T) {
	w := newObjectWorld(t)
	for _, tc := range []struct {
		col  string
		want []string
	}{
		{"domains", []string{redDomain, orangeDomain}},
		// The file has an entry under its MD5 and one under its SHA-256
		// of the same stamp: its objects come once, from the SHA-256's.
		// The web address has one entry of the web addresses and one of
		// the objects, of two stamps (two changes).
		{"files", []string{redFile}},
		{"malicious-urls", append(urlPatterns(w.urls), calmURL, calmURL)},
		{"indicators", append(append(ipPatterns(w.red, w.orange), urlPatterns(w.urls)...),
			redDomain, orangeDomain, redFile, calmURL, calmURL)},
		{"ip-red", ipPatterns(w.red)},
	} {
		slices.Sort(tc.want)
		objs, _ := w.all(t, tc.col, 1000, nil)
		if got := patternsOf(objs); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.col, got, tc.want)
		}
		if len(objs) == 0 || objs[0].Type != "identity" || len(objs) != 1+3*len(tc.want) {
			t.Errorf("%s: %d objects, want the identity and 3 per indicator", tc.col, len(objs))
		}
	}
}

type manifestEntry struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
}

func (w *objectWorld) manifest(t *testing.T, col, query string) []manifestEntry {
	t.Helper()
	resp, err := w.get(t, "api/collections/"+col+"/manifest/", query)
	if err != nil {
		t.Fatalf("manifest %s?%s: %v", col, query, err)
	}
	var m struct {
		Objects []manifestEntry `json:"objects"`
	}
	if err := json.Unmarshal(resp.Body, &m); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	return m.Objects
}

// The objects of a domain, file or web address entry are dated by the
// entry's stamp in the object change order, and the objects have the
// ids of the lookups' STIX objects.
func TestObjectEntriesDates(t *testing.T) {
	w := newObjectWorld(t)
	stamp := func(key string) string {
		at, ok := w.stamps[key]
		if !ok {
			t.Fatalf("no object change %q in %v", key, w.stamps)
		}
		return at.Format(stampLayout)
	}
	objs, _ := w.all(t, "indicators", 1000, nil)
	ids := map[string]string{} // pattern -> indicator id
	for _, o := range objs {
		if o.Type == "indicator" {
			ids[o.Pattern] = o.ID
		}
	}
	added := map[string]string{}
	for _, m := range w.manifest(t, "indicators", "limit=1000&match[type]=indicator") {
		added[m.ID] = m.DateAdded
	}
	for _, tc := range []struct{ pattern, id, stamp string }{
		{redDomain, "indicator--", stamp("host c2.bad.example")},
		{orangeDomain, "indicator--", stamp("host spam.bad.example")},
		// The file is an entry under each hash of its records, of one
		// stamp: it is rendered from its SHA-256's, and dated by it.
		{redFile, "indicator--", stamp("file " + redSHA256)},
		// Turned Red by its own object record: dated by that record.
		{calmURL, "indicator--", stamp("url calm.example/login")},
	} {
		id := ids[tc.pattern]
		if len(id) < len(tc.id) || id[:len(tc.id)] != tc.id {
			t.Errorf("%s: id %q", tc.pattern, id)
		}
		if got := added[id]; got != tc.stamp {
			t.Errorf("%s: date_added %s, want %s", tc.pattern, got, tc.stamp)
		}
	}
	if stamp("url calm.example/login") <= stamp("host c2.bad.example") {
		t.Errorf("the second object batch is not stamped later")
	}

	// added_after the first object batch: what the second one changed.
	env := w.page(t, "indicators", "added_after="+url.QueryEscape(stamp("host c2.bad.example")))
	if got := patternsOf(env.Objects); !slices.Equal(got, []string{calmURL}) {
		t.Errorf("added_after the first object batch: %v, want %v", got, []string{calmURL})
	}
	// added_after the last address batch: only objects.
	var lastAddr time.Time
	l, err := w.st.Changes(context.Background(), store.ChangedURLs, store.Change{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range l {
		if c.URL != "calm.example/login" && c.At.After(lastAddr) {
			lastAddr = c.At
		}
	}
	env = w.page(t, "indicators", "limit=1000&added_after="+url.QueryEscape(lastAddr.Format(stampLayout)))
	want := sorted([]string{redDomain, orangeDomain, redFile, calmURL, calmURL})
	if got := patternsOf(env.Objects); !slices.Equal(got, want) {
		t.Errorf("added_after the address batches:\n got %v\nwant %v", got, want)
	}
}

// Paging by every limit across addresses, web addresses and objects
// gives the objects of one page, and a small scan budget does too.
func TestObjectPaging(t *testing.T) {
	w := newObjectWorld(t)
	whole, _ := w.all(t, "indicators", 1000, nil)
	for limit := 1; limit <= 7; limit++ {
		got, pages := w.all(t, "indicators", limit, nil)
		if !slices.Equal(got, whole) {
			t.Errorf("limit %d: objects differ from one page", limit)
		}
		if want := (len(whole) + limit - 1) / limit; pages != want {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, want)
		}
	}
	for _, col := range []string{"indicators", "domains", "files"} {
		want, _ := w.all(t, col, 1000, nil)
		w.srv.MaxScan = 2
		got, _ := w.all(t, col, 3, nil)
		w.srv.MaxScan = 0
		if !slices.Equal(got, want) {
			t.Errorf("%s with scan budget 2: objects differ:\n%v\n%v", col, got, want)
		}
	}
}

// A held web address is left out of its object entries too.
func TestHeldWebAddressObjectEntry(t *testing.T) {
	w := newObjectWorld(t)
	w.srv.Held = func(_ context.Context, q intel.HoldQuery) (bool, error) {
		return q.URL == "calm.example/login", nil
	}
	objs, _ := w.all(t, "malicious-urls", 1000, nil)
	if got, want := patternsOf(objs), urlPatterns(w.urls); !slices.Equal(got, want) {
		t.Errorf("with a hold: %v, want %v", got, want)
	}
	objs, _ = w.all(t, "indicators", 1000, nil)
	if got := patternsOf(objs); slices.Contains(got, calmURL) || !slices.Contains(got, redDomain) {
		t.Errorf("indicators with a hold: %v, want no %s and the rest", got, calmURL)
	}
}

// Held names and files are left out of the domain, file and indicator
// collections.
func TestHeldDomainAndFile(t *testing.T) {
	w := newObjectWorld(t)
	w.srv.Held = func(_ context.Context, q intel.HoldQuery) (bool, error) {
		// access.Held resolves a file's other hashes; so does this stand-in.
		return q.Domain == "c2.bad.example" || slices.Contains(q.Hashes, redSHA256) || slices.Contains(q.Hashes, redMD5), nil
	}
	objs, _ := w.all(t, "domains", 1000, nil)
	if got := patternsOf(objs); !slices.Equal(got, []string{orangeDomain}) {
		t.Errorf("domains with the red one held: got %v, want only %s", got, orangeDomain)
	}
	objs, _ = w.all(t, "indicators", 1000, nil)
	if got := patternsOf(objs); slices.Contains(got, redDomain) || slices.Contains(got, redFile) || !slices.Contains(got, orangeDomain) {
		t.Errorf("indicators with a domain and a file held: %v, want neither and the rest", got)
	}
}

// A web address whose address records and object records change in one
// batch is one entry, and the owner of a match key (the web addresses
// under it) is none: every web address has one indicator per change.
func TestWebAddressEntriesOnce(t *testing.T) {
	w := newWorld(t)
	seen := now.Add(-24 * time.Hour)
	src := intel.Source{Feed: "test"}
	b := &intel.Batch{
		HostedURLs: []intel.HostedURL{
			{IP: addr(210), URL: "same.example/x", Zone: intel.ZoneRed, Hits: 1, FirstSeen: seen, LastSeen: seen, Source: src},
			{IP: addr(211), URL: "www.variant.example/Path/", Zone: intel.ZoneRed, Hits: 1, FirstSeen: seen, LastSeen: seen, Source: src},
		},
		ObjectListings: []intel.ObjectListing{{Kind: intel.ObjectURL, Key: "same.example/x", Category: intel.CatMalware, Feed: "F",
			FirstSeen: seen, LastSeen: seen, Source: src}},
	}
	b.AddObjects()
	if err := w.st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	l, err := w.st.Changes(context.Background(), store.ChangedObjects, store.Change{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var urlObjs []string
	for _, c := range l {
		if c.Kind == intel.ObjectURL {
			urlObjs = append(urlObjs, c.Key)
		}
	}
	if want := []string{"same.example/x", "variant.example/path"}; !slices.Equal(urlObjs, want) {
		t.Fatalf("web address objects changed: %v, want %v", urlObjs, want)
	}
	objs, _ := w.all(t, "malicious-urls", 1000, nil)
	want := sorted(append(urlPatterns(w.urls), "[url:value = 'http://same.example/x']", "[url:value = 'http://www.variant.example/Path/']"))
	if got := patternsOf(objs); !slices.Equal(got, want) {
		t.Errorf("malicious-urls:\n got %v\nwant %v", got, want)
	}
}

func TestKeyBefore(t *testing.T) {
	for _, tc := range []struct {
		key, want string
		ok        bool
	}{
		{"a.example/x", "a.example/w\U0010FFFF", true},
		{"a.example/!", "a.example/ \U0010FFFF", true},
		{"a.example/ ", "", false},
		{"", "", false},
		{"a.example/\x7f", "", false},
	} {
		got, ok := keyBefore(tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("keyBefore(%q): got %q %v, want %q %v", tc.key, got, ok, tc.want, tc.ok)
		}
		if ok && !(got < tc.key) {
			t.Errorf("keyBefore(%q) = %q does not sort before it", tc.key, got)
		}
	}
}

// A file's objects come once per stamp of its entries: once for the
// record that tied its hashes, and again when a later record changes one
// of its hashes only (a change of its own, after the first).
func TestFileEntriesOncePerStamp(t *testing.T) {
	w := newObjectWorld(t)
	if objs, _ := w.all(t, "files", 1000, nil); !slices.Equal(patternsOf(objs), []string{redFile}) {
		t.Fatalf("files: %v, want the file once", patternsOf(objs))
	}
	seen := now.Add(-2 * time.Hour)
	b := &intel.Batch{Links: []intel.Link{{List: intel.LinkDetections, Owner: redMD5, Item: "HEUR:Trojan.Win32.Generic",
		Zone: intel.DetectionZone("HEUR:Trojan.Win32.Generic"), FirstSeen: seen, LastSeen: seen, Source: intel.Source{Feed: "test"}}}}
	if err := w.st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	objs, _ := w.all(t, "files", 1000, nil)
	if got := patternsOf(objs); !slices.Equal(got, []string{redFile, redFile}) {
		t.Errorf("files after a change of the MD5 alone: %v, want the file under each of its two stamps", got)
	}
	env := w.page(t, "files", "added_after="+url.QueryEscape(w.stamps["file "+redSHA256].Format(stampLayout)))
	if got := patternsOf(env.Objects); !slices.Equal(got, []string{redFile}) {
		t.Errorf("files added after the first object batch: %v, want the file once", got)
	}
}
