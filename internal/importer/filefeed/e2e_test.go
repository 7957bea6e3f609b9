package filefeed_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/importer/filefeed"
	"github.com/tipd/tipd/internal/importer/importtest"
	"github.com/tipd/tipd/internal/importer/jsonl"
	"github.com/tipd/tipd/internal/intel"
)

// The Mirai sample of both fixtures, and the executable of both.
const (
	miraiSHA256 = "C2F09467C7900AECF994E4CAFEE68DFE7E4EB5DC2274ABC1FBA1C8B8C4795B9F"
	miraiMD5    = "D8F6F52483F16B71942EEECC5CA01092"
	miraiSHA1   = "0971982A20722BDDA3DEF59D7974CC6CC52FEB4F"
	exeSHA256   = "2A7F3B19E4C8E4D29A6599CB340085FE72EE45F1FA6CF36D05F512AC06A71400"
	exeMD5      = "186295546B327DD3659A942573CB4519"
)

// resolutions are the passive DNS the payloads' domain needs.
const resolutions = `{"kind":"resolution","domain":"dl.badcorp.example","ip":"198.51.100.30","first_seen":"2026-07-01","last_seen":"2026-11-27"}
`

func newWorld(t *testing.T) *importtest.World {
	t.Helper()
	w := importtest.NewWorld()
	path := filepath.Join(t.TempDir(), "dns.jsonl")
	if err := os.WriteFile(path, []byte(resolutions), 0o644); err != nil {
		t.Fatal(err)
	}
	w.Import(t, path, func() importer.Parser { return jsonl.New(importer.ParserConfig{}) }, importer.Options{})
	return w
}

var (
	bazaar   = func() importer.Parser { return filefeed.NewMalwareBazaar(importer.ParserConfig{}) }
	payloads = func() importer.Parser { return filefeed.NewPayloads(importer.ParserConfig{}) }
)

// view prints what the store answers of the fixtures' files, hosts and
// addresses: hashes, file summaries, every list the formats feed.
func view(t *testing.T, w *importtest.World) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, h := range []string{miraiSHA256, miraiMD5, miraiSHA1, exeSHA256, exeMD5} {
		fh, ok, err := w.Store.FileHashes(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "hashes %s: %v %s %s %s\n", h[:8], ok, fh.MD5, fh.SHA1, fh.SHA256)
		s, err := w.Store.Object(ctx, intel.ObjectFile, h)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "file %s: type %q first %s last %s listings", h[:8], s.Info.Type, day(s.Info.FirstSeen), day(s.Info.LastSeen))
		for _, l := range s.Listings {
			fmt.Fprintf(&b, " %s/%s", l.Feed, l.Category)
		}
		b.WriteByte('\n')
		for _, list := range []intel.LinkList{intel.LinkFileNames, intel.LinkDetections, intel.LinkFileURLs} {
			links(t, &b, w, list, h)
		}
	}
	for _, host := range []string{"192.0.2.10", "dl.badcorp.example", "2001:db8::10", "files.unknown.example"} {
		links(t, &b, w, intel.LinkHostFiles, host)
	}
	for _, ip := range []string{"192.0.2.10", "198.51.100.30", "2001:db8::10"} {
		files, err := w.Store.Files(ctx, netip.MustParseAddr(ip), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			fmt.Fprintf(&b, "ip %s: %s %s %s %s\n", ip, f.MD5[:8], f.URL, f.DetectionName, f.Zone)
		}
	}
	return b.String()
}

func links(t *testing.T, b *strings.Builder, w *importtest.World, list intel.LinkList, owner string) {
	t.Helper()
	ls, err := w.Store.Links(context.Background(), list, owner, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		fmt.Fprintf(b, "list %d %s: %s zone %q hits %d %s..%s %q\n", l.List, shortKey(owner), strings.ReplaceAll(l.Item, intel.ItemSep, " | "),
			l.Zone, l.Hits, day(l.FirstSeen), day(l.LastSeen), l.Attrs)
	}
}

func shortKey(k string) string {
	if intel.HashKind(k) != "" {
		return k[:8]
	}
	return k
}

func day(t interface{ Format(string) string }) string { return t.Format("2006-01-02T15:04:05") }

