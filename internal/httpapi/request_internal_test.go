package httpapi

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

var testCfg = Config{}.withDefaults()

// wantErr is an expected error: its code and substrings of its message.
type wantErr struct {
	code string
	msg  []string
}

// checkErr compares err with want (nil: no error wanted).
func checkErr(t *testing.T, what string, err error, want *wantErr) bool {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s: got error %v, want none", what, err)
			return false
		}
		return true
	}
	if err == nil {
		t.Errorf("%s: got no error, want %s", what, want.code)
		return false
	}
	e, ok := err.(*intel.Error)
	if !ok || e.Kind != intel.KindInvalid {
		t.Errorf("%s: got %T %v, want a KindInvalid *intel.Error", what, err, err)
		return false
	}
	if e.Code != want.code {
		t.Errorf("%s: got code %q (%s), want %q", what, e.Code, e.Message, want.code)
	}
	for _, s := range want.msg {
		if !strings.Contains(e.Message, s) {
			t.Errorf("%s: message %q does not contain %q", what, e.Message, s)
		}
	}
	return false
}

func bad(code string, msg ...string) *wantErr { return &wantErr{code: code, msg: msg} }

func TestParseDomainLookup(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	name253 := strings.Join([]string{long63, long63, long63, strings.Repeat("b", 61)}, ".") // 253 bytes
	tests := []struct {
		target string
		object string
		err    *wantErr
	}{
		{"/api/domain/example.com", "example.com", nil},
		{"/api/domain/C2.BadCorp.Example.?count=1", "c2.badcorp.example", nil},
		{"/api/domain/www.Example.COM", "www.example.com", nil},
		{"/api/domain/_dmarc.example.com", "_dmarc.example.com", nil},
		{"/api/domain/a-b.example", "a-b.example", nil},
		{"/api/domain/b%C3%BCcher.example", "xn--bcher-kva.example", nil},
		{"/api/domain/B%C3%9CCHER.example.", "xn--bcher-kva.example", nil},
		{"/api/domain/xn--bcher-kva.example", "xn--bcher-kva.example", nil},
		{"/api/domain/example.com%2E", "example.com", nil},
		{"/api/domain/localhost", "localhost", nil},
		{"/api/domain/" + long63 + ".example", long63 + ".example", nil},
		{"/api/domain/" + name253, name253, nil},
		{"/api/domain/", "", bad("invalid_request", "/api/domain/<domain name>")},
		{"/api/domain", "", bad("invalid_request", "/api/domain/")},
		{"/api/domain/" + name253 + "b", "", bad("invalid_request", name253[:20])},
		{"/api/domain/" + long63 + "a.example", "", bad("invalid_request", long63)},
		{"/api/domain/example..com", "", bad("invalid_request", `"example..com"`)},
		{"/api/domain/.example.com", "", bad("invalid_request", `".example.com"`)},
		{"/api/domain/example.com..", "", bad("invalid_request", `"example.com.."`)},
		{"/api/domain/1.2.3.4", "", bad("invalid_request", `"1.2.3.4"`, "/api/ip/")},
		{"/api/domain/1.2.3", "", bad("invalid_request", `"1.2.3"`)},
		{"/api/domain/%5B2001:db8::1%5D", "", bad("invalid_request", "2001:db8::1")},
		{"/api/domain/http://example.com", "", bad("invalid_request", "/api/url/")},
		{"/api/domain/example.com/", "", bad("invalid_request", `"example.com/"`)},
		{"/api/domain/example.com%2Fx", "", bad("invalid_request", `"example.com/x"`)},
		{"/api/domain/example.com:80", "", bad("invalid_request", `"example.com:80"`)},
		{"/api/domain/user@example.com", "", bad("invalid_request", `"user@example.com"`)},
		{"/api/domain/a%2525b.example", "", bad("invalid_request", `"a%25b.example"`)},
		{"/api/domain/exa%20mple.com", "", bad("invalid_request", `"exa mple.com"`)},
		{"/api/domain/%2A.example.com", "", bad("invalid_request", `"*.example.com"`)},
		{"/api/domain/%zz", "", bad("invalid_request", `"%zz"`)},
		{"/api/domain/example.com?count=0", "", bad("invalid_request", `"0"`)},
		{"/api/domain/example.com?count=1&count=2", "", bad("invalid_request", "count", "2 times")},
		{"/api/domain/example.com?sections=IpWhoIs", "", bad("invalid_sections", `"IpWhoIs"`, "DomainGeneralInfo", "Subdomains")},
		{"/api/domain/example.com?sections=UrlGeneralInfo", "", bad("invalid_sections", `"UrlGeneralInfo"`, "DomainWhoIsInfo")},
		{"/api/domain/example.com?sections=FileGeneralInfo", "", bad("invalid_sections", "DomainWhoIsInfo")},
		{"/api/domain/example.com?format=xml", "", bad("invalid_request", `"xml"`)},
		{"/api/domain/example.com?a=%zz", "", bad("invalid_request", "query string")},
	}
	for _, tt := range tests {
		path, query, _ := strings.Cut(tt.target, "?")
		req, err := parseDomainLookup(path, query, testCfg)
		if !checkErr(t, tt.target, err, tt.err) {
			continue
		}
		if req.kind != kindDomain || req.object != tt.object || req.format != formatJSON {
			t.Errorf("%s: got kind %d object %q format %q, want a domain lookup of %q in JSON", tt.target, req.kind, req.object, req.format, tt.object)
		}
	}

	// Sections and count.
	req, err := parseDomainLookup("/api/domain/example.com", "sections=Zone,LicenseInfo&count=7", testCfg)
	if err != nil || req.sections != report.SecZone|report.SecLicenseInfo || req.count != 7 {
		t.Errorf("sections=Zone,LicenseInfo&count=7: got %v %d %v", req.sections, req.count, err)
	}
	req, err = parseDomainLookup("/api/domain/example.com", "", testCfg)
	if err != nil || req.sections != report.AllDomainSections || req.count != DefaultDefaultCount {
		t.Errorf("no parameters: got %v %d %v, want every section and the default count", req.sections, req.count, err)
	}
	// format=stix ignores sections and count.
	req, err = parseDomainLookup("/api/domain/example.com", "sections=IpWhoIs&count=0&format=stix", testCfg)
	if err != nil || req.format != formatSTIX || req.sections != report.AllDomainSTIXSections || req.count != report.DefaultCount {
		t.Errorf("format=stix: got %q %v %d %v, want a bundle of every section", req.format, req.sections, req.count, err)
	}
	req, err = parseHashLookup("/api/hash/"+strings.Repeat("a", 40), "format=stix&sections=nosuch", testCfg)
	if err != nil || req.format != formatSTIX || req.sections != report.AllFileSections || req.count != report.DefaultCount {
		t.Errorf("file, format=stix: got %q %v %d %v, want a bundle of every section", req.format, req.sections, req.count, err)
	}
}

