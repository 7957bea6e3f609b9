// Package store defines the storage contract that the rest of tipd consumes:
// address- and web-address-keyed intelligence (summaries, newest-first list
// sections and the change order that TAXII pages through), network-keyed
// records streamed into memory at start, reports, and access data (users,
// tokens, daily quota counters, legal holds). Records merge into what is
// stored by the rules on their types in package intel. Optional interfaces
// (ListsReader, ReportsReader, Pipeliner, TokenUserReader) let a backend
// answer common reads in fewer round trips; ListPager continues any list
// section after a cursor (pager.go). The backends live in
// sub-packages (mem, pebble, postgres) and all pass the conformance suite in
// storetest; cmd/tipd picks one from the store URL.
package store

import (
	"context"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"github.com/tipd/tipd/internal/intel"
)

// Store is the whole contract. Every method is safe for concurrent use.
//
// Read methods return intel.ErrNotFound (possibly wrapped) only where noted;
// an address without evidence is not an error: Address returns a zero
// summary with IP set.
type Store interface {
	Intel
	Access
	// Close releases the store; it is safe to call once.
	Close() error
}

// Intel is the intelligence part of the store.
type Intel interface {
	// Apply writes a batch atomically, merging each record into what is
	// stored by the rules documented on its type in package intel. Applying
	// the same batch twice leaves the store as applying it once.
	Apply(ctx context.Context, b *intel.Batch) error

	// Address returns the summary of one address.
	Address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, error)

	// List sections of one address, newest LastSeen first (ties: more hits
	// first, then by key), at most limit items. The cost is bounded by limit,
	// not by how many items the address has.
	HostedURLs(ctx context.Context, ip netip.Addr, limit int) ([]intel.HostedURL, error)
	Files(ctx context.Context, ip netip.Addr, limit int) ([]intel.FileDownload, error)
	// Resolutions fills Zone and Categories of each item from the domain's
	// DomainInfo (Grey and none when unknown).
	Resolutions(ctx context.Context, ip netip.Addr, limit int) ([]intel.Resolution, error)
	// Masks are the host/URL feed masks kept for the address, most severe
	// zone first, then by mask.
	Masks(ctx context.Context, ip netip.Addr, limit int) ([]intel.FeedMask, error)

	// DomainIPs lists addresses the domain resolved to, newest LastSeen
	// first, at most limit (importers use it to attach a domain's URLs and
	// files to its addresses).
	DomainIPs(ctx context.Context, domain string, limit int) ([]netip.Addr, error)

	// URL returns the summary of one normalised web address (without
	// scheme); intel.ErrNotFound when nothing is known about it.
	URL(ctx context.Context, url string) (intel.URLSummary, error)
	// URLFiles lists files downloaded from one web address, newest first.
	URLFiles(ctx context.Context, url string, limit int) ([]intel.FileDownload, error)

	// Report returns one report; intel.ErrNotFound when unknown.
	Report(ctx context.Context, id string) (intel.Report, error)
	// Reports lists the reports published in [from, to), newest Published
	// first (ties: by ID), at most limit. Reports without a Published date
	// are not listed. The cost is bounded by limit, not by how many reports
	// the store holds.
	Reports(ctx context.Context, from, to time.Time, limit int) ([]intel.Report, error)
	// ReportsAfter continues Reports: the reports published in [from, to)
	// that come strictly after the cursor in the order of Reports (newest
	// Published first, ties by ID), at most limit. The zero cursor starts
	// at the first report; the last report of a page, as a cursor, starts
	// the next page, so that paging never skips nor repeats reports that
	// share a date. The cost is bounded by limit.
	ReportsAfter(ctx context.Context, from, to time.Time, after ReportCursor, limit int) ([]intel.Report, error)
	// ReportAddresses lists the addresses that ReportLink records tie to
	// the report id, in netip.Addr.Compare order, at most limit. The cost
	// is bounded by limit, not by how many addresses the report has.
	ReportAddresses(ctx context.Context, id string, limit int) ([]netip.Addr, error)
	// ReportObjects lists the domains, web addresses and files that
	// object links of the report lists (intel.LinkHostReports,
	// LinkURLReports, LinkFileReports) tie to the report id, at most
	// limit, ordered by list, then key.
	ReportObjects(ctx context.Context, id string, limit int) ([]ObjectRef, error)

	// Changes lists the addresses (kind ChangedAddresses), web addresses
	// (kind ChangedURLs) or objects (kind ChangedObjects) whose knowledge
	// changed, by their latest change stamp, oldest first (ties: addresses
	// in netip.Addr.Compare order, web addresses bytewise, objects by Kind,
	// then Key bytewise), strictly after the cursor, at most limit. The
	// cursor is a Change: the zero Change starts at the beginning; one with
	// only At set starts after every stamp at or before At; one with At and
	// a key (IP, URL, or Kind and Key, as the kind) starts after that
	// entry. The cost is bounded by limit, not by the size of the store.
	//
	// Apply stamps with one change time every address, web address and
	// object for which the batch changed a stored value: the summary or an
	// item of a list section (for an address: Address, HostedURLs, Files,
	// Resolutions, Masks; for a web address: URL, URLFiles); for an object
	// (store.Objects) its ObjectInfo, one of its ObjectListings, an item of
	// a list it owns (Links), the FileHashes stored under it (files: the
	// object of a SHA-256 only; an MD5's or SHA-1's object is not stamped
	// for its hashes, which are a change of the file's SHA-256, if the
	// record gives one) or the DomainWhois stored under it (hosts). The objects are a change
	// order of their own: an object record never stamps an address or a
	// web address of ChangedURLs, nor an address-keyed record an object,
	// except through the object records the batch carries (see
	// intel.Batch.AddObjects). A DomainInfo record does not stamp the
	// addresses whose resolutions it recolours, network-keyed records stamp
	// nothing, and re-applying a batch changes nothing and stamps nothing.
	// The change time is the store's clock in
	// UTC, truncated to microseconds, made later than every earlier stamp,
	// so that stamps increase in commit order: a reader that has seen every
	// change up to a stamp T never later finds a new entry at or before T.
	Changes(ctx context.Context, kind ChangeKind, after Change, limit int) ([]Change, error)

	// ScanNetworks streams every network-keyed record (countries, AS ranges,
	// WHOIS networks, network listings, allow lists) to fn, in no particular
	// order. It stops at the first error fn returns and returns it.
	ScanNetworks(ctx context.Context, fn func(NetRecord) error) error
	// NetworkVersion changes whenever Apply changes network-keyed data, so
	// that a process can tell when to rebuild its in-memory snapshot.
	NetworkVersion(ctx context.Context) (uint64, error)

	Objects
}

