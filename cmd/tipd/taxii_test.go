package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

const taxiiType = "application/taxii+json;version=2.1"

// taxiiGet sends a TAXII request with the TAXII Accept header.
func taxiiGet(t *testing.T, u, token string) answer {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", taxiiType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	var a answer
	a.status, a.header = resp.StatusCode, resp.Header
	a.body, err = readAll(resp)
	if err != nil {
		t.Fatal(err)
	}
	if a.status == 200 && resp.Header.Get("Content-Type") != taxiiType {
		t.Errorf("GET %s: Content-Type %q, want %q", u, resp.Header.Get("Content-Type"), taxiiType)
	}
	return a
}

func readAll(resp *http.Response) ([]byte, error) {
	var b strings.Builder
	_, err := bufio.NewReader(resp.Body).WriteTo(&b)
	return []byte(b.String()), err
}

// taxiiObject is what the test reads of a STIX object.
type taxiiObject struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Modified string `json:"modified"`
	Pattern  string `json:"pattern"`
	Value    string `json:"value"`
}

type taxiiEnvelope struct {
	More    bool          `json:"more"`
	Next    string        `json:"next"`
	Objects []taxiiObject `json:"objects"`
}

type manifestEntry struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

func decode[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, a.body)
	}
	return v
}

// pageAll follows next from the first page of u until more is false and
// returns every object and the date_added span of each page.
func pageAll(t *testing.T, u, token string, limit int, extra ...string) []taxiiObject {
	t.Helper()
	all, _ := pageAllLast(t, u, token, limit, extra...)
	return all
}

// pageAllLast is pageAll that also returns the X-TAXII-Date-Added-Last
// of the last page that had objects.
func pageAllLast(t *testing.T, u, token string, limit int, extra ...string) ([]taxiiObject, string) {
	t.Helper()
	var all []taxiiObject
	next, lastAdded := "", ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging never ended")
		}
		q := url.Values{"limit": {itoa(limit)}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		if next != "" {
			q.Set("next", next)
		}
		a := taxiiGet(t, u+"?"+q.Encode(), token)
		if a.status != 200 {
			t.Fatalf("page %d: %d %s", pages, a.status, a.body)
		}
		env := decode[taxiiEnvelope](t, a)
		if len(env.Objects) > limit {
			t.Fatalf("page %d holds %d objects, limit %d", pages, len(env.Objects), limit)
		}
		if len(env.Objects) > 0 && (a.header.Get("X-TAXII-Date-Added-First") == "" || a.header.Get("X-TAXII-Date-Added-Last") == "") {
			t.Errorf("page %d lacks the X-TAXII-Date-Added headers", pages)
		}
		all = append(all, env.Objects...)
		if len(env.Objects) > 0 {
			lastAdded = a.header.Get("X-TAXII-Date-Added-Last")
		}
		if !env.More {
			if env.Next != "" {
				t.Errorf("last page has next %q", env.Next)
			}
			return all, lastAdded
		}
		if env.Next == "" {
			t.Fatalf("page %d: more without next", pages)
		}
		next = env.Next
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func ids(objs []taxiiObject) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}

// patterns lists the indicator patterns among objs, sorted.
func patterns(objs []taxiiObject) []string {
	var out []string
	for _, o := range objs {
		if o.Type == "indicator" {
			out = append(out, o.Pattern)
		}
	}
	slices.Sort(out)
	return out
}

// zonesOf looks every address and web address of a native import file up
// through the API and returns the indicator patterns the Red and Orange
// ones should have, by zone.
func zonesOf(t *testing.T, api, token string, lookedUp map[string]taxiiObject, files ...string) (red, orange, redURLs, orangeURLs []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var rec struct{ IP, URL string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{rec.IP, rec.URL} {
				if v == "" || seen[v] {
					continue
				}
				seen[v] = true
				a := get(t, "GET", api+url.PathEscape(v)+"?sections=Zone", token)
				if a.status != 200 {
					t.Fatalf("lookup %s: %d %s", v, a.status, a.body)
				}
				zone, _ := path(a.json(t), "Zone").(string)
				// The indicator's pattern names the normalised form.
				b := get(t, "GET", api+url.PathEscape(v)+"?format=stix", token)
				var bundle struct{ Objects []taxiiObject }
				if err := json.Unmarshal(b.body, &bundle); err != nil {
					t.Fatal(err)
				}
				pattern := ""
				for _, o := range bundle.Objects {
					if o.Type == "indicator" {
						pattern = o.Pattern
						if lookedUp != nil {
							lookedUp[o.ID] = o
						}
					}
				}
				if (zone == "Red" || zone == "Orange") && pattern == "" {
					t.Fatalf("the lookup of %s (%s) has no indicator", v, zone)
				}
				switch {
				case zone == "Red" && rec.URL == v:
					redURLs = append(redURLs, pattern)
				case zone == "Orange" && rec.URL == v:
					orangeURLs = append(orangeURLs, pattern)
				case zone == "Red":
					red = append(red, pattern)
				case zone == "Orange":
					orange = append(orange, pattern)
				}
			}
		}
	}
	for _, l := range []*[]string{&red, &orange, &redURLs, &orangeURLs} {
		slices.Sort(*l)
	}
	return red, orange, redURLs, orangeURLs
}