func TestParseHashLookup(t *testing.T) {
	const (
		md5    = "0f343b0931126a20f133d67c2b018a3b"
		sha1   = "b39998ba612fc7cfcd924e43cb11c2aef68c55a8"
		sha256 = "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771"
	)
	tests := []struct {
		target string
		object string
		err    *wantErr
	}{
		{"/api/hash/" + md5, strings.ToUpper(md5), nil},
		{"/api/hash/" + sha1 + "?count=1", strings.ToUpper(sha1), nil},
		{"/api/hash/" + sha256, sha256, nil},
		{"/api/hash/" + strings.ToLower(sha256[:10]) + sha256[10:], sha256, nil},
		{"/api/hash/%30" + md5[1:], strings.ToUpper(md5), nil},
		{"/api/hash/", "", bad("invalid_request", "/api/hash/<MD5, SHA-1 or SHA-256>")},
		{"/api/hash", "", bad("invalid_request", "/api/hash/")},
		{"/api/hash/" + md5[:31], "", bad("invalid_request", `"`+md5[:31]+`"`, "32")},
		{"/api/hash/" + md5 + "0", "", bad("invalid_request", "40")},
		{"/api/hash/" + sha256 + "00", "", bad("invalid_request", "64")},
		{"/api/hash/" + strings.Repeat("a", 48), "", bad("invalid_request")},
		{"/api/hash/0x" + md5[2:], "", bad("invalid_request", `"0x`)},
		{"/api/hash/0x" + md5, "", bad("invalid_request", `"0x`)},
		{"/api/hash/" + md5[:31] + "g", "", bad("invalid_request", `'g'`)},
		{"/api/hash/" + md5 + "/", "", bad("invalid_request", md5+`/"`)},
		{"/api/hash/%20" + md5, "", bad("invalid_request")},
		{"/api/hash/" + md5 + "%20", "", bad("invalid_request")},
		{"/api/hash/" + md5[:16] + "%20" + md5[17:], "", bad("invalid_request")},
		{"/api/hash/%zz", "", bad("invalid_request", `"%zz"`)},
		{"/api/hash/" + md5 + "?sections=DomainGeneralInfo", "", bad("invalid_sections", `"DomainGeneralInfo"`, "FileGeneralInfo", "DetectionsInfo")},
		{"/api/hash/" + md5 + "?sections=Zone,HostedUrls", "", bad("invalid_sections", `"HostedUrls"`, "FileDownloadedBy")},
		{"/api/hash/" + md5 + "?count=0", "", bad("invalid_request", `"0"`)},
		{"/api/hash/" + md5 + "?count=10001", "", bad("invalid_request", "at most 10000")},
	}
	for _, tt := range tests {
		path, query, _ := strings.Cut(tt.target, "?")
		req, err := parseHashLookup(path, query, testCfg)
		if !checkErr(t, tt.target, err, tt.err) {
			continue
		}
		if req.kind != kindHash || req.object != tt.object {
			t.Errorf("%s: got kind %d object %q, want a file lookup of %q", tt.target, req.kind, req.object, tt.object)
		}
	}
}