// Objects is the part of the store that holds domains, web addresses and
// files as objects of their own (intel.ObjectInfo, intel.ObjectListing,
// intel.Link, intel.FileHashes, intel.DomainWhois records). Keys are
// taken as given: callers normalise them (intel.NormalizeDomain,
// intel.NormalizeURL, intel.NormalizeHash).
type Objects interface {
	// Object returns the summary of one object: its merged ObjectInfo,
	// its listings sorted by feed and category, the counts of the lists it
	// owns (Items, the sum of their Hits, their most severe Zone) and, for
	// a host, the DomainWhois stored under its name. An object without
	// evidence is a zero summary with Kind and Key set, not an error.
	Object(ctx context.Context, kind intel.ObjectKind, key string) (intel.ObjectSummary, error)
	// Links lists one list of one owner in the list's order (recency or
	// severity, see intel.LinkList and intel.CompareLinks), at most limit
	// items. The cost is bounded by limit, not by the length of the list.
	Links(ctx context.Context, list intel.LinkList, owner string, limit int) ([]intel.Link, error)
	// FileHashes returns the hashes stored together with hash (hash
	// itself among them); ok is false when no FileHashes record named it.
	FileHashes(ctx context.Context, hash string) (h intel.FileHashes, ok bool, err error)
}

