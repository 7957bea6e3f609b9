package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
)

// The examples of the contract for the domain, web-address and file
// lookups (§3.3, §4.3, §5.3, §6), verbatim.
const (
	specDomainExample = `{
  "LicenseInfo": {"AccessType": "Commercial", "DayRequests": 43, "DayQuota": 5000, "TokenExpirationDate": "2027-06-30T00:00:00Z"},
  "Zone": "Red",
  "RelatedObjects": {"HasRedZone": true},
  "DomainGeneralInfo": {"Domain": "c2.badcorp.example", "FilesCount": 10, "UrlsCount": 100, "HitsCount": 1000, "Ipv4Count": 2,
    "Categories": ["CATEGORY_BOTNET_CNC", "CATEGORY_MALWARE"],
    "CategoriesWithZone": [{"Name": "CATEGORY_BOTNET_CNC", "Zone": "Red"}, {"Name": "CATEGORY_MALWARE", "Zone": "Red"}],
    "HasApt": true, "RelatedAptReports": [{"Id": "rpt-2026-0117", "Type": "APT", "Title": "Example campaign"}]},
  "DomainWhoIsInfo": {"DomainName": "badcorp.example", "Created": "2025-10-01T00:00:00Z", "Updated": "2025-10-02T08:00:00Z",
    "Expires": "2026-10-01T00:00:00Z", "NameServers": ["ns1.host.example", "ns2.host.example"],
    "Contacts": [{"ContactType": "registrant", "Name": null, "Organization": "Privacy service", "Address": null, "City": null,
                  "State": null, "PostalCode": null, "CountryCode": "IS", "Phone": null, "Fax": null, "Email": null}],
    "Registrar": {"Info": "Example Registrar, Inc.", "IanaId": "9999", "Email": "abuse@registrar.example"},
    "DomainStatus": ["clientTransferProhibited https://icann.org/epp#clientTransferProhibited"],
    "RegistrationOrganization": "Example Registrar, Inc."},
  "DomainDnsResolutions": [{"Ip": "45.95.147.10", "Zone": "Red", "ThreatScore": 91, "HitsCount": 50, "FirstSeen": "2025-11-01T12:26Z",
    "LastSeen": "2026-11-26T23:33Z", "DailyPeak": 9, "PeakDate": "2025-11-12"}],
  "FilesDownloaded": [{"Zone": "Red", "DownloadHitsCount": 37, "Md5": "0F343B0931126A20F133D67C2B018A3B", "FirstSeen": "2026-11-20T08:15Z",
    "LastSeen": "2026-11-27T09:00Z", "DetectionName": "HEUR:Backdoor.Linux.Mirai.b", "Url": "c2.badcorp.example/bins/x86"}],
  "FilesAccessed": [{"Zone": "Red", "AccessHitsCount": 12, "Md5": "99DACD7B9C3D9926A650918005EB9F1D", "FirstSeen": "2026-11-21T10:00Z",
    "LastSeen": "2026-11-26T18:40Z", "DetectionName": "HEUR:Trojan.Win32.Generic", "Url": null}],
  "UrlReferrals": [{"Zone": "Orange", "Url": "paste.example/raw/a1b2", "FirstSeen": "2026-11-19T07:00Z", "LastSeen": "2026-11-25T07:00Z"}],
  "UrlReferredTo": [],
  "Subdomains": [{"Subdomain": "api.c2.badcorp.example", "Zone": "Red", "FilesCount": 1, "UrlsCount": 10, "HitsCount": 100}],
  "FeedMasks": [{"Zone": "Red", "Status": "Dangerous", "NormalizedMask": "c2.badcorp.example", "FeedNames": ["Botnet CC URL Feed"], "MaskType": "Host"}],
  "Industries": ["Telecommunications"]
}`

	specURLExample = `{
  "LicenseInfo": {"AccessType": "Commercial", "DayRequests": 44, "DayQuota": 5000, "TokenExpirationDate": "2027-06-30T00:00:00Z"},
  "Zone": "Red",
  "RelatedObjects": {"HasRedZone": true},
  "UrlGeneralInfo": {"Url": "45.95.147.10/bins/x86", "Host": "45.95.147.10", "Ipv4Count": 1, "FilesCount": 1,
    "Categories": ["CATEGORY_MALWARE"], "CategoriesWithZone": [{"Name": "CATEGORY_MALWARE", "Zone": "Red"}],
    "HasApt": false, "RelatedAptReports": []},
  "UrlDomainWhoIs": {"DomainName": null, "Created": null, "Updated": null, "Expires": null, "NameServers": [], "Contacts": [],
    "Registrar": {"Info": null, "IanaId": null, "Email": null}, "DomainStatus": [], "RegistrationOrganization": null},
  "DomainDnsResolutions": [],
  "FilesDownloaded": [{"Zone": "Red", "DownloadHitsCount": 37, "Md5": "0F343B0931126A20F133D67C2B018A3B", "FirstSeen": "2026-11-20T08:15Z",
    "LastSeen": "2026-11-27T09:00Z", "DetectionName": "HEUR:Backdoor.Linux.Mirai.b", "Url": "45.95.147.10/bins/x86"}],
  "FilesAccessed": [],
  "UrlReferrals": [{"Zone": "Red", "Url": "c2.badcorp.example/loader.sh", "FirstSeen": "2026-11-20T08:10Z", "LastSeen": "2026-11-26T18:40Z"}],
  "UrlReferredTo": [],
  "FeedMasks": [{"Zone": "Red", "Status": "Dangerous", "NormalizedMask": "45.95.147.10/bins/", "FeedNames": ["Malicious URL Feed"], "MaskType": "UrlPrefix"}],
  "Industries": []
}`

	specFileExample = `{
  "LicenseInfo": {"AccessType": "Commercial", "DayRequests": 45, "DayQuota": 5000, "TokenExpirationDate": "2027-06-30T00:00:00Z"},
  "Zone": "Red",
  "RelatedObjects": {"HasRedZone": true},
  "FileGeneralInfo": {"FileStatus": "Malware", "Md5": "0F343B0931126A20F133D67C2B018A3B",
    "Sha1": "B39998BA612FC7CFCD924E43CB11C2AEF68C55A8",
    "Sha256": "32BF9BFA0E40FE005F9B4AE4D242D65191C6847282E5BCB2C95D8C1892E91771",
    "FirstSeen": "2026-11-20T08:15:00Z", "LastSeen": "2026-11-27T09:00:00Z", "Signer": null, "SignerStatus": null,
    "SignerZone": null, "Packer": "UPX", "Size": 65536, "Type": "elf.32.le", "HitsCount": 100,
    "Categories": ["CATEGORY_MALWARE", "CATEGORY_BOTNET_CNC"], "HasApt": false, "RelatedAptReports": []},
  "DetectionsInfo": [
    {"LastDetectDate": "2026-11-27T09:00:00Z", "DescriptionUrl": null, "Zone": "Red",
     "DetectionName": "HEUR:Backdoor.Linux.Mirai.b", "DetectionMethod": "HEUR"},
    {"LastDetectDate": "2026-11-20T08:15:00Z", "DescriptionUrl": "https://malpedia.caad.fkie.fraunhofer.de/details/elf.mirai",
     "Zone": "Red", "DetectionName": "Mirai", "DetectionMethod": "Signature"}],
  "FileParentCertificates": [],
  "FileCertificates": [],
  "FileNames": [{"FileName": "x86", "FileNamesHitsCount": 37}],
  "FilePaths": [],
  "FileDownloadedFromUrls": [{"Zone": "Red", "Url": "45.95.147.10/bins/x86", "Domain": "45.95.147.10", "DownloadHitsCount": 37,
    "FirstDownloadDate": "2026-11-20T08:15:00Z", "LastDownloadDate": "2026-11-27T09:00:00Z"}],
  "FileAccessedUrls": [],
  "FileStartedObjects": [],
  "FileStartedBy": [{"Zone": "Red", "HitsCount": 10, "Md5": "75ECF1A9F52C9A20BFCFDD29C8014C4D", "Location": "~", "Path": ".cache/",
    "Name": "loader.sh", "DetectionName": "HEUR:Trojan-Downloader.Shell.Agent.p", "LastStartDate": "2026-11-26T18:40:00Z"}],
  "FileDownloadedObjects": [],
  "FileDownloadedBy": [],
  "Industries": []
}`

	specSearchDomainExample = `{"Zone":"Grey","DomainGeneralInfo":{"Domain":"shop.example"},
 "DomainWhoIsInfo":{"DomainName":"shop.example","Created":"2024-03-01T00:00:00Z","Expires":"2027-03-01T00:00:00Z",
  "NameServers":["ns1.host.example"],"Contacts":[{"ContactType":"registrant","CountryCode":"IS"}],
  "Registrar":{"Info":"Example Registrar, Inc.","IanaId":"9999"}}}`
)