// params is the API's parameters of a parsed lookup, for comparison.
type params struct {
	sections report.Sections
	count    int
	format   string
}

func TestParseURLLookup(t *testing.T) {
	all := params{report.AllURLSections, DefaultDefaultCount, formatJSON}
	stix := params{report.AllURLSTIXSections, report.DefaultCount, formatSTIX}
	tests := []struct {
		target string
		url    string // with scheme
		p      params
		err    *wantErr
	}{
		// The table of the contract.
		{"/api/url/http://bad.example/p?x=1&count=5&count=1&format=json&sections=LicenseInfo%2CZone",
			"http://bad.example/p?x=1&count=5", params{report.SecLicenseInfo | report.SecZone, 1, formatJSON}, nil},
		{"/api/url/http://bad.example/p?a=1?sections=Zone", "http://bad.example/p?a=1", params{report.SecZone, DefaultDefaultCount, formatJSON}, nil},
		{"/api/url/http://bad.example/r?next=/a?b=1&count=3", "http://bad.example/r?next=/a?b=1", params{report.AllURLSections, 3, formatJSON}, nil},
		{"/api/url/bad.example%2Fp%3Fx%3D1?sections=Zone", "http://bad.example/p?x=1", params{report.SecZone, DefaultDefaultCount, formatJSON}, nil},

		// Raw form: schemes, order, separators, empty pieces.
		{"/api/url/HTTPS://Bad.Example/p", "https://Bad.Example/p", all, nil},
		{"/api/url/hTTp://bad.example/", "http://bad.example/", all, nil},
		{"/api/url/bad.example/p?q=1", "http://bad.example/p?q=1", all, nil},
		{"/api/url/http://bad.example/p?count=2&q=1", "http://bad.example/p?q=1", params{report.AllURLSections, 2, formatJSON}, nil},
		{"/api/url/http://bad.example/p?count=2?q=1&r=2", "http://bad.example/p?q=1&r=2", params{report.AllURLSections, 2, formatJSON}, nil},
		{"/api/url/http://bad.example/p?&&a=1&&b=2&", "http://bad.example/p?a=1&b=2", all, nil},
		{"/api/url/http://bad.example/p?", "http://bad.example/p", all, nil},
		{"/api/url/http://bad.example/p?a=%zz&b=%2F", "http://bad.example/p?a=%zz&b=%2F", all, nil},
		{"/api/url/http://bad.example/p?a;b=1&Count=3&counts=1", "http://bad.example/p?a;b=1&Count=3&counts=1", all, nil},
		{"/api/url/http://bad.example/p?%63ount=4&x", "http://bad.example/p?x", params{report.AllURLSections, 4, formatJSON}, nil},
		{"/api/url/http://bad.example/p?format=stix&count=0&sections=nosuch", "http://bad.example/p", stix, nil},
		{"/api/url/http://bad.example/p?format=json&format=stix", "http://bad.example/p?format=json", stix, nil},
		{"/api/url/http://bad.example/a%20b?x=%20", "http://bad.example/a b?x=%20", all, nil},
		{"/api/url/http://bad.example/p?sections=Zone&sections=UrlGeneralInfo", "http://bad.example/p?sections=Zone",
			params{report.SecURLGeneralInfo, DefaultDefaultCount, formatJSON}, nil},

		// Encoded form: the whole query is the API's, strictly.
		{"/api/url/http%3A%2F%2Fbad.example%2Fp?count=5", "http://bad.example/p", params{report.AllURLSections, 5, formatJSON}, nil},
		{"/api/url/bad.example", "http://bad.example", all, nil},
		{"/api/url/bad.example?sections=Zone&sections=UrlGeneralInfo", "http://bad.example",
			params{report.SecZone | report.SecURLGeneralInfo, DefaultDefaultCount, formatJSON}, nil},
		{"/api/url/bad.example?format=stix", "http://bad.example", stix, nil},
		{"/api/url/bad.example?count=1&count=2", "", params{}, bad("invalid_request", "count", "2 times")},
		{"/api/url/bad.example?x=1;y=2", "", params{}, bad("invalid_request", "query string")},

		// Errors.
		{"/api/url/", "", params{}, bad("invalid_request", "/api/url/<web address>")},
		{"/api/url", "", params{}, bad("invalid_request", "/api/url/")},
		{"/api/url/ftp://bad.example/x", "", params{}, bad("invalid_request", `"ftp://bad.example/x"`, "http and https")},
		{"/api/url/ftp%3A%2F%2Fbad.example", "", params{}, bad("invalid_request", `"ftp://bad.example"`)},
		{"/api/url/http://", "", params{}, bad("invalid_request", `"http://"`)},
		{"/api/url/%zz", "", params{}, bad("invalid_request", `"%zz"`)},
		{"/api/url/http://bad.example/%zz", "", params{}, bad("invalid_request", "percent-encoded")},
		{"/api/url/http://bad.example/p?count=0", "", params{}, bad("invalid_request", `"0"`)},
		{"/api/url/http://bad.example/p?count=%zz", "", params{}, bad("invalid_request", "count=%zz")},
		{"/api/url/http://bad.example/p?sections=IpWhoIs", "", params{}, bad("invalid_sections", `"IpWhoIs"`, "UrlGeneralInfo", "UrlDomainWhoIs")},
		{"/api/url/http://bad.example/p?sections=Subdomains", "", params{}, bad("invalid_sections", `"Subdomains"`, "UrlReferredTo")},
		{"/api/url/http://bad.example/p?format=STIX", "", params{}, bad("invalid_request", `"STIX"`)},
	}
	for _, tt := range tests {
		path, query, _ := strings.Cut(tt.target, "?")
		req, err := parseURLLookup(path, query, testCfg)
		if !checkErr(t, tt.target, err, tt.err) {
			continue
		}
		got := params{req.sections, req.count, req.format}
		if req.kind != kindURL || req.url != tt.url || got != tt.p {
			t.Errorf("%s:\n got kind %d %q %+v\nwant a web-address lookup of %q %+v", tt.target, req.kind, req.url, got, tt.url, tt.p)
		}
	}
}

