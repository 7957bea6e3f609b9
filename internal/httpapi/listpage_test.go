package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Objects of the list page tests.
const (
	pagedIP     = "45.95.147.20" // 150 hosted URLs, 3 resolutions
	pagedDomain = "paged.example"
	pagedURL    = "http://paged.example/dl"          // 150 files downloaded from it
	pagedFile   = "0123456789ABCDEF0123456789ABCDEF" // 150 names
	pagedItems  = 150
)

// seedPaged stores an address with 150 hosted URLs (many sharing their
// LastSeen and hits) and a domain with 150 files.
func seedPaged(t *testing.T, e *env) {
	t.Helper()
	ip := netip.MustParseAddr(pagedIP)
	src := intel.Source{Feed: "URLhaus", File: "urlhaus.csv", Imported: now.Add(-time.Hour)}
	b := &intel.Batch{}
	for i := range pagedItems {
		seen := now.AddDate(0, 0, -1-i%9).Truncate(time.Minute)
		b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: ip, URL: fmt.Sprintf("paged.example/p/%03d", i), Zone: intel.ZoneRed,
			Hits: int64(i % 4), FirstSeen: seen, LastSeen: seen, Source: src})
		b.Links = append(b.Links, intel.Link{List: intel.LinkHostFiles, Owner: pagedDomain, Item: fmt.Sprintf("%032X", i),
			Zone: intel.ZoneRed, Hits: int64(i % 4), FirstSeen: seen, LastSeen: seen, Source: src},
			intel.Link{List: intel.LinkFileNames, Owner: pagedFile, Item: fmt.Sprintf("sample-%03d.exe", i),
				Hits: int64(i % 4), FirstSeen: seen, LastSeen: seen, Source: src})
		b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: fmt.Sprintf("%032X", 1000+i), URL: pagedURL, Zone: intel.ZoneRed,
			DetectionName: "Trojan.Example", Hits: int64(i % 4), FirstSeen: seen, LastSeen: seen, Source: src})
	}
	for i := range 3 {
		b.Resolutions = append(b.Resolutions, intel.Resolution{IP: ip, Domain: fmt.Sprintf("r%d.paged.example", i), Hits: 1,
			FirstSeen: now.AddDate(0, 0, -i-1), LastSeen: now.AddDate(0, 0, -i-1), Source: src})
	}
	if err := e.st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// listPage is the body of a page.
type listPage struct {
	Total int64
	Items []json.RawMessage
	Next  string
}

func getPage(t *testing.T, e *env, target string) listPage {
	t.Helper()
	w := e.do(t, http.MethodGet, target, "alice")
	if w.Code != http.StatusOK {
		t.Fatalf("%s: status %d, body %s", target, w.Code, w.Body)
	}
	var p listPage
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v\n%s", target, err, w.Body)
	}
	return p
}