func TestEndToEnd(t *testing.T) {
	w := newWorld(t)
	pl, mb := filepath.Join("testdata", "urlhaus-payloads.csv"), filepath.Join("testdata", "malwarebazaar.csv")
	sum := w.Import(t, pl, payloads, importer.Options{})
	if sum.Read != 5 || sum.Skipped != 0 || sum.Unplaced != 1 {
		t.Errorf("payloads: got %s, want 5 read, none skipped, 1 without a known address", sum)
	}
	sum = w.Import(t, mb, bazaar, importer.Options{})
	if sum.Read != 4 || sum.Skipped != 0 {
		t.Errorf("bazaar: got %s, want 4 read, none skipped", sum)
	}
	got := view(t, w)
	for _, want := range []string{
		// Any hash of the Mirai sample finds all three.
		"hashes C2F09467: true " + miraiMD5 + " " + miraiSHA1 + " " + miraiSHA256,
		"hashes D8F6F524: true " + miraiMD5 + " " + miraiSHA1 + " " + miraiSHA256,
		"hashes 0971982A: true " + miraiMD5 + " " + miraiSHA1 + " " + miraiSHA256,
		"hashes 18629554: true " + exeMD5 + " D8ED0EA991FB2E4C8A999E9906D2B21E0B34B0FD " + exeSHA256,
		// The SHA-256: typed, dated by the earlier source, listed as malware.
		`file C2F09467: type "elf" first 2026-11-20T08:15:00 last 2026-11-22T09:00:00 listings MalwareBazaar/CATEGORY_MALWARE`,
		`list 18 C2F09467: x86 zone "" hits 1 2026-11-20T08:15:00..2026-11-20T08:15:00 []`,
		`list 20 C2F09467: Unix.Trojan.Mirai-7100807-0 zone "Red"`,
		// The payloads' detection, downloads and dates go to the SHA-256
		// they give the MD5, which has no object of its own.
		`list 20 C2F09467: Mirai zone "Red" hits 0 2026-11-20T08:15:00..2026-11-22T09:00:00 []`,
		`list 16 C2F09467: dl.badcorp.example/x86 zone "" hits 1 2026-11-22T09:00:00..2026-11-22T09:00:00 []`,
		`list 16 C2F09467: 192.0.2.10/bins/x86 zone "" hits 1`,
		`file D8F6F524: type "" first 0001-01-01T00:00:00 last 0001-01-01T00:00:00 listings` + "\n",
		// A file with no detection and its name.
		`file 2A7F3B19: type "exe" first 2026-11-21T10:00:00 last 2026-11-21T10:00:00 listings MalwareBazaar/CATEGORY_MALWARE`,
		`list 18 2A7F3B19: Invoice_2026-11.exe zone "" hits 1`,
		`list 20 2A7F3B19: AgentTesla zone "Red"`,
		// Hosts list the files downloaded from them, keyed by MD5.
		`list 4 192.0.2.10: ` + miraiMD5 + ` | 192.0.2.10/bins/x86 zone "" hits 1 2026-11-20T08:15:03..2026-11-20T08:15:03 ["Mirai"]`,
		`list 4 dl.badcorp.example: ` + miraiMD5 + ` | dl.badcorp.example/x86 zone "" hits 1`,
		`list 4 dl.badcorp.example: ` + exeMD5 + ` | dl.badcorp.example/invoice.exe zone "" hits 1 2026-11-21T10:00:00..2026-11-21T10:00:00 []`,
		`list 4 2001:db8::10: F6E925DD040C506D9170E9BD423C5928 | [2001:db8::10]:8080/m.sh`,
		`list 4 files.unknown.example: E45738D4FA5472122B5F0A8CFC823F79 | files.unknown.example/d/payload.bin zone "" hits 1`,
		// Addresses list the downloads from them; a domain's through passive DNS.
		"ip 192.0.2.10: D8F6F524 http://192.0.2.10/bins/x86 Mirai Red",
		"ip 198.51.100.30: D8F6F524 http://dl.badcorp.example/x86 Mirai Red",
		"ip 198.51.100.30: 18629554 https://dl.badcorp.example/invoice.exe  Grey",
		"ip 2001:db8::10: F6E925DD http://[2001:db8::10]:8080/m.sh  Grey",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in what the store shows:\n%s", want, got)
		}
	}
	// Re-importing (compressed, in the other order) changes nothing.
	w.Import(t, importtest.Gzip(t, mb), bazaar, importer.Options{})
	w.Import(t, importtest.Gzip(t, pl), payloads, importer.Options{})
	if again := view(t, w); again != got {
		t.Errorf("re-import changed the store:\nbefore\n%s\nafter\n%s", got, again)
	}
}
