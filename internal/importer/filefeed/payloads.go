package filefeed

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"strings"

	"github.com/tipd/tipd/internal/importer"
	"github.com/tipd/tipd/internal/intel"
)

// payloadsHeader is the documented column order of the URLhaus payloads
// CSV.
const payloadsHeader = "firstseen,url,filetype,md5,sha256,signature"

// Payloads parses the URLhaus payloads CSV (-format urlhaus-payloads): one
// file downloaded from one web address per line.
type Payloads struct {
	feed string
	rows
}

// NewPayloads returns a URLhaus payloads parser; o.Feed replaces the feed
// name "URLhaus".
func NewPayloads(o importer.ParserConfig) *Payloads {
	return &Payloads{feed: cmp.Or(o.Feed, FeedURLhaus),
		rows: newRows(payloadsHeader, func(h []byte) bool {
			return bytes.Contains(h, []byte("firstseen")) && bytes.Contains(h, []byte("sha256"))
		}, "url", "md5", "sha256")}
}

// Parse implements importer.Parser. A payload gives its hashes linked
// (FileHashes), the file dated and typed (ObjectInfo of the SHA-256) and a
// FileDownload: the pipeline derives from it the file on its host and web
// address (LinkHostFiles, LinkFileURLs), its detection (LinkDetections) and
// the download on the host's addresses (an IP host's own; a domain's
// addresses by passive DNS).
func (p *Payloads) Parse(line []byte, _ int, b *intel.Batch) error {
	f, ok, err := p.row(line)
	if !ok {
		return err
	}
	c := p.cols
	md5, err := hash("md5", c.Get(f, "md5"), "MD5")
	if err != nil {
		return err
	}
	sha256, err := hash("sha256", c.Get(f, "sha256"), "SHA-256")
	if err != nil {
		return err
	}
	if md5 == "" && sha256 == "" {
		return fmt.Errorf("no md5 and no sha256")
	}
	seen, err := parseTime("firstseen", c.Get(f, "firstseen"))
	if err != nil {
		return err
	}
	var key, raw string
	if raw = strings.TrimSpace(c.Get(f, "url")); !empty(raw) {
		if key, _, err = intel.NormalizeURL(raw); err != nil {
			return err
		}
	}
	sig := cleanName(c.Get(f, "signature"))
	if empty(sig) {
		sig = ""
	}
	src := intel.Source{Feed: p.feed}
	id := cmp.Or(sha256, md5) // the file's identity
	if md5 != "" && sha256 != "" {
		b.FileHashes = append(b.FileHashes, intel.FileHashes{MD5: md5, SHA256: sha256, Source: src})
	}
	b.ObjectInfos = append(b.ObjectInfos, intel.ObjectInfo{Kind: intel.ObjectFile, Key: id,
		FirstSeen: seen, LastSeen: seen, Type: fileType(c.Get(f, "filetype")), Source: src})
	switch {
	case md5 != "" && key != "":
		// AddObjects derives the links of the download, keyed by MD5.
		zone := intel.ZoneGrey
		if sig != "" {
			zone = intel.DetectionZone(sig)
		}
		var ip netip.Addr
		if a, ok := intel.HostAddr(intel.URLHost(key)); ok {
			ip = a.Unmap()
		}
		b.Files = append(b.Files, intel.FileDownload{IP: ip, MD5: md5, URL: schemeOf(raw) + "://" + key, Zone: zone,
			DetectionName: sig, Hits: 1, FirstSeen: seen, LastSeen: seen, Source: src})
	case key != "":
		// Without an MD5 the file is not listed on its host (list items
		// name files by MD5); the file still lists its web address.
		b.Links = append(b.Links, intel.Link{List: intel.LinkFileURLs, Owner: id, Item: key, Hits: 1,
			FirstSeen: seen, LastSeen: seen, Source: src})
		fallthrough
	default:
		if sig != "" {
			b.Links = append(b.Links, detection(id, sig, seen, src))
		}
	}
	return nil
}

// schemeOf is the scheme of a web address NormalizeURL accepted: "https"
// or "http" (the default of a web address without one).
func schemeOf(s string) string {
	if len(s) >= 8 && strings.EqualFold(s[:8], "https://") {
		return "https"
	}
	return "http"
}