// TestListPages pages through the hosted URLs of an address, the files
// of a domain and of a web address and the names of a file with several
// page sizes, on every backend: the total
// of every page is the list's length; every item comes once, in the
// order of the lookup answer, in the shape the lookup answer gives it
// (the first page equals the answer's section with the same count).
func TestListPages(t *testing.T) {
	lists := []struct {
		request, section, lookup string
	}{
		{pagedIP, "HostedUrls", "/api/ip/" + pagedIP + "?sections=HostedUrls&count=1000"},
		{pagedDomain, "FilesDownloaded", "/api/domain/" + pagedDomain + "?sections=FilesDownloaded&count=1000"},
		{pagedURL, "FilesDownloaded", "/api/url/" + pagedURL + "?sections=FilesDownloaded&count=1000"},
		{pagedFile, "FileNames", "/api/hash/" + pagedFile + "?sections=FileNames&count=1000"},
	}
	for name, open := range explainStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			seedPaged(t, e)
			for _, l := range lists {
				w := e.do(t, http.MethodGet, l.lookup, "alice")
				if w.Code != http.StatusOK {
					t.Fatalf("%s: %d %s", l.lookup, w.Code, w.Body)
				}
				var whole map[string][]json.RawMessage
				if err := json.Unmarshal(w.Body.Bytes(), &whole); err != nil {
					t.Fatal(err)
				}
				want := whole[l.section]
				if len(want) != pagedItems {
					t.Fatalf("%s: got %d items, want %d", l.lookup, len(want), pagedItems)
				}
				for _, size := range []int{1, 7, 50, pagedItems} {
					var got []json.RawMessage
					after := ""
					for pages := 0; ; pages++ {
						if pages > pagedItems {
							t.Fatalf("%s, count %d: too many pages", l.section, size)
						}
						p := getPage(t, e, fmt.Sprintf("/api/list?section=%s&count=%d&after=%s&request=%s", l.section, size, after, l.request))
						if p.Total != pagedItems {
							t.Errorf("%s, count %d, page %d: got Total %d, want %d", l.section, size, pages, p.Total, pagedItems)
						}
						got = append(got, p.Items...)
						if p.Next == "" {
							break
						}
						if len(p.Items) != size {
							t.Fatalf("%s, count %d, page %d: got %d items and a Next, want %d", l.section, size, pages, len(p.Items), size)
						}
						after = p.Next
					}
					if len(got) != len(want) {
						t.Fatalf("%s, count %d: got %d items, want %d", l.section, size, len(got), len(want))
					}
					for i := range want {
						if !bytes.Equal(got[i], want[i]) {
							t.Fatalf("%s, count %d: item %d: got %s, want %s", l.section, size, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}

// TestListRequests: what the endpoint refuses (400 with a message, never
// 5xx, uncounted) and what it counts (each page once, like a lookup).
func TestListRequests(t *testing.T) {
	e := newEnv(t, options{})
	seedPaged(t, e)
	first := getPage(t, e, "/api/list?section=HostedUrls&count=10&request="+pagedIP)
	tests := []struct {
		target  string
		status  int
		counted bool
		items   int
	}{
		{"/api/list?section=HostedUrls&count=10&after=" + first.Next + "&request=" + pagedIP, 200, true, 10},
		{"/api/list?section=IpDnsResolutions&count=2&request=" + pagedIP, 200, true, 2},
		{"/api/list?section=FeedMasks&request=" + pagedIP, 200, true, 0},
		{"/api/list?section=HostedUrls&request=198.51.100.7", 200, true, 0}, // reserved: no lists
		{"/api/list?section=FilesDownloaded&count=3&request=" + pagedDomain, 200, true, 3},
		{"/api/list?section=Subdomains&request=unknown.example", 200, true, 0},
		{"/api/list?section=Zone&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls,IpDnsResolutions&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=Nope&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&request=" + pagedDomain, 400, false, 0},
		{"/api/list?request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&section=HostedUrls&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&count=0&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&count=x&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&count=1000000&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&after=!!!&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&after=AQ&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&after=" + url.QueryEscape(first.Next[:5]) + "&request=" + pagedIP, 400, false, 0},
		{"/api/list?section=HostedUrls&request=" + testMD5, 400, false, 0},
		{"/api/list?section=FilesDownloaded&count=5&request=" + pagedURL, 200, true, 5},
		{"/api/list?section=FileNames&count=5&request=" + pagedFile, 200, true, 5},
		{"/api/list?section=DetectionsInfo&request=" + pagedFile, 400, false, 0},
		{"/api/list?section=HostedUrls&request=", 400, false, 0},
		{"/api/list?section=HostedUrls", 400, false, 0},
		{"/api/list?section=HostedUrls&request=%zz", 400, false, 0},
	}
	for _, tt := range tests {
		w := e.doCounted(t, tt.target, tt.status, tt.counted)
		if w == nil {
			continue
		}
		if tt.status != 200 {
			if code, msg := errorOf(t, w); code != "invalid_request" || msg == "" {
				t.Errorf("%s: got code %q, message %q; want invalid_request with a message", tt.target, code, msg)
			}
			continue
		}
		var p listPage
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != tt.items {
			t.Errorf("%s: got %d items, want %d", tt.target, len(p.Items), tt.items)
		}
	}
	if w := e.do(t, http.MethodGet, "/api/list?section=HostedUrls&request="+pagedIP, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("no credentials: got %d, want 401", w.Code)
	}
	if w := e.do(t, http.MethodPost, "/api/list?section=HostedUrls&request="+pagedIP, "alice"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: got %d, want 405", w.Code)
	}
}

// TestListHeld: a page of a held object's list is refused 451 as its
// lookup is, and a page over the quota 403, uncounted.
func TestListHeld(t *testing.T) {
	for name, open := range explainStores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{store: open(t)})
			seedPaged(t, e)
			holdAndUseUpQuota(t, e,
				intel.Hold{Ref: "hold-addr", Prefix: netip.MustParsePrefix(pagedIP + "/32"), Reason: "court order", Created: now},
				intel.Hold{Ref: "hold-name", Domain: pagedDomain, Reason: "court order", Created: now})
			wantRefusals(t, e, []refusal{
				{"/api/list?section=HostedUrls&request=" + pagedIP, 451, "hold-addr"},
				{"/api/list?section=FilesDownloaded&request=" + pagedDomain, 451, "hold-name"},
				{"/api/list?section=HostedUrls&request=45.95.147.21", 403, ""},
			})
		})
	}
}

// TestListEverySection: every section that pages answers a page, for a
// known and an unknown object of each kind (never a 5xx).
func TestListEverySection(t *testing.T) {
	e := newEnv(t, options{})
	seedPaged(t, e)
	seedObjects(t, e)
	kinds := []struct {
		requests []string
		sections string
	}{
		{[]string{pagedIP, "45.95.147.99", "198.51.100.7"}, "HostedUrls,FilesDownloadedFromIp,IpDnsResolutions,FeedMasks"},
		{[]string{pagedDomain, testDomain, "unknown.example"}, "DomainDnsResolutions,FilesDownloaded,FilesAccessed,UrlReferrals,UrlReferredTo,Subdomains,FeedMasks"},
		{[]string{pagedURL, "http://" + testDomain + "/gate.php", "http://unknown.example/x"}, "FilesDownloaded,FilesAccessed,UrlReferrals,UrlReferredTo,DomainDnsResolutions"},
		{[]string{pagedFile, testMD5, testSHA256, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"}, "FileCertificates,FileNames,FilePaths,FileDownloadedFromUrls,FileAccessedUrls,FileStartedObjects,FileStartedBy,FileDownloadedObjects,FileDownloadedBy"},
	}
	for _, k := range kinds {
		for _, req := range k.requests {
			for _, sec := range strings.Split(k.sections, ",") {
				target := "/api/list?section=" + sec + "&count=3&request=" + req
				p := getPage(t, e, target)
				if len(p.Items) > 3 || p.Total < int64(len(p.Items)) || p.Next != "" && p.Total <= 3 {
					t.Errorf("%s: got %d items of %d, Next %q", target, len(p.Items), p.Total, p.Next)
				}
			}
		}
	}
}