// ChangeKind selects what Changes lists.
type ChangeKind uint8

// The kinds of Changes.
const (
	ChangedAddresses ChangeKind = iota + 1
	ChangedURLs
	ChangedObjects
)

// Change is one entry of the change order: an address, web address or
// object and the stamp of its latest change. As a cursor of Changes, a
// zero key means "after every entry stamped At" (for kind ChangedObjects
// the key is zero when Kind is).
type Change struct {
	At  time.Time  // UTC, microsecond precision
	IP  netip.Addr // kind ChangedAddresses
	URL string     // kind ChangedURLs: the normalised key, without scheme
	// Kind ChangedObjects: the object, as store.Objects keys it.
	Kind intel.ObjectKind
	Key  string
}

// ObjectRef names an object (a domain, web address or file) by kind and
// key.
type ObjectRef struct {
	Kind intel.ObjectKind
	Key  string
}

// ReportLists are the object link lists whose items are report ids, in the
// order ReportObjects lists them.
var ReportLists = []intel.LinkList{intel.LinkHostReports, intel.LinkURLReports, intel.LinkFileReports}

// ReportCursor is a position in the order of Reports: the report
// published at Published with the given ID. The zero cursor is before the
// first report.
type ReportCursor struct {
	Published time.Time
	ID        string
}

// CursorOf is the cursor just after r.
func CursorOf(r intel.Report) ReportCursor { return ReportCursor{Published: r.Published, ID: r.ID} }

// IsZero reports whether c is the zero cursor.
func (c ReportCursor) IsZero() bool { return c.Published.IsZero() && c.ID == "" }

// Before reports whether a report published at pub with id comes after
// the cursor in the order of Reports (newest first, ties by ID): whether
// the cursor is before it.
func (c ReportCursor) Before(pub time.Time, id string) bool {
	if c.IsZero() {
		return true
	}
	if d := pub.Compare(c.Published); d != 0 {
		return d < 0
	}
	return id > c.ID
}

// NetRecord is one network-keyed record; exactly one field is set.
type NetRecord struct {
	Country    *intel.CountryRange
	AS         *intel.ASRange
	Whois      *intel.WhoisNet
	NetListing *intel.NetListing
	Allow      *intel.Allow
}

// Access is the access-control part of the store.
type Access interface {
	// PutUser creates or replaces a user.
	PutUser(ctx context.Context, u intel.User) error
	// User returns a user; intel.ErrNotFound when unknown.
	User(ctx context.Context, name string) (intel.User, error)
	// Users lists every user, sorted by name.
	Users(ctx context.Context) ([]intel.User, error)

	// SetToken makes t the user's only active token: any previous token of
	// t.User stops resolving at once.
	SetToken(ctx context.Context, t intel.Token) error
	// TokenByHash resolves an active token; intel.ErrNotFound when the hash
	// is unknown or was replaced. Expiry is the caller's to check.
	TokenByHash(ctx context.Context, hash string) (intel.Token, error)
	// UserToken returns the user's active token; intel.ErrNotFound if none.
	UserToken(ctx context.Context, user string) (intel.Token, error)
	// RevokeToken removes the user's active token (no error if none).
	RevokeToken(ctx context.Context, user string) error

	// CountRequest counts one answered request for user on day (a UTC date,
	// "2006-01-02") if fewer than quota are counted already. It returns the
	// count after the call and whether the request was counted. Exact under
	// concurrency and durable across restarts; a crash may lose the counts
	// of a bounded last moment, which each store documents.
	CountRequest(ctx context.Context, user, day string, quota int64) (count int64, ok bool, err error)
	// RequestCount returns the count of user on day without changing it.
	RequestCount(ctx context.Context, user, day string) (int64, error)

	// PutHold creates or replaces the legal hold h.Ref (exactly one of
	// h.Prefix, h.URL, h.Domain and h.Hash set; see CheckHold).
	PutHold(ctx context.Context, h intel.Hold) error
	// DeleteHold removes a hold; intel.ErrNotFound when unknown.
	DeleteHold(ctx context.Context, ref string) error
	// Holds lists every hold, sorted by reference.
	Holds(ctx context.Context) ([]intel.Hold, error)
	// Hold returns a hold that holds something q names (intel.Hold.Matches):
	// the address q.IP (an exact address or a network containing it), the
	// web address key q.URL, the name q.Domain or a name above it, or any
	// of q.Hashes; the one with the smallest reference if several do. It
	// does not look up the other hashes of a file: callers pass them (from
	// FileHashes). It is called on every lookup and costs one bounded read:
	// a domain name is probed once per label (intel.DomainSuffixes, at most
	// 127) and each hash once, by exact key, never by scanning the holds of
	// other names.
	Hold(ctx context.Context, q intel.HoldQuery) (intel.Hold, bool, error)
}