// TestParseLookupWeb: /api/ip/<web address> splits its query as
// /api/url/ does; addresses keep the strict rules.
func TestParseLookupWeb(t *testing.T) {
	tests := []struct {
		target string
		url    string
		count  int
		err    *wantErr
	}{
		{"/api/ip/http://bad.example/p?x=1&count=5&count=1", "http://bad.example/p?x=1&count=5", 1, nil},
		{"/api/ip/http://bad.example/r?next=/a?b=1&count=3", "http://bad.example/r?next=/a?b=1", 3, nil},
		{"/api/ip/http://82.118.16.30/a?count=5", "http://82.118.16.30/a", 5, nil},
		{"/api/ip/http%3A%2F%2F82.118.16.30%2Fa%3Fx%3D1?count=3", "http://82.118.16.30/a?x=1", 3, nil},
		{"/api/ip/http%3A%2F%2F82.118.16.30?count=3&count=4", "", 0, bad("invalid_request", "2 times")},
		{"/api/ip/http://82.118.16.30/a?a=1;b=2", "http://82.118.16.30/a?a=1;b=2", DefaultDefaultCount, nil},
		{"/api/ip/bad.example/p", "", 0, bad("invalid_request", `"bad.example/p"`)},
	}
	for _, tt := range tests {
		path, query, _ := strings.Cut(tt.target, "?")
		req, err := parseLookup(path, query, testCfg)
		if !checkErr(t, tt.target, err, tt.err) {
			continue
		}
		if req.kind != kindURL || req.url != tt.url || req.count != tt.count {
			t.Errorf("%s: got kind %d %q count %d, want %q count %d", tt.target, req.kind, req.url, req.count, tt.url, tt.count)
		}
	}
	for _, q := range []string{"count=1&count=2", "a=1;b=2", "a=%zz"} {
		if _, err := parseLookup("/api/ip/1.2.3.4", q, testCfg); intel.KindOf(err) != intel.KindInvalid {
			t.Errorf("/api/ip/1.2.3.4?%s: got %v, want a 400", q, err)
		}
	}
}