// The item shapes of the lists the examples leave empty, from the tables
// of the contract (§2.4, §5.2), in their key order; values do not matter.
const (
	itemURL    = `{"Zone":null,"Url":null,"FirstSeen":null,"LastSeen":null}`
	itemRes    = `{"Ip":null,"Zone":null,"ThreatScore":null,"HitsCount":null,"FirstSeen":null,"LastSeen":null,"DailyPeak":null,"PeakDate":null}`
	itemAccess = `{"Zone":null,"AccessHitsCount":null,"Md5":null,"FirstSeen":null,"LastSeen":null,"DetectionName":null,"Url":null}`
	itemCont   = `{"ContactType":null,"Name":null,"Organization":null,"Address":null,"City":null,"State":null,"PostalCode":null,"CountryCode":null,"Phone":null,"Fax":null,"Email":null}`
	itemCert   = `{"Vendor":null,"Publisher":null,"TimeStamp":null,"Issued":null,"Expires":null,"SerialNumber":null}`
	itemRel    = `"Zone":null,"HitsCount":null,"Md5":null,"Location":null,"Path":null,"Name":null,"DetectionName":null`

	specDomainItems = `{"UrlReferredTo":[` + itemURL + `]}`
	itemReport      = `{"Id":null,"Type":null,"Title":null}`

	specURLItems = `{"UrlGeneralInfo":{"RelatedAptReports":[` + itemReport + `]},"UrlDomainWhoIs":{"Contacts":[` + itemCont + `]},"DomainDnsResolutions":[` + itemRes +
		`],"FilesAccessed":[` + itemAccess + `],"UrlReferredTo":[` + itemURL + `]}`
	specFileItems = `{"FileGeneralInfo":{"RelatedAptReports":[` + itemReport + `]},"FileParentCertificates":[` + itemCert + `],"FileCertificates":[` + itemCert +
		`],"FilePaths":[{"Path":null,"Location":null,"FilePathHitsCount":null}]` +
		`,"FileAccessedUrls":[{"Zone":null,"Url":null,"Domain":null,"AccessHitsCount":null,"FirstAccessDate":null,"LastAccessDate":null}]` +
		`,"FileStartedObjects":[{` + itemRel + `,"LastStartDate":null}]` +
		`,"FileDownloadedObjects":[{` + itemRel + `,"LastDownloadDate":null}]` +
		`,"FileDownloadedBy":[{` + itemRel + `,"LastDownloadDate":null}]}`
)

// jobj is a decoded JSON object that keeps its key order.
type jobj struct {
	keys []string
	vals map[string]any
}