// CheckHold validates a hold before it is stored: a reference, and exactly
// one target in its normal form (a masked network, a web address key, a
// name as intel.NormalizeDomain returns it, a hash as intel.NormalizeHash
// returns it).
func CheckHold(h intel.Hold) error {
	n := 0
	for _, set := range []bool{h.Prefix.IsValid(), h.URL != "", h.Domain != "", h.Hash != "", h.Report != ""} {
		if set {
			n++
		}
	}
	switch {
	case h.Ref == "":
		return intel.Invalid("hold reference is empty")
	case n != 1:
		return intel.Invalid("hold %s needs exactly one of an address or network, a web address, a domain name, a file hash or a report", h.Ref)
	case h.Prefix.IsValid() && (h.Prefix != h.Prefix.Masked() || h.Prefix.Addr().Is4In6() || h.Prefix.Addr().Zone() != ""):
		return intel.Invalid("hold %s: network %s is not in canonical form", h.Ref, h.Prefix)
	}
	if h.Domain != "" {
		if d, err := intel.NormalizeDomain(h.Domain); err != nil || d != h.Domain {
			return intel.Invalid("hold %s: %q is not a domain name in normal form", h.Ref, h.Domain)
		}
	}
	if h.Report != "" && (len(h.Report) > 256 || strings.ContainsFunc(h.Report, unicode.IsControl)) {
		return intel.Invalid("hold %s: %q is not a report ID (at most 256 bytes, no control characters)", h.Ref, h.Report)
	}
	if h.Hash != "" {
		if x, err := intel.NormalizeHash(h.Hash); err != nil || x != h.Hash {
			return intel.Invalid("hold %s: %q is not a file hash in normal form (upper-case hexadecimal MD5, SHA-1 or SHA-256)", h.Ref, h.Hash)
		}
	}
	return nil
}

// Day formats t as the UTC day key used by CountRequest.
func Day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// NetworkAddresses is an optional interface of a backend that lists the
// addresses it knows inside networks, for the network and AS pages of
// the portal. Every backend of tipd implements it.
//
// An address is listed when its summary has a LastSeen (some evidence
// was seen at a time); the page holds, strictly after q.After, at most
// q.Limit addresses of q.Networks, newest LastSeen first (ties: more
// Hits, then the address), each once across pages. The networks are
// mapped to index buckets by NetworkBuckets (a /24 or /16 of IPv4, a /48
// or /32 of IPv6, at most MaxNetworkBuckets), and a page costs at most
// one index seek per bucket plus one per item (a backend may read a few
// items of a bucket at once), and at most MaxNetworkScan entries outside
// the networks: never the number of addresses of the store. A network
// wider than /8 (IPv4) or /24 (IPv6) is refused with an intel.KindInvalid
// error.
type NetworkAddresses interface {
	NetworkAddresses(ctx context.Context, q NetworkQuery) (NetworkPage, error)
}