func TestParseSearch(t *testing.T) {
	const md5 = "0f343b0931126a20f133d67c2b018a3b"
	tests := []struct {
		kind   lookupKind
		query  string
		object string // the address, web address, name or hash
		err    *wantErr
	}{
		{kindDomain, "request=shop.example", "shop.example", nil},
		{kindDomain, "request=Shop.Example.&count=0&sections=nosuch&format=xml", "shop.example", nil},
		{kindDomain, "request=b%C3%BCcher.example", "xn--bcher-kva.example", nil},
		{kindDomain, "", "", bad("invalid_request", "/api/v1/search/domain?request=<domain name>")},
		{kindDomain, "request=", "", bad("invalid_request", "names no domain name")},
		{kindDomain, "request=a.example&request=b.example", "", bad("invalid_request", "request", "2 times")},
		{kindDomain, "request=a..example", "", bad("invalid_request", `"a..example"`)},
		{kindDomain, "request=1.2.3.4", "", bad("invalid_request", "/api/ip/")},
		{kindDomain, "request=%20a.example", "", bad("invalid_request")},
		{kindDomain, "request=%zz", "", bad("invalid_request", "query string")},
		{kindHash, "request=" + md5, strings.ToUpper(md5), nil},
		{kindHash, "request=" + md5[:30], "", bad("invalid_request", "32")},
		{kindHash, "request=0x" + md5, "", bad("invalid_request")},
		{kindHash, "request=", "", bad("invalid_request", "/api/v1/search/hash?request=<MD5, SHA-1 or SHA-256>")},
		{kindHash, "request=" + md5 + "&request=" + md5, "", bad("invalid_request", "2 times")},
		{kindIP, "request=45.95.147.10", "45.95.147.10", nil},
		{kindIP, "request=::ffff:45.95.147.10", "45.95.147.10", nil},
		{kindIP, "request=http%3A%2F%2Fexample.com", "", bad("invalid_request", "/api/v1/search/url")},
		{kindIP, "request=fe80::1%25eth0", "", bad("invalid_request", "zone")},
		{kindIP, "request=nonsense", "", bad("invalid_request", `"nonsense"`)},
		{kindIP, "request=", "", bad("invalid_request", "/api/v1/search/ip?request=")},
		// Pasted and encoded web addresses reach the same address.
		{kindURL, "request=http://bad.example/p?a=1&b=2", "http://bad.example/p?a=1&b=2", nil},
		{kindURL, "request=" + url.QueryEscape("http://bad.example/p?a=1&b=2"), "http://bad.example/p?a=1&b=2", nil},
		{kindURL, "x=1&request=bad.example/p?a=1&b=2", "http://bad.example/p?a=1&b=2", nil},
		{kindURL, "myrequest=1&request=bad.example/p", "http://bad.example/p", nil},
		{kindURL, "request=bad.example/p?request=x", "http://bad.example/p?request=x", nil},
		{kindURL, "request=bad.example/a+b%2B", "http://bad.example/a+b+", nil},
		{kindURL, "request=http:%5C%5Cbad.example%5Cp", "http://bad.example\\p", nil},
		{kindURL, "", "", bad("invalid_request", "/api/v1/search/url?request=<web address>")},
		{kindURL, "request=", "", bad("invalid_request", "names no web address")},
		{kindURL, "myrequest=bad.example", "", bad("invalid_request", "names no web address")},
		{kindURL, "request=ftp://bad.example/", "", bad("invalid_request", "http and https")},
		{kindURL, "request=bad.example/%zz", "", bad("invalid_request", "percent-encoded")},
	}
	for _, tt := range tests {
		what := objectNoun(tt.kind) + " ?" + tt.query
		req, err := parseSearch(tt.kind, tt.query, testCfg)
		if !checkErr(t, what, err, tt.err) {
			continue
		}
		got := req.object
		switch tt.kind {
		case kindIP:
			got = req.ip.String()
		case kindURL:
			got = req.url
		}
		if req.kind != tt.kind || got != tt.object || !req.search || req.format != formatJSON || req.count != DefaultDefaultCount {
			t.Errorf("%s: got %+v, want a search of %q", what, req, tt.object)
		}
		want := map[lookupKind]report.Sections{kindIP: searchIPSections, kindURL: searchURLSections,
			kindDomain: searchDomainSections, kindHash: searchHashSections}[tt.kind]
		if req.sections != want {
			t.Errorf("%s: sections %v, want %v", what, req.sections, want)
		}
	}
}