// decodeOrdered decodes one JSON value: objects as *jobj, numbers as
// json.Number.
func decodeOrdered(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := readOrdered(dec)
	if err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("trailing data after the JSON value: %v", err)
	}
	return v
}

func readOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &jobj{vals: map[string]any{}}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key := k.(string)
			if _, dup := o.vals[key]; dup {
				return nil, fmt.Errorf("duplicate key %q", key)
			}
			v, err := readOrdered(dec)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, key)
			o.vals[key] = v
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		l := []any{}
		for dec.More() {
			v, err := readOrdered(dec)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := dec.Token()
		return l, err
	}
	return tok, nil
}

// encodeOrdered writes v back as compact JSON in its key order.
func encodeOrdered(v any) string {
	var b strings.Builder
	var enc func(any)
	enc = func(v any) {
		switch x := v.(type) {
		case *jobj:
			b.WriteByte('{')
			for i, k := range x.keys {
				if i > 0 {
					b.WriteByte(',')
				}
				kb, _ := json.Marshal(k)
				b.Write(kb)
				b.WriteByte(':')
				enc(x.vals[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				enc(e)
			}
			b.WriteByte(']')
		default:
			vb, _ := json.Marshal(x)
			b.Write(vb)
		}
	}
	enc(v)
	return b.String()
}

// keyTree maps the path of every object ("" the body, "A.B", list items
// "A[]") to its keys in first-seen order.
func keyTree(v any) map[string][]string {
	tree := map[string][]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case *jobj:
			if _, ok := tree[path]; !ok {
				tree[path] = nil
			}
			for _, k := range x.keys {
				if indexOf(tree[path], k) < 0 {
					tree[path] = append(tree[path], k)
				}
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, x.vals[k])
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		}
	}
	walk("", v)
	return tree
}

// mergeTrees adds the keys of extra to base (new keys after base's).
func mergeTrees(base, extra map[string][]string) map[string][]string {
	for p, keys := range extra {
		for _, k := range keys {
			if indexOf(base[p], k) < 0 {
				base[p] = append(base[p], k)
			}
		}
	}
	return base
}

// checkKeySets checks the keys of body against the reference key tree of
// the contract: no unknown key, keys in the reference order, and every
// reference key of every object the body holds (lists with items hold
// objects; an empty list holds none).
func checkKeySets(t *testing.T, body []byte, ref map[string][]string) {
	t.Helper()
	got := keyTree(decodeOrdered(t, body))
	for path, keys := range got {
		want, ok := ref[path]
		if !ok {
			t.Errorf("object %q is not in the contract", path)
			continue
		}
		last := -1
		for _, k := range keys {
			i := indexOf(want, k)
			switch {
			case i < 0:
				t.Errorf("%q: unknown key %q", path, k)
			case i <= last:
				t.Errorf("%q: key %q out of order: %v, want order %v", path, k, keys, want)
			default:
				last = i
			}
		}
		if path == "" {
			continue // the sections asked for
		}
		for _, k := range want {
			if indexOf(keys, k) < 0 {
				t.Errorf("%q: key %q missing", path, k)
			}
		}
	}
}

func refTree(t *testing.T, example, items string) map[string][]string {
	return mergeTrees(keyTree(decodeOrdered(t, []byte(example))), keyTree(decodeOrdered(t, []byte(items))))
}

var (
	reUpperHex = regexp.MustCompile(`^[0-9A-F]+$`)
	dateKeys   = map[string]bool{"Created": true, "Updated": true, "Expires": true, "FirstSeen": true, "LastSeen": true,
		"LastDetectDate": true, "TimeStamp": true, "Issued": true, "FirstDownloadDate": true, "LastDownloadDate": true,
		"FirstAccessDate": true, "LastAccessDate": true, "LastStartDate": true, "TokenExpirationDate": true}
	hashKeys = map[string]bool{"Md5": true, "Sha1": true, "Sha256": true, "SerialNumber": true}
	// list-item dates that are never null (§2.2).
	pairDates = map[string]bool{"FirstSeen": true, "LastSeen": true, "FirstDownloadDate": true,
		"LastDownloadDate": true, "FirstAccessDate": true, "LastAccessDate": true}
)

// checkValues checks the value rules of the contract (§2.2) on every field
// of body: date layouts (list items' FirstSeen/LastSeen to the minute and
// never null), upper-case hashes, scheme-less Url fields, valid zones,
// PeakDate null exactly when DailyPeak is 0, nested WHOIS objects never
// null. search: no empty value at all (§6).
func checkValues(t *testing.T, body []byte, search bool) {
	t.Helper()
	var walk func(path, key string, inItem bool, v any)
	walk = func(path, key string, inItem bool, v any) {
		bad := func(why string) { t.Errorf("%s: %s is %s", path, encodeOrdered(v), why) }
		s, isStr := v.(string)
		if search {
			switch x := v.(type) {
			case nil:
				bad("null in a search form")
			case bool:
				if !x {
					bad("false in a search form")
				}
			case json.Number:
				if x == "0" {
					bad("0 in a search form")
				}
			case []any:
				if len(x) == 0 {
					bad("[] in a search form")
				}
			case *jobj:
				if len(x.keys) == 0 {
					bad("{} in a search form")
				}
			case string:
				if x == "" {
					bad(`"" in a search form`)
				}
			}
		}
		switch {
		case key == "Zone" || key == "SignerZone":
			if v != nil && (!isStr || !intel.Zone(s).Valid()) {
				bad("not a zone")
			}
		case key == "PeakDate":
			if v != nil && (!isStr || !reDay.MatchString(s)) {
				bad("not a day")
			}
		case inItem && (key == "FirstSeen" || key == "LastSeen"):
			if !isStr || !reMinute.MatchString(s) {
				bad("not a minute date (never null)")
			}
		case dateKeys[key]:
			if inItem && pairDates[key] && v == nil {
				bad("a null list-item date")
			}
			if v != nil && (!isStr || !reDateTime.MatchString(s)) {
				bad("not a date-time")
			}
		case hashKeys[key]:
			if v != nil && (!isStr || !reUpperHex.MatchString(s)) {
				bad("not upper-case hex")
			}
		case key == "Url":
			if v != nil && (!isStr || strings.Contains(s, "://")) {
				bad("not a scheme-less web address")
			}
		case key == "Registrar" || key == "DomainWhoIsInfo" || key == "UrlDomainWhoIs":
			if _, ok := v.(*jobj); !ok && !search {
				bad("not an object")
			}
		}
		switch x := v.(type) {
		case *jobj:
			if peak, ok := x.vals["DailyPeak"]; ok && !search {
				if (peak == json.Number("0")) != (x.vals["PeakDate"] == nil) {
					t.Errorf("%s: DailyPeak %v with PeakDate %v", path, peak, x.vals["PeakDate"])
				}
			}
			for _, k := range x.keys {
				walk(path+"."+k, k, inItem, x.vals[k])
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), key, true, e)
			}
		}
	}
	walk("", "", false, decodeOrdered(t, body))
}