// objectZonesOf looks up the domains (of domain and resolution records)
// and the files (MD5s of file records) of jsonl files with the domain and
// hash lookups, and returns the indicator patterns of the Red and Orange
// domains and of the Red files, recording each indicator in lookedUp.
func objectZonesOf(t *testing.T, base, token string, lookedUp map[string]taxiiObject, files ...string) (domains, hashes []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var rec struct{ Domain, MD5 string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
			for _, q := range []struct{ api, v string }{{"/api/domain/", rec.Domain}, {"/api/hash/", rec.MD5}} {
				if q.v == "" || seen[q.v] {
					continue
				}
				seen[q.v] = true
				a := get(t, "GET", base+q.api+url.PathEscape(q.v)+"?sections=Zone", token)
				if a.status != 200 {
					t.Fatalf("lookup %s: %d %s", q.v, a.status, a.body)
				}
				zone, _ := path(a.json(t), "Zone").(string)
				b := get(t, "GET", base+q.api+url.PathEscape(q.v)+"?format=stix", token)
				var bundle struct{ Objects []taxiiObject }
				if err := json.Unmarshal(b.body, &bundle); err != nil {
					t.Fatal(err)
				}
				pattern := ""
				for _, o := range bundle.Objects {
					if o.Type == "indicator" && pattern == "" {
						pattern = o.Pattern
						if lookedUp != nil {
							lookedUp[o.ID] = o
						}
					}
				}
				switch {
				case q.api == "/api/domain/" && (zone == "Red" || zone == "Orange"):
					domains = append(domains, pattern)
				case q.api == "/api/hash/" && zone == "Red":
					hashes = append(hashes, pattern)
				}
			}
		}
	}
	slices.Sort(domains)
	slices.Sort(hashes)
	return domains, hashes
}