// checkFuzzErr fails unless err is a 400 with a message.
func checkFuzzErr(t *testing.T, what string, err error) {
	t.Helper()
	e, ok := err.(*intel.Error)
	if !ok || e.Kind != intel.KindInvalid || (e.Code != "invalid_request" && e.Code != "invalid_sections") || e.Message == "" {
		t.Fatalf("%s: got %T %v, want a 400 invalid_request or invalid_sections", what, err, err)
	}
}

func FuzzParseDomainLookup(f *testing.F) {
	for _, s := range []string{
		"example.com", "C2.BadCorp.Example.?count=1", "_dmarc.example.com", "b%C3%BCcher.example",
		"xn--bcher-kva.example", "example..com", ".example", "example.com..", strings.Repeat("a", 64) + ".example",
		strings.Repeat("a.", 127) + "a", "1.2.3.4", "1.2.3", "http://example.com", "example.com/", "example.com:80",
		"a%25b", "exa mple.com", "*.example", "%zz", "example.com?sections=IpWhoIs", "example.com?format=stix",
		"example.com?count=0", "%5B::1%5D", "xn--", "-a.example", "a-.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		path, query, _ := strings.Cut(domainPrefix+target, "?")
		req, err := parseDomainLookup(path, query, testCfg)
		if err != nil {
			checkFuzzErr(t, target, err)
			return
		}
		if req.object == "" || len(req.object) > 253 || req.object != strings.ToLower(req.object) || !utf8.ValidString(req.object) {
			t.Fatalf("%q: object %q is not a normalised name", target, req.object)
		}
		// The normal form is stable and its own request.
		again, err := parseDomainLookup(domainPrefix+url.PathEscape(req.object), "", testCfg)
		if err != nil || again.object != req.object {
			t.Fatalf("%q: %q looked up again gives %q, %v", target, req.object, again.object, err)
		}
	})
}