// The key orders of the sections (§3.2, §4.2, §5.2).
var (
	domainOrder = strings.Split("LicenseInfo,Zone,RelatedObjects,DomainGeneralInfo,DomainWhoIsInfo,DomainDnsResolutions,FilesDownloaded,FilesAccessed,UrlReferrals,UrlReferredTo,Subdomains,FeedMasks,Industries", ",")
	fileOrder   = strings.Split("LicenseInfo,Zone,RelatedObjects,FileGeneralInfo,DetectionsInfo,FileParentCertificates,FileCertificates,FileNames,FilePaths,FileDownloadedFromUrls,FileAccessedUrls,FileStartedObjects,FileStartedBy,FileDownloadedObjects,FileDownloadedBy,Industries", ",")
)

func TestObjectGolden(t *testing.T) {
	domainRef := refTree(t, specDomainExample, specDomainItems)
	urlRef := refTree(t, specURLExample, specURLItems)
	fileRef := refTree(t, specFileExample, specFileItems)
	cases := []struct {
		name string
		ref  map[string][]string // nil: a search form
		body func() []byte
	}{
		{"domain-example", domainRef, func() []byte { return AppendDomainJSON(nil, domainExampleReport()) }},
		{"domain-full", domainRef, func() []byte { return AppendDomainJSON(nil, domainFullReport()) }},
		{"domain-unknown", domainRef, func() []byte { return AppendDomainJSON(nil, domainUnknownReport()) }},
		{"url-example", urlRef, func() []byte { return AppendURLJSON(nil, urlExampleReport()) }},
		{"url-full", urlRef, func() []byte { return AppendURLJSON(nil, urlFullReport()) }},
		{"url-whois-only", urlRef, func() []byte { return AppendURLJSON(nil, urlWhoisOnlyReport()) }},
		{"file-example", fileRef, func() []byte { return AppendFileJSON(nil, fileExampleReport()) }},
		{"file-full", fileRef, func() []byte { return AppendFileJSON(nil, fileFullReport()) }},
		{"file-unknown", fileRef, func() []byte { return AppendFileJSON(nil, fileUnknownReport()) }},
		{"search-domain", nil, func() []byte { return AppendSearchDomainJSON(nil, domainFullReport()) }},
		{"search-domain-whois-only", nil, func() []byte { return AppendSearchDomainJSON(nil, domainWhoisOnlyReport()) }},
		{"search-url", nil, func() []byte { return AppendSearchURLJSON(nil, urlFullReport()) }},
		{"search-url-whois-only", nil, func() []byte { return AppendSearchURLJSON(nil, urlWhoisOnlyReport()) }},
		{"search-file", nil, func() []byte { return AppendSearchFileJSON(nil, fileFullReport()) }},
		{"search-file-unknown", nil, func() []byte { return AppendSearchFileJSON(nil, fileUnknownReport()) }},
		{"search-ip", nil, func() []byte { return AppendSearchIPJSON(nil, redReport()) }},
		{"search-ip-whois-only", nil, func() []byte { return AppendSearchIPJSON(nil, ipWhoisOnlyReport()) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.body()
			var compact bytes.Buffer
			if err := json.Compact(&compact, got); err != nil {
				t.Fatalf("invalid JSON: %v\n%s", err, got)
			}
			if !bytes.Equal(compact.Bytes(), got) {
				t.Errorf("output is not compact JSON")
			}
			want := golden(t, tc.name, got)
			decodeOrdered(t, want)
			checkValues(t, got, tc.ref == nil)
			if tc.ref != nil {
				checkKeySets(t, got, tc.ref)
			}
		})
	}
}

// TestSpecExamples checks that the reports mirroring the contract's
// examples render exactly the examples: values, keys and key order.
func TestSpecExamples(t *testing.T) {
	cases := []struct {
		name string
		want string
		got  []byte
	}{
		{"domain §3.3", specDomainExample, AppendDomainJSON(nil, domainExampleReport())},
		{"url §4.3", specURLExample, AppendURLJSON(nil, urlExampleReport())},
		{"file §5.3", specFileExample, AppendFileJSON(nil, fileExampleReport())},
		{"search domain §6", specSearchDomainExample, AppendSearchDomainJSON(nil, domainWhoisOnlyReport())},
	}
	for _, tc := range cases {
		want, got := decodeOrdered(t, []byte(tc.want)), decodeOrdered(t, tc.got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.name, encodeOrdered(got), encodeOrdered(want))
		}
	}
	// The file's three hashes answer alike.
	for _, q := range []string{md5Mirai, sha2Mirai} {
		r := fileExampleReport()
		r.Query, r.SHA1 = q, sha1Mirai
		if got := AppendFileJSON(nil, r); !bytes.Equal(got, AppendFileJSON(nil, fileExampleReport())) {
			t.Errorf("asked by %s: got %s, want the SHA-1 answer", q, got)
		}
	}
}

