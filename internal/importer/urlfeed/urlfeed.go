// Package urlfeed turns one entry of a malicious-URL feed (URLhaus,
// ThreatFox, OpenPhish, PhishTank) into evidence: the web address hosted on
// its host (HostedUrls), a listing of the host when it is an IP address
// (Categories), and optionally the feed's mask of the web address
// (FeedMasks). Web addresses on domains are left without an address: the
// import pipeline attaches them to the addresses the domain resolved to.
//
// The web address itself is listed in each category (the URL lookup's
// categories). Its host is listed too only when the web address is the
// host's root ("http://c2.badcorp.example/", with or without a port): a
// malicious page deep in a legitimate, compromised site must not convict
// the whole domain. A feed that names a domain itself (a ThreatFox domain
// IOC) lists it by its own record.
package urlfeed

import (
	"net/netip"
	"strings"
	"time"

	"github.com/tipd/tipd/internal/intel"
)

// Entry is one web address of a feed.
type Entry struct {
	URL        string           // as published
	Categories []intel.Category // of the web address; the host is listed in each
	Zone       intel.Zone       // of the web address
	Feed       string           // listing feed
	Source     string           // provenance feed ("" = Feed)
	MaskFeed   string           // feed name of the mask ("" = no mask)
	MaskZone   intel.Zone       // zone of the mask
	FirstSeen  time.Time
	LastSeen   time.Time
}

// Placed is where an entry's web address landed.
type Placed struct {
	Key       string     // normalised web address, without scheme
	Truncated bool       // private data was cut from it
	Host      string     // domain or IP address (IPv6 without brackets)
	IP        netip.Addr // the host when it is an IP address
}

// Append normalises e.URL and appends the evidence of e to b. A web address
// whose private data was cut gets no mask (a mask must name the exact web
// address the feed published).
func Append(b *intel.Batch, e *Entry) (Placed, error) {
	key, truncated, err := intel.NormalizeURL(e.URL)
	if err != nil {
		return Placed{}, err
	}
	p := Placed{Key: key, Truncated: truncated, Host: intel.URLHost(key)}
	if ip, ok := intel.HostAddr(p.Host); ok {
		p.IP = ip.Unmap()
	}
	first, last := e.FirstSeen, e.LastSeen
	if first.IsZero() {
		first = last
	}
	if last.IsZero() || last.Before(first) {
		last = first
	}
	src := intel.Source{Feed: e.Source}
	if src.Feed == "" {
		src.Feed = e.Feed
	}
	b.HostedURLs = append(b.HostedURLs, intel.HostedURL{IP: p.IP, URL: key, Zone: e.Zone,
		Categories: e.Categories, Hits: 1, Truncated: truncated, FirstSeen: first, LastSeen: last, Source: src})
	if p.IP.IsValid() {
		for _, c := range e.Categories {
			b.Listings = append(b.Listings, intel.Listing{IP: p.IP, Category: c, Feed: e.Feed,
				FirstSeen: first, LastSeen: last, Source: src})
		}
	}
	for _, c := range e.Categories {
		b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectURL, Key: key, Category: c,
			Feed: e.Feed, FirstSeen: first, LastSeen: last, Source: src})
	}
	if !p.IP.IsValid() && IsRoot(key) {
		for _, c := range e.Categories {
			b.ObjectListings = append(b.ObjectListings, intel.ObjectListing{Kind: intel.ObjectHost, Key: p.Host, Category: c,
				Feed: e.Feed, FirstSeen: first, LastSeen: last, Source: src})
		}
	}
	if e.MaskFeed != "" && !truncated {
		mt := intel.MaskURL
		if strings.HasSuffix(key, "/") {
			mt = intel.MaskURLPrefix
		}
		b.Masks = append(b.Masks, intel.FeedMask{IP: p.IP, Mask: key, MaskType: mt, Zone: e.MaskZone,
			Feeds: []string{e.MaskFeed}, LastSeen: last, Source: src})
	}
	return p, nil
}

// IsRoot reports whether a normalised web address is the root of its host:
// no path (NormalizeURL drops a lone "/"), query or fragment, the port
// aside.
func IsRoot(key string) bool {
	host := intel.URLHost(key)
	rest := key
	if strings.HasPrefix(rest, "[") {
		i := strings.IndexByte(rest, ']')
		if i < 0 {
			return false
		}
		rest = rest[i+1:]
	} else {
		rest = rest[min(len(host), len(rest)):]
	}
	if port, ok := strings.CutPrefix(rest, ":"); ok {
		rest = strings.TrimLeft(port, "0123456789")
	}
	return rest == "" || rest == "/"
}

// AddCategory appends c to cats unless it is there.
func AddCategory(cats []intel.Category, c intel.Category) []intel.Category {
	for _, x := range cats {
		if x == c {
			return cats
		}
	}
	return append(cats, c)
}