func FuzzParseHashLookup(f *testing.F) {
	for _, s := range []string{
		"0f343b0931126a20f133d67c2b018a3b", "b39998ba612fc7cfcd924e43cb11c2aef68c55a8",
		"32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771", "0x0f343b0931126a20f133d67c2b018a",
		"0f343b0931126a20f133d67c2b018a3b/", "0f343b0931126a20f133d67c2b018a3", "%200f343b0931126a20f133d67c2b018a3b",
		"0f343b0931126a20f133d67c2b018a3g", "0f343b0931126a20f133d67c2b018a3b?sections=Zone&count=0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		path, query, _ := strings.Cut(hashPrefix+target, "?")
		req, err := parseHashLookup(path, query, testCfg)
		if err != nil {
			checkFuzzErr(t, target, err)
			return
		}
		if intel.HashKind(req.object) == "" || req.object != strings.ToUpper(req.object) {
			t.Fatalf("%q: object %q is not an upper-case hash", target, req.object)
		}
		for _, c := range req.object {
			if !strings.ContainsRune("0123456789ABCDEF", c) {
				t.Fatalf("%q: object %q is not hexadecimal", target, req.object)
			}
		}
	})
}

func FuzzParseURLLookup(f *testing.F) {
	for _, s := range []string{
		"http://bad.example/p?x=1&count=5&count=1&format=json&sections=LicenseInfo%2CZone",
		"http://bad.example/p?a=1?sections=Zone", "http://bad.example/r?next=/a?b=1&count=3",
		"bad.example%2Fp%3Fx%3D1?sections=Zone", "HTTPS://Bad.Example/p", "bad.example/p?&&a=1&&",
		"ftp://bad.example/x", "http://", "%zz", "http://bad.example/%zz", "http://bad.example/p?count=%zz",
		"http://bad.example/p?sections=IpWhoIs", "http://[::1]:80/x", "http://bad.example\\@good.example/x",
		"http://user:pw@bad.example/p?token=abc&format=stix", "http%3A%2F%2Fbad.example?count=1&count=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		path, query, _ := strings.Cut(urlPrefix+target, "?")
		req, err := parseURLLookup(path, query, testCfg)
		if err != nil {
			checkFuzzErr(t, target, err)
			return
		}
		if !hasHTTPScheme(req.url) {
			t.Fatalf("%q: address %q has no http(s) scheme", target, req.url)
		}
		if req.count < 1 || req.count > testCfg.MaxCount || req.sections == 0 || req.sections&^report.AllURLSTIXSections != 0 {
			t.Fatalf("%q: parameters %+v out of range", target, req)
		}
		// The encoded form of the address looked up reaches the same
		// address.
		enc, err := parseURLLookup(urlPrefix+url.PathEscape(req.url), "", testCfg)
		if err != nil || enc.url != req.url {
			t.Fatalf("%q: the encoded form of %q gives %q, %v", target, req.url, enc.url, err)
		}
		// So does the search form, pasted.
		s, err := parseSearch(kindURL, "request="+strings.ReplaceAll(req.url, "%", "%25"), testCfg)
		if err != nil || s.url != req.url {
			t.Fatalf("%q: the search form of %q gives %q, %v", target, req.url, s.url, err)
		}
	})
}