// searchKeys are the subsets of the search forms (§6): the keys kept of
// the objects at these paths of the path form.
var searchKeys = map[string]map[string][]string{
	"domain": {
		"":                  {"Zone", "DomainGeneralInfo", "DomainWhoIsInfo"},
		"DomainGeneralInfo": {"Domain", "FilesCount", "UrlsCount", "HitsCount", "Ipv4Count", "Categories", "CategoriesWithZone"},
	},
	"url": {
		"":               {"Zone", "UrlGeneralInfo", "UrlDomainWhoIs"},
		"UrlGeneralInfo": {"Url", "Host", "Ipv4Count", "FilesCount", "Categories", "CategoriesWithZone"},
	},
	"file": {
		"":                {"Zone", "FileGeneralInfo", "DetectionsInfo"},
		"FileGeneralInfo": {"FileStatus", "Md5", "Sha1", "Sha256", "FirstSeen", "LastSeen", "Signer", "Packer", "Size", "Type", "HitsCount"},
	},
	"ip": {
		"":              {"Zone", "IpGeneralInfo", "IpWhoIs"},
		"IpGeneralInfo": {"Ip", "Status", "CountryCode", "HitsCount", "FirstSeen", "Categories", "CategoriesWithZone"},
	},
}

// searchForm derives the search form from a decoded path form: the subsets
// of keys, empty values left out (nested too), Zone, Domain, Url, Host and
// FileStatus kept, a WHOIS object without a record left out.
func searchForm(v any, keep map[string][]string) any {
	alwaysKept := map[string]bool{"Zone": true, "Domain": true, "Url": true, "Host": true, "FileStatus": true}
	var prune func(path string, v any) (any, bool)
	prune = func(path string, v any) (any, bool) {
		switch x := v.(type) {
		case nil:
			return nil, false
		case bool:
			return x, x
		case json.Number:
			return x, x != "0"
		case string:
			return x, x != ""
		case []any:
			var out []any
			for _, e := range x {
				if pe, ok := prune(path+"[]", e); ok {
					out = append(out, pe)
				}
			}
			return out, len(out) > 0
		case *jobj:
			out := &jobj{vals: map[string]any{}}
			keys := x.keys
			if sub, ok := keep[path]; ok {
				keys = sub
			}
			for _, k := range keys {
				cv, present := x.vals[k]
				if !present {
					continue
				}
				p := k
				if path != "" {
					p = path + "." + k
				}
				pv, ok := prune(p, cv)
				if ok || (alwaysKept[k] && cv != nil) {
					out.keys = append(out.keys, k)
					out.vals[k] = pv
				}
			}
			switch path {
			case "DomainWhoIsInfo", "UrlDomainWhoIs":
				if len(out.keys) == 1 && out.keys[0] == "DomainName" {
					return nil, false
				}
			case "IpWhoIs":
				if len(out.keys) == 1 && out.keys[0] == "Status" {
					return nil, false
				}
			}
			return out, len(out.keys) > 0
		}
		panic(fmt.Sprintf("unexpected %T", v))
	}
	out, _ := prune("", v)
	return out
}

// TestSearchFormsProjectPathForms checks every search form against the
// path form of the same report cut down by the rules of §6.
func TestSearchFormsProjectPathForms(t *testing.T) {
	all := func(r *report.IPReport) *report.IPReport { r.Sections = report.AllIPSections; return r }
	cases := []struct {
		name, kind   string
		path, search []byte
	}{
		{"domain full", "domain", AppendDomainJSON(nil, domainFullReport()), AppendSearchDomainJSON(nil, domainFullReport())},
		{"domain example", "domain", AppendDomainJSON(nil, domainExampleReport()), AppendSearchDomainJSON(nil, domainExampleReport())},
		{"domain whois only", "domain", AppendDomainJSON(nil, domainWhoisOnlyReport()), AppendSearchDomainJSON(nil, domainWhoisOnlyReport())},
		{"domain unknown", "domain", AppendDomainJSON(nil, domainUnknownReport()), AppendSearchDomainJSON(nil, domainUnknownReport())},
		{"url full", "url", AppendURLJSON(nil, urlFullReport()), AppendSearchURLJSON(nil, urlFullReport())},
		{"url ip host", "url", AppendURLJSON(nil, urlExampleReport()), AppendSearchURLJSON(nil, urlExampleReport())},
		{"url whois only", "url", AppendURLJSON(nil, urlWhoisOnlyReport()), AppendSearchURLJSON(nil, urlWhoisOnlyReport())},
		{"file full", "file", AppendFileJSON(nil, fileFullReport()), AppendSearchFileJSON(nil, fileFullReport())},
		{"file example", "file", AppendFileJSON(nil, fileExampleReport()), AppendSearchFileJSON(nil, fileExampleReport())},
		{"file unknown", "file", AppendFileJSON(nil, fileUnknownReport()), AppendSearchFileJSON(nil, fileUnknownReport())},
		{"ip red", "ip", AppendIPJSON(nil, redReport()), AppendSearchIPJSON(nil, redReport())},
		{"ip v6", "ip", AppendIPJSON(nil, ipv6Report()), AppendSearchIPJSON(nil, ipv6Report())},
		{"ip grey", "ip", AppendIPJSON(nil, all(greyReport())), AppendSearchIPJSON(nil, greyReport())},
		{"ip whois only", "ip", AppendIPJSON(nil, all(ipWhoisOnlyReport())), AppendSearchIPJSON(nil, ipWhoisOnlyReport())},
		{"ip reserved", "ip", AppendIPJSON(nil, reservedReport(t, "192.168.10.1")), AppendSearchIPJSON(nil, reservedReport(t, "192.168.10.1"))},
	}
	for _, tc := range cases {
		want := searchForm(decodeOrdered(t, tc.path), searchKeys[tc.kind])
		got := decodeOrdered(t, tc.search)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.name, encodeOrdered(got), encodeOrdered(want))
		}
		checkValues(t, tc.search, true)
	}
}

