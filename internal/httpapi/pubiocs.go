package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Indicator types, as the OpenIOC document and the master IOC list of
// the publications endpoints tell them apart.
type indicatorType int

const (
	indAddress indicatorType = iota
	indNetwork
	indDomain
	indURL
	indMD5
	indSHA1
	indSHA256
)

// classify tells the type of a served indicator from its text: an
// address, a CIDR network, 32, 40 or 64 hexadecimal digits (MD5, SHA-1,
// SHA-256), a web address (with "://" or a "/"), else a domain.
func classify(x string) indicatorType {
	if _, err := netip.ParseAddr(x); err == nil {
		return indAddress
	}
	if _, err := netip.ParsePrefix(x); err == nil {
		return indNetwork
	}
	if h, err := intel.NormalizeHash(x); err == nil {
		switch intel.HashKind(h) {
		case "MD5":
			return indMD5
		case "SHA-1":
			return indSHA1
		case "SHA-256":
			return indSHA256
		}
	}
	if strings.Contains(x, "/") {
		return indURL
	}
	return indDomain
}

// stableUUID is a UUID in the form of version 5 (RFC 9562) derived with
// SHA-1 from parts joined by NUL bytes: the same parts, the same UUID.
func stableUUID(parts ...string) string {
	h := sha1.New()
	h.Write([]byte("tipd/publications")) //nolint:errcheck // hashes do not fail
	for _, p := range parts {
		h.Write([]byte{0}) //nolint:errcheck
		h.Write([]byte(p)) //nolint:errcheck
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// openIOC is an OpenIOC 1.0 document (namespace
// http://schemas.mandiant.com/2010/ioc).
type openIOC struct {
	XMLName          xml.Name      `xml:"http://schemas.mandiant.com/2010/ioc ioc"`
	ID               string        `xml:"id,attr"`
	LastModified     string        `xml:"last-modified,attr"`
	ShortDescription string        `xml:"short_description"`
	Description      string        `xml:"description"`
	AuthoredBy       string        `xml:"authored_by"`
	AuthoredDate     string        `xml:"authored_date"`
	Links            struct{}      `xml:"links"`
	Definition       iocDefinition `xml:"definition"`
}

type iocDefinition struct {
	Indicator iocIndicator `xml:"Indicator"`
}

type iocIndicator struct {
	Operator string    `xml:"operator,attr"`
	ID       string    `xml:"id,attr"`
	Items    []iocItem `xml:"IndicatorItem"`
}

type iocItem struct {
	ID        string     `xml:"id,attr"`
	Condition string     `xml:"condition,attr"`
	Context   iocContext `xml:"Context"`
	Content   iocContent `xml:"Content"`
}

type iocContext struct {
	Document string `xml:"document,attr"`
	Search   string `xml:"search,attr"`
	Type     string `xml:"type,attr"`
}

type iocContent struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

// iocTerms are the OpenIOC context document, search and content type of
// each indicator type. A CIDR network is a PortItem/remoteIP item whose
// content is the network.
var iocTerms = map[indicatorType][3]string{
	indAddress: {"PortItem", "PortItem/remoteIP", "IP"},
	indNetwork: {"PortItem", "PortItem/remoteIP", "IP"},
	indDomain:  {"Network", "Network/DNS", "string"},
	indURL:     {"Network", "Network/URI", "string"},
	indMD5:     {"FileItem", "FileItem/Md5sum", "md5"},
	indSHA1:    {"FileItem", "FileItem/Sha1sum", "string"},
	indSHA256:  {"FileItem", "FileItem/Sha256sum", "string"},
}

// iocAuthor is the authored_by of the OpenIOC documents.
const iocAuthor = "tipd"

// iocTime is the form of OpenIOC dates: UTC, without a zone.
const iocTime = "2006-01-02T15:04:05"

// reportIOC is the OpenIOC 1.0 document of p (a report as served, with
// its served indicators): ids derived from the report id (stableUUID),
// dates those of p (UTC), one IndicatorItem per indicator in their order,
// under one Indicator with the operator OR.
func reportIOC(p *publication) ([]byte, error) {
	doc := openIOC{
		ID:               stableUUID(p.ID, "ioc"),
		LastModified:     time.Unix(p.Updated, 0).UTC().Format(iocTime),
		ShortDescription: p.Name,
		Description:      p.Desc,
		AuthoredBy:       iocAuthor,
		AuthoredDate:     time.Unix(p.Published, 0).UTC().Format(iocTime),
	}
	doc.Definition.Indicator = iocIndicator{Operator: "OR", ID: stableUUID(p.ID, "indicator"), Items: make([]iocItem, 0, len(p.Indicators))}
	for i, x := range p.Indicators {
		t := iocTerms[classify(x)]
		doc.Definition.Indicator.Items = append(doc.Definition.Indicator.Items, iocItem{
			ID: stableUUID(p.ID, "item", strconv.Itoa(i)), Condition: "is",
			Context: iocContext{Document: t[0], Search: t[1], Type: "mir"},
			Content: iocContent{Type: t[2], Value: x},
		})
	}
	body, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the OpenIOC document of %q: %w", p.ID, err)
	}
	return append(append([]byte(xml.Header), body...), '\n'), nil
}

// gzipBase64 is data gzipped (no name, no time) and base64-encoded with
// the standard alphabet.
func gzipBase64(data []byte) (string, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// includeInfo is what get_one's include_info asks for.
type includeInfo struct{ iocs, yara, pdf bool }

// parseIncludeInfo reads include_info: names separated by commas among
// all, iocs, yara and pdf (spaces and empty names ignored).
func parseIncludeInfo(v string) (includeInfo, error) {
	var in includeInfo
	for _, name := range strings.Split(v, ",") {
		switch strings.TrimSpace(name) {
		case "":
		case "all":
			in = includeInfo{true, true, true}
		case "iocs":
			in.iocs = true
		case "yara":
			in.yara = true
		case "pdf":
			in.pdf = true
		default:
			return in, intel.Invalid("include_info %q is unknown: give all, iocs, yara or pdf, separated by commas", clip(strings.TrimSpace(name)))
		}
	}
	return in, nil
}