// TestTAXIIConversation is a TAXII 2.1 client's conversation with a
// running server on a Pebble store: discovery, API root, collections,
// objects paged with limit and next until exhausted, the manifest, the
// filters, added_after after an import on the running server, and the
// errors.
func TestTAXIIConversation(t *testing.T) {
	st, tok, s := worldServer(t, "tess", "-day-quota", "100000")
	root := s.url + "/taxii2/"

	// Discovery and the API root.
	a := taxiiGet(t, root, tok)
	if a.status != 200 {
		t.Fatalf("discovery: %d %s", a.status, a.body)
	}
	disc := decode[struct {
		Title    string   `json:"title"`
		Default  string   `json:"default"`
		APIRoots []string `json:"api_roots"`
	}](t, a)
	apiRoot := s.url + "/taxii2/api/"
	if disc.Title != "tipd" || disc.Default != apiRoot || !slices.Equal(disc.APIRoots, []string{apiRoot}) {
		t.Errorf("discovery = %+v, want the API root %s", disc, apiRoot)
	}
	a = taxiiGet(t, disc.APIRoots[0], tok)
	ar := decode[struct {
		Versions []string `json:"versions"`
	}](t, a)
	if a.status != 200 || !slices.Equal(ar.Versions, []string{taxiiType}) {
		t.Errorf("API root: %d %s", a.status, a.body)
	}

	// Collections.
	a = taxiiGet(t, apiRoot+"collections/", tok)
	cols := decode[struct {
		Collections []struct {
			ID, Alias, Title string
			CanRead          bool     `json:"can_read"`
			CanWrite         bool     `json:"can_write"`
			MediaTypes       []string `json:"media_types"`
		} `json:"collections"`
	}](t, a)
	byAlias := map[string]string{}
	for _, c := range cols.Collections {
		if !c.CanRead || c.CanWrite || !slices.Equal(c.MediaTypes, []string{"application/stix+json;version=2.1"}) {
			t.Errorf("collection %+v: want read-only STIX 2.1", c)
		}
		byAlias[c.Alias] = c.ID
	}
	for _, alias := range []string{"indicators", "ip-red", "ip-orange", "malicious-urls", "domains", "files"} {
		if byAlias[alias] == "" {
			t.Fatalf("no collection %q in %s", alias, a.body)
		}
	}
	a = taxiiGet(t, apiRoot+"collections/"+byAlias["ip-red"]+"/", tok)
	if a.status != 200 || !strings.Contains(string(a.body), `"title":"IP indicators: Red"`) {
		t.Errorf("one collection: %d %s", a.status, a.body)
	}

	// What the collections must hold, from the lookup API.
	api := s.url + "/api/ip/"
	lookedUp := map[string]taxiiObject{}
	red, orange, redURLs, orangeURLs := zonesOf(t, api, tok, lookedUp, "testdata/e2e/world.jsonl")
	if len(red) == 0 || len(orange) == 0 || len(redURLs) == 0 {
		t.Fatalf("the fixture should have Red and Orange addresses and Red web addresses: %v %v %v", red, orange, redURLs)
	}
	domains, hashes := objectZonesOf(t, s.url, tok, lookedUp, "testdata/e2e/world.jsonl")
	if len(hashes) == 0 {
		t.Fatalf("the fixture should have a Red file")
	}
	objects := func(alias string) string { return apiRoot + "collections/" + byAlias[alias] + "/objects/" }

	// Objects paged two at a time until exhausted equal one big page.
	paged := pageAll(t, objects("indicators"), tok, 2)
	whole := pageAll(t, objects("indicators"), tok, 1000)
	if !slices.Equal(ids(paged), ids(whole)) {
		t.Errorf("paged by 2:\n%v\nin one page:\n%v", ids(paged), ids(whole))
	}
	if len(whole) == 0 || whole[0].Type != "identity" {
		t.Fatalf("the collection should start with the portal's identity: %+v", whole)
	}
	if n := 1 + 3*(len(red)+len(orange)+len(redURLs)+len(orangeURLs)+len(domains)+len(hashes)); len(whole) != n {
		t.Errorf("indicators collection holds %d objects, want %d (identity + 3 per indicator)", len(whole), n)
	}
	if got, want := patterns(whole), sortedUnion(red, orange, redURLs, orangeURLs, domains, hashes); !slices.Equal(got, want) {
		t.Errorf("indicators collection patterns:\n%v\nwant\n%v", got, want)
	}
	if got := patterns(pageAll(t, objects("ip-red"), tok, 3)); !slices.Equal(got, red) {
		t.Errorf("ip-red patterns %v, want %v", got, red)
	}
	if got := patterns(pageAll(t, objects("ip-orange"), tok, 1)); !slices.Equal(got, orange) {
		t.Errorf("ip-orange patterns %v, want %v", got, orange)
	}
	if got := patterns(pageAll(t, objects("malicious-urls"), tok, 5)); !slices.Equal(got, redURLs) {
		t.Errorf("malicious-urls patterns %v, want %v", got, redURLs)
	}
	if got := patterns(pageAll(t, objects("domains"), tok, 2)); !slices.Equal(got, domains) {
		t.Errorf("domains patterns %v, want %v", got, domains)
	}
	if got := patterns(pageAll(t, objects("files"), tok, 2)); !slices.Equal(got, hashes) {
		t.Errorf("files patterns %v, want %v", got, hashes)
	}
	for _, o := range whole {
		if o.ID == "" || (o.Type == "indicator" && o.Modified == "") {
			t.Errorf("object without id or modified: %+v", o)
		}
		// The same indicator as a format=stix lookup: same id, same version.
		if o.Type == "indicator" && lookedUp[o.ID] != o {
			t.Errorf("TAXII indicator %+v, lookup bundle's %+v", o, lookedUp[o.ID])
		}
	}

	// The manifest lists the same objects with their dates.
	a = taxiiGet(t, apiRoot+"collections/"+byAlias["indicators"]+"/manifest/?limit=1000", tok)
	man := decode[struct {
		More    bool            `json:"more"`
		Objects []manifestEntry `json:"objects"`
	}](t, a)
	if man.More || len(man.Objects) != len(whole) {
		t.Fatalf("manifest: more %v, %d entries, want %d", man.More, len(man.Objects), len(whole))
	}
	var lastAdded time.Time
	for i, m := range man.Objects {
		added, err := time.Parse(time.RFC3339Nano, m.DateAdded)
		if err != nil || m.ID != whole[i].ID || m.MediaType != "application/stix+json;version=2.1" {
			t.Errorf("manifest entry %d: %+v (%v), object %s", i, m, err, whole[i].ID)
		}
		if added.Before(lastAdded) {
			t.Errorf("manifest not in date_added order at %d", i)
		}
		lastAdded = added
		if v, err := time.Parse(time.RFC3339Nano, m.Version); err != nil {
			t.Errorf("manifest version %q: %v", m.Version, err)
		} else if whole[i].Modified != "" {
			if mod, _ := time.Parse(time.RFC3339Nano, whole[i].Modified); !mod.Equal(v) {
				t.Errorf("manifest version %s of %s, object modified %s", m.Version, m.ID, whole[i].Modified)
			}
		}
	}
	if got := a.header.Get("X-TAXII-Date-Added-Last"); got != lastAdded.UTC().Format("2006-01-02T15:04:05.000000Z") {
		t.Errorf("X-TAXII-Date-Added-Last %q, want %s", got, lastAdded)
	}
	before := a.header.Get("X-TAXII-Date-Added-Last")

	// Filters.
	a = taxiiGet(t, objects("indicators")+"?match[type]=indicator&limit=1000", tok)
	env := decode[taxiiEnvelope](t, a)
	if len(env.Objects) != len(patterns(whole)) {
		t.Errorf("match[type]=indicator: %d objects, want %d", len(env.Objects), len(patterns(whole)))
	}
	for _, o := range env.Objects {
		if o.Type != "indicator" {
			t.Errorf("match[type]=indicator returned a %s", o.Type)
		}
	}
	one := env.Objects[0]
	a = taxiiGet(t, objects("indicators")+"?match[id]="+one.ID, tok)
	if env := decode[taxiiEnvelope](t, a); len(env.Objects) != 1 || env.Objects[0].ID != one.ID || env.More {
		t.Errorf("match[id]: %s", a.body)
	}
	a = taxiiGet(t, objects("indicators")+one.ID+"/", tok)
	if env := decode[taxiiEnvelope](t, a); a.status != 200 || len(env.Objects) != 1 || env.Objects[0].Pattern != one.Pattern {
		t.Errorf("get one object: %d %s", a.status, a.body)
	}
	a = taxiiGet(t, objects("indicators")+one.ID+"/versions/", tok)
	if a.status != 200 || !strings.Contains(string(a.body), `"versions":["`) {
		t.Errorf("versions: %d %s", a.status, a.body)
	}

	// added_after: nothing after the last date, then only what an import
	// on the running server changed.
	a = taxiiGet(t, objects("indicators")+"?added_after="+url.QueryEscape(before), tok)
	if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"more":false}` {
		t.Errorf("added_after the last date: %d %s, want an empty envelope", a.status, a.body)
	}
	mustTipd(t, "import", "-store", st, "-format", "jsonl", "testdata/e2e/later.jsonl")
	newer := pageAll(t, objects("indicators"), tok, 2, "added_after", before)
	laterRed, laterOrange, _, _ := zonesOf(t, api, tok, nil, "testdata/e2e/later.jsonl")
	if got, want := patterns(newer), sortedUnion(laterRed, laterOrange); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("added_after %s after importing later.jsonl: %v, want %v", before, got, want)
	}
	for _, o := range newer {
		if o.Type == "identity" {
			t.Errorf("added_after returned the identity, added before")
		}
	}
	// The whole collection still has every indicator once.
	after := pageAll(t, objects("indicators"), tok, 4)
	if got := patterns(after); !slices.Equal(got, slices.Compact(got)) {
		t.Errorf("duplicate indicators after the import: %v", got)
	}

	// Errors are TAXII error messages.
	for _, tc := range []struct {
		url, token, accept string
		status             int
	}{
		{root, "", taxiiType, 401},
		{root, "not-a-token", taxiiType, 401},
		{root, tok, "application/json", 406},
		{apiRoot + "collections/no-such-collection/", tok, taxiiType, 404},
		{objects("indicators") + "?limit=zero", tok, taxiiType, 400},
		{objects("indicators") + "?next=garbage", tok, taxiiType, 400},
		{objects("indicators") + "?added_after=yesterday", tok, taxiiType, 400},
		{objects("indicators") + "indicator--00000000-0000-4000-8000-000000000000/", tok, taxiiType, 404},
		{apiRoot + "status/", tok, taxiiType, 404},
	} {
		req, _ := http.NewRequest("GET", tc.url, nil)
		req.Header.Set("Accept", tc.accept)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := readAll(resp)
		resp.Body.Close()
		var e struct {
			Title      string `json:"title"`
			HTTPStatus string `json:"http_status"`
		}
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != taxiiType ||
			json.Unmarshal(body, &e) != nil || e.HTTPStatus != itoa(tc.status) || e.Title == "" {
			t.Errorf("%s (accept %s): %d %s %s, want %d as a TAXII error", tc.url, tc.accept, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status)
		}
	}
	req, _ := http.NewRequest("POST", objects("indicators"), strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST objects: %v %v, want 405", resp, err)
	}
}

func sortedUnion(ls ...[]string) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