// TestObjectSectionsOnly checks that each section asked alone is the only
// key, and that no section gives {}.
func TestObjectSectionsOnly(t *testing.T) {
	for _, name := range domainOrder {
		sec, err := report.ParseDomainSections(name)
		if err != nil {
			t.Fatal(err)
		}
		r := domainFullReport()
		r.Sections = sec
		if keys := topKeys(t, AppendDomainJSON(nil, r)); len(keys) != 1 || keys[0] != name {
			t.Errorf("domain sections=%s: got keys %v, want [%s]", name, keys, name)
		}
	}
	for _, name := range fileOrder {
		sec, err := report.ParseFileSections(name)
		if err != nil {
			t.Fatal(err)
		}
		r := fileFullReport()
		r.Sections = sec
		if keys := topKeys(t, AppendFileJSON(nil, r)); len(keys) != 1 || keys[0] != name {
			t.Errorf("file sections=%s: got keys %v, want [%s]", name, keys, name)
		}
	}
	for _, name := range urlOrder {
		sec, err := report.ParseURLSections(name)
		if err != nil {
			t.Fatal(err)
		}
		r := urlFullReport()
		r.Sections = sec
		if keys := topKeys(t, AppendURLJSON(nil, r)); len(keys) != 1 || keys[0] != name {
			t.Errorf("url sections=%s: got keys %v, want [%s]", name, keys, name)
		}
	}
	for _, body := range [][]byte{
		AppendDomainJSON(nil, &report.DomainReport{}), AppendFileJSON(nil, &report.FileReport{}),
		AppendURLJSON(nil, &report.URLReport{}),
	} {
		if string(body) != "{}" {
			t.Errorf("no sections: got %s, want {}", body)
		}
	}
}

// TestObjectRules checks the rules the goldens show only once or not at
// all, each on one rendered fragment.
func TestObjectRules(t *testing.T) {
	domain := string(AppendDomainJSON(nil, domainFullReport()))
	url := string(AppendURLJSON(nil, urlFullReport()))
	file := string(AppendFileJSON(nil, fileFullReport()))
	unknownDomain := string(AppendDomainJSON(nil, domainUnknownReport()))
	unknownFile := string(AppendFileJSON(nil, fileUnknownReport()))
	ipHost := string(AppendURLJSON(nil, urlExampleReport()))
	tests := []struct {
		name, body, want string
		absent           bool
	}{
		{"undated LastSeen is FirstSeen", domain, `{"Ip":"198.51.100.7","Zone":"Orange","ThreatScore":60,"HitsCount":4,"FirstSeen":"2026-10-01T06:07Z","LastSeen":"2026-10-01T06:07Z","DailyPeak":0,"PeakDate":null}`, false},
		{"undated FirstSeen is LastSeen", domain, `"FirstSeen":"2026-09-01T00:00Z","LastSeen":"2026-09-01T00:00Z"`, false},
		{"IPv6 resolutions not listed", domain, `2a0e:97c0::1`, true},
		{"files without MD5 not listed", domain, `nomd5`, true},
		{"scheme cut in any case", domain, `"Url":"c2.badcorp.example/a.sh"`, false},
		{"MD5 upper-cased", domain, `"Md5":"D41D8CD98F00B204E9800998ECF8427E"`, false},
		{"subdomain counts rounded", domain, `{"Subdomain":"api.c2.badcorp.example","Zone":"Red","FilesCount":1,"UrlsCount":10,"HitsCount":100}`, false},
		{"item hits exact", domain, `"AccessHitsCount":12,`, false},
		{"all eleven contact fields", domain, `{"ContactType":"technical","Name":null,"Organization":null,"Address":null,"City":null,"State":null,"PostalCode":null,"CountryCode":null,"Phone":null,"Fax":null,"Email":"tech@badcorp.example"}`, false},
		{"escaped contact", domain, `"Name":"Jane \"J\" Doe","Organization":"BadCorp","Address":"1 Example Street\nSuite 2","City":"Reykjavík"`, false},
		{"url files count rounded", url, `"Ipv4Count":2,"FilesCount":100,`, false},
		{"url download scheme cut", url, `"Url":"c2.badcorp.example/bins/x86"}`, false},
		{"url whois of the host's domain", url, `"UrlDomainWhoIs":{"DomainName":"badcorp.example",`, false},
		{"accessed file without address", url, `"DetectionName":"HEUR:Trojan.Win32.Generic","Url":null}`, false},
		{"IP host whois shaped", ipHost, `"UrlDomainWhoIs":{"DomainName":null,"Created":null,"Updated":null,"Expires":null,"NameServers":[],"Contacts":[],"Registrar":{"Info":null,"IanaId":null,"Email":null},"DomainStatus":[],"RegistrationOrganization":null}`, false},
		{"signer", file, `"Signer":"Example Signing Ltd","SignerStatus":"Discredited","SignerZone":"Red"`, false},
		{"all hashes upper-case", file, `"Md5":"0F343B0931126A20F133D67C2B018A3B","Sha1":"B39998BA612FC7CFCD924E43CB11C2AEF68C55A8","Sha256":"32BF`, false},
		{"serial upper-cased", file, `"SerialNumber":"0A1B2C3D"`, false},
		{"unknown certificate fields null", file, `{"Vendor":null,"Publisher":"Unknown issuer","TimeStamp":null,"Issued":null,"Expires":null,"SerialNumber":null}`, false},
		{"path without location", file, `{"Path":"/var/run/x86","Location":null,"FilePathHitsCount":1}`, false},
		{"accessed address dates paired, IPv6 domain unbracketed", file, `{"Zone":"Red","Url":"[2a0e:97c0::1]:8080/gate","Domain":"2a0e:97c0::1","AccessHitsCount":4,"FirstAccessDate":"2026-11-25T01:02:03Z","LastAccessDate":"2026-11-25T01:02:03Z"}`, false},
		{"download dates paired", file, `"DownloadHitsCount":2,"FirstDownloadDate":"2026-11-21T00:00:00Z","LastDownloadDate":"2026-11-21T00:00:00Z"`, false},
		{"related file unknowns null", file, `{"Zone":"Grey","HitsCount":1,"Md5":null,"Location":null,"Path":"/bin/","Name":"sh","DetectionName":null,"LastStartDate":null}`, false},
		{"no zones of categories for files", file, `CategoriesWithZone`, true},
		{"unknown domain shaped", unknownDomain, `"DomainGeneralInfo":{"Domain":"new.unknown.example","FilesCount":0,"UrlsCount":0,"HitsCount":0,"Ipv4Count":0,"Categories":[],"CategoriesWithZone":[],"HasApt":false,"RelatedAptReports":[]},"DomainWhoIsInfo":{"DomainName":"unknown.example","Created":null,"Updated":null,"Expires":null,"NameServers":[],"Contacts":[],"Registrar":{"Info":null,"IanaId":null,"Email":null},"DomainStatus":[],"RegistrationOrganization":null},"DomainDnsResolutions":[],"FilesDownloaded":[],"FilesAccessed":[],"UrlReferrals":[],"UrlReferredTo":[],"Subdomains":[],"FeedMasks":[],"Industries":[]}`, false},
		{"unknown domain grey", unknownDomain, `"Zone":"Grey","RelatedObjects":{"HasRedZone":false}`, false},
		{"unknown file echoes its hash", unknownFile, `"FileGeneralInfo":{"FileStatus":"Not categorized","Md5":null,"Sha1":null,"Sha256":"` + sha2Empty + `","FirstSeen":null,"LastSeen":null,"Signer":null,"SignerStatus":null,"SignerZone":null,"Packer":null,"Size":null,"Type":null,"HitsCount":0,"Categories":[],"HasApt":false,"RelatedAptReports":[]}`, false},
		{"unknown file lists", unknownFile, `"DetectionsInfo":[],"FileParentCertificates":[],"FileCertificates":[],"FileNames":[],"FilePaths":[],"FileDownloadedFromUrls":[],"FileAccessedUrls":[],"FileStartedObjects":[],"FileStartedBy":[],"FileDownloadedObjects":[],"FileDownloadedBy":[],"Industries":[]}`, false},
	}
	for _, tt := range tests {
		if got := strings.Contains(tt.body, tt.want); got == tt.absent {
			what := "missing"
			if tt.absent {
				what = "present"
			}
			t.Errorf("%s: %s %s in\n%s", tt.name, what, tt.want, tt.body)
		}
	}
	// The search forms: what is left out and what is kept.
	searchTests := []struct {
		name string
		got  []byte
		want string
	}{
		{"unknown file: status and hash", AppendSearchFileJSON(nil, fileUnknownReport()),
			`{"Zone":"Grey","FileGeneralInfo":{"FileStatus":"Not categorized","Sha256":"` + sha2Empty + `"}}`},
		{"unknown domain, no record", AppendSearchDomainJSON(nil, domainUnknownReport()),
			`{"Zone":"Grey","DomainGeneralInfo":{"Domain":"new.unknown.example"}}`},
		{"ip host, no record", AppendSearchURLJSON(nil, urlExampleReport()),
			`{"Zone":"Red","UrlGeneralInfo":{"Url":"45.95.147.10/bins/x86","Host":"45.95.147.10","Ipv4Count":1,"FilesCount":1,"Categories":["CATEGORY_MALWARE"],"CategoriesWithZone":[{"Name":"CATEGORY_MALWARE","Zone":"Red"}]}}`},
		{"ip, empty contact left out", AppendSearchIPJSON(nil, ipWhoisOnlyReport()),
			`{"Zone":"Grey","IpGeneralInfo":{"Ip":"198.135.184.22","Status":"Known","CountryCode":"US"},"IpWhoIs":{"Type":"NetRange","Status":"Known","Asn":[{"Number":64500,"Origin":"AS64500"}],"Net":{"RangeStart":"198.135.184.0","RangeEnd":"198.135.187.255","Name":"EXAMPLE-NET"},"Contacts":[{"ContactRole":"abuse","Email":"abuse@net.example"}]}}`},
		{"ip without record", AppendSearchIPJSON(nil, greyReport()),
			`{"Zone":"Grey","IpGeneralInfo":{"Ip":"198.135.184.22","Status":"NoInfo"}}`},
	}
	for _, tt := range searchTests {
		if string(tt.got) != tt.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestNoScheme(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://a.example/x", "a.example/x"}, {"HTTPS://a.example", "a.example"}, {"HtTp://a", "a"},
		{"a.example/http://b", "a.example/http://b"}, {"http:/a", "http:/a"}, {"ftp://a", "ftp://a"}, {"", ""},
		{"https:", "https:"}, {"httpx://a", "httpx://a"},
	}
	for _, tt := range tests {
		if got := noScheme(tt.in); got != tt.want {
			t.Errorf("noScheme(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStreamObjectJSON checks that the streamed domain, web-address and
// file bodies are the appended ones, whatever the chunk, and that a
// failing writer stops them.
func TestStreamObjectJSON(t *testing.T) {
	d, u, f := bigDomainReport(300), bigURLReport(300), bigFileReport(300)
	type form struct {
		name   string
		want   []byte
		stream func(buf []byte, out io.Writer, chunk int) ([]byte, error)
	}
	forms := []form{
		{"domain", AppendDomainJSON(nil, d), func(buf []byte, out io.Writer, chunk int) ([]byte, error) {
			return StreamDomainJSON(buf, d, out, chunk)
		}},
		{"url", AppendURLJSON(nil, u), func(buf []byte, out io.Writer, chunk int) ([]byte, error) {
			return StreamURLJSON(buf, u, out, chunk)
		}},
		{"file", AppendFileJSON(nil, f), func(buf []byte, out io.Writer, chunk int) ([]byte, error) {
			return StreamFileJSON(buf, f, out, chunk)
		}},
	}
	for _, fm := range forms {
		for _, chunk := range []int{1, 100, 4096, len(fm.want) + 1} {
			var out bytes.Buffer
			rest, err := fm.stream(make([]byte, 0, 64), &out, chunk)
			if err != nil {
				t.Fatal(err)
			}
			if got := append(out.Bytes(), rest...); !bytes.Equal(got, fm.want) {
				t.Errorf("%s, chunk %d: streamed body differs from the appended one (%d vs %d bytes)", fm.name, chunk, len(got), len(fm.want))
			}
			if chunk > len(fm.want) && out.Len() != 0 {
				t.Errorf("%s, chunk %d: %d bytes handed out for a body under the chunk", fm.name, chunk, out.Len())
			}
			if lim := 2*chunk + 16<<10; chunk < len(fm.want) && cap(rest) > lim {
				t.Errorf("%s, chunk %d: buffer grew to %d bytes, want at most %d", fm.name, chunk, cap(rest), lim)
			}
		}
		w := &failAfter{n: 2}
		if _, err := fm.stream(nil, w, 1000); !errors.Is(err, errWriteFailed) || w.calls != 3 {
			t.Errorf("%s, failing writer: err %v after %d calls; want its error after 3 calls", fm.name, err, w.calls)
		}
	}
}

func BenchmarkObjectJSON(b *testing.B) {
	d, u, f := bigDomainReport(100), bigURLReport(100), bigFileReport(100)
	ip := redReport()
	benches := []struct {
		name   string
		render func(dst []byte) []byte
	}{
		{"Domain", func(dst []byte) []byte { return AppendDomainJSON(dst, d) }},
		{"URL", func(dst []byte) []byte { return AppendURLJSON(dst, u) }},
		{"File", func(dst []byte) []byte { return AppendFileJSON(dst, f) }},
		{"SearchDomain", func(dst []byte) []byte { return AppendSearchDomainJSON(dst, d) }},
		{"SearchURL", func(dst []byte) []byte { return AppendSearchURLJSON(dst, u) }},
		{"SearchFile", func(dst []byte) []byte { return AppendSearchFileJSON(dst, f) }},
		{"SearchIP", func(dst []byte) []byte { return AppendSearchIPJSON(dst, ip) }},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			buf := bb.render(nil)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = bb.render(buf[:0])
			}
		})
	}
}

// FuzzObjectJSON puts arbitrary text and numbers into the reports and
// checks that every form is valid JSON and that the search forms hold no
// empty value.
func FuzzObjectJSON(f *testing.F) {
	f.Add("Jane \"J\" Doe", "", "\x00\xff\u2028", int64(0), int64(1700000000))
	f.Add("", "", "", int64(-1), int64(0))
	f.Add("a", "b", "c", int64(12), int64(-62135596800))
	f.Fuzz(func(t *testing.T, a, b, c string, n, secs int64) {
		tm := time.Unix(secs%253402300799, 0) // years 0001-9999 either side of 1970
		if tm.Year() < 1 {
			tm = time.Time{}
		}
		d := domainFullReport()
		d.Domain = a + "x"
		d.HitsCount, d.IPv4Count = n, n
		d.Whois.Registrar, d.Whois.RegistrarID, d.Whois.RegistrarEmail = a, b, c
		d.Whois.Created, d.Whois.Expires = tm, tm
		d.Whois.NameServers = []string{a, b}
		d.Whois.Contacts = []intel.DomainContact{{Name: a}, {Organization: b, Email: c}, {}}
		d.Whois.RegistrationOrganization = c
		d.Categories[0].Name = intel.Category(b)
		u := urlFullReport()
		u.Host, u.Whois = a+"h", d.Whois
		u.FilesCount = n
		fr := fileFullReport()
		fr.Signer, fr.Packer, fr.Type, fr.Size, fr.FirstSeen = a, b, c, n, tm
		fr.Detections = append(fr.Detections, report.DetectionItem{LastDetect: tm, DescriptionURL: a, Name: b, Method: c})
		ip := ipWhoisOnlyReport()
		ip.General.CountryCode, ip.General.HitsCount, ip.General.FirstSeen = a, n, tm
		ip.Whois.Contacts = append(ip.Whois.Contacts, intel.Contact{Address: []string{a, ""}, Name: b, Email: c})
		for _, body := range [][]byte{AppendDomainJSON(nil, d), AppendURLJSON(nil, u), AppendFileJSON(nil, fr)} {
			if !json.Valid(body) {
				t.Fatalf("invalid JSON: %s", body)
			}
		}
		for _, body := range [][]byte{AppendSearchDomainJSON(nil, d), AppendSearchURLJSON(nil, u),
			AppendSearchFileJSON(nil, fr), AppendSearchIPJSON(nil, ip)} {
			if !json.Valid(body) {
				t.Fatalf("invalid JSON: %s", body)
			}
			checkValues(t, body, true)
		}
	})
}
