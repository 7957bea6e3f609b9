package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/report"
	"github.com/tipd/tipd/internal/store"
)

// networkPath is the path of the network and AS pages (docs/api.md,
// "Addresses of a network or an AS").
const networkPath = "/api/network"

// Bounds of a network page.
const (
	// defaultNetworkCount is the page size when count is not given.
	defaultNetworkCount = 50
	// maxNetworkCount is the largest count.
	maxNetworkCount = 500
	// maxASRanges is the most ranges of an AS a page reads; the store
	// reads at most store.MaxNetworkBuckets buckets of them.
	maxASRanges = store.MaxNetworkBuckets
)

// networkRequest is a parsed GET /api/network.
type networkRequest struct {
	prefix netip.Prefix // a network, or
	asn    uint32       // an AS (asNumber set)
	isAS   bool
	count  int
	after  store.NetworkItem
}

// parseNetworkRequest reads the query of GET /api/network: request (a
// network in CIDR form, an address, AS64500 or 64500), count (1 to
// maxNetworkCount) and after (the Next of the page before).
func parseNetworkRequest(query string) (networkRequest, error) {
	var req networkRequest
	q, err := url.ParseQuery(query)
	if err != nil {
		return req, intel.Invalid("the query string is not correctly encoded")
	}
	for k := range q {
		if k != "request" && k != "count" && k != "after" {
			return req, intel.Invalid("unknown parameter %q: %s takes request, count and after", clip(k), networkPath)
		}
	}
	raw, err := single(q, "request")
	if err != nil {
		return req, err
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return req, intel.Invalid("the request names no network: use %s?request=<network in CIDR form, or AS number>", networkPath)
	}
	if err := req.parseTarget(raw); err != nil {
		return req, err
	}
	c, err := single(q, "count")
	if err != nil {
		return req, err
	}
	req.count = defaultNetworkCount
	if c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > maxNetworkCount || c[0] == '+' {
			return req, intel.Invalid("count must be an integer from 1 to %d, not %q", maxNetworkCount, clip(c))
		}
		req.count = n
	}
	a, err := single(q, "after")
	if err != nil {
		return req, err
	}
	if a != "" {
		if req.after, err = parseNetworkCursor(a); err != nil {
			return req, err
		}
	}
	return req, nil
}

// parseTarget reads what the request names.
func (req *networkRequest) parseTarget(raw string) error {
	digits := raw
	if len(raw) > 2 && strings.EqualFold(raw[:2], "AS") {
		digits = raw[2:]
	}
	if digits != "" && strings.Trim(digits, "0123456789") == "" {
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return intel.Invalid("%q is not an AS number (1 to 4294967295)", clip(raw))
		}
		req.asn, req.isAS = uint32(n), true
		return nil
	}
	p, err := netip.ParsePrefix(raw)
	if err != nil {
		a, aerr := netip.ParseAddr(raw)
		if aerr != nil || a.Zone() != "" {
			return intel.Invalid("%q is neither a network in CIDR form (192.0.2.0/24, 2001:db8::/32) nor an AS number (AS64500)", clip(raw))
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p, err = store.CheckNetwork(p)
	if err != nil {
		return err
	}
	req.prefix = p
	return nil
}

// The cursor is the page's last item, opaque to clients: base64url of
// "LastSeen (Unix nanoseconds) hits address".
func formatNetworkCursor(c store.NetworkItem) string {
	if c.IsZero() {
		return ""
	}
	s := strconv.FormatInt(c.LastSeen.UnixNano(), 10) + " " + strconv.FormatInt(c.Hits, 10) + " " + c.IP.String()
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func parseNetworkCursor(s string) (store.NetworkItem, error) {
	bad := intel.Invalid("after %q is not a cursor of %s: give the Next of the page before", clip(s), networkPath)
	if len(s) > 128 {
		return store.NetworkItem{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.NetworkItem{}, bad
	}
	f := strings.Split(string(b), " ")
	if len(f) != 3 {
		return store.NetworkItem{}, bad
	}
	ns, err1 := strconv.ParseInt(f[0], 10, 64)
	hits, err2 := strconv.ParseInt(f[1], 10, 64)
	ip, err3 := netip.ParseAddr(f[2])
	if err1 != nil || err2 != nil || err3 != nil || ip.Zone() != "" || ip.Is4In6() {
		return store.NetworkItem{}, bad
	}
	return store.NetworkItem{IP: ip, LastSeen: time.Unix(0, ns).UTC(), Hits: hits}, nil
}

// networkAnswer is the answer of GET /api/network.
type networkAnswer struct {
	Network   string        `json:",omitempty"` // the network asked for
	AS        *networkAS    `json:",omitempty"` // the AS asked for, or the AS of the network
	Networks  []string      `json:",omitempty"` // an AS's ranges
	Items     []networkItem // newest first
	Next      string        // the cursor of the next page, "" after the last
	Truncated bool          `json:",omitempty"` // the AS is too large to list whole
}

type networkAS struct {
	Number  uint32
	Name    string `json:",omitempty"`
	Country string `json:",omitempty"`
}

type networkItem struct {
	Ip         string //nolint:revive // the wire name
	Zone       intel.Zone
	Score      *int `json:",omitempty"`
	LastSeen   string
	Hits       int64
	Categories []intel.Category `json:",omitempty"`
}

// admitQuery takes the steps a tipd endpoint of its own takes before its
// work: it admits the request (credentials, burst limit, lookups in
// flight), reads its query string with parse, and checks the user's
// licence and API access. On success the caller must leave t.
func admitQuery[T any](s *server, r *http.Request, info *requestInfo, parse func(string) (T, error)) (intel.User, intel.Token, ticket, T, error) {
	var req T
	user, token, t, err := s.admit(r, info)
	if err != nil {
		return user, token, t, req, err
	}
	_, query := rawTarget(r)
	info.setRaw(query)
	if req, err = parse(query); err == nil {
		if err = s.access.CheckLicence(user); err == nil {
			err = s.access.Check(r.Context(), user)
		}
	}
	if err != nil {
		t.leave()
	}
	return user, token, t, req, err
}

// handleNetwork answers GET /api/network?request=&count=&after=: the
// addresses the store knows in a network or in the ranges of an AS,
// newest first, one page, each with the zone, score and categories of its
// own lookup. It passes the checks of a lookup (credentials, burst limit,
// lookups in flight, the request, licence, API access, quota) and counts
// once; addresses under a legal hold are left out.
func (s *server) handleNetwork(w http.ResponseWriter, r *http.Request, info *requestInfo) error {
	ctx := r.Context()
	user, token, t, req, err := admitQuery(s, r, info, parseNetworkRequest)
	if err != nil {
		return err
	}
	defer t.leave()
	if err := t.acquire(ctx, itemsWeight(req.count, formatJSON)); err != nil {
		return err
	}
	na, ok := s.reports.Store.(store.NetworkAddresses)
	if !ok {
		return intel.Errorf(intel.KindUnavailable, "", "this store cannot list the addresses of a network")
	}
	ans := networkAnswer{Items: []networkItem{}}
	q := store.NetworkQuery{After: req.after, Limit: req.count}
	if req.isAS {
		ans.AS = &networkAS{Number: req.asn}
		nets, truncated := s.asNetworks(req.asn, ans.AS)
		if len(nets) == 0 {
			return intel.Errorf(intel.KindNotFound, "", "no network data names AS%d", req.asn)
		}
		ans.Truncated = truncated
		for _, p := range nets {
			ans.Networks = append(ans.Networks, p.String())
		}
		q.Networks = nets
	} else {
		ans.Network = req.prefix.String()
		q.Networks = []netip.Prefix{req.prefix}
		ni := s.netInfo(req.prefix.Addr())
		if len(ni.AS) > 0 && ni.AS[0].Prefix.Bits() <= req.prefix.Bits() {
			ans.AS = &networkAS{Number: ni.AS[0].ASN, Name: strings.Join(ni.AS[0].Description, " · "), Country: ni.Country}
		}
	}
	page, err := na.NetworkAddresses(ctx, q)
	if err != nil {
		return err
	}
	ans.Truncated = ans.Truncated || page.Truncated
	ans.Next = formatNetworkCursor(page.Next)
	items, err := s.networkItems(ctx, page.Items)
	if err != nil {
		return err
	}
	ans.Items = append(ans.Items, items...)
	if _, err := s.access.Authorize(ctx, user, token); err != nil {
		return err
	}
	b, err := json.Marshal(&ans)
	if err != nil {
		return fmt.Errorf("network answer: %w", err)
	}
	writeBody(w, http.StatusOK, "application/json; charset=utf-8", append(b, '\n'))
	return nil
}

// networkItems checks each address for legal holds and computes its
// verdict, bulkWorkers at a time (the store's round trips overlap), in
// the page's order; held addresses are left out.
func (s *server) networkItems(ctx context.Context, page []store.NetworkItem) ([]networkItem, error) {
	type result struct {
		item networkItem
		held bool
		err  error
	}
	res := make([]result, len(page))
	sem := make(chan struct{}, bulkWorkers)
	var wg sync.WaitGroup
	for i, it := range page {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := &res[i]
			if r.held, r.err = s.access.Held(ctx, intel.HoldQuery{IP: it.IP}); r.err != nil || r.held {
				return
			}
			r.item, r.err = s.networkItem(ctx, it)
		}()
	}
	wg.Wait()
	out := make([]networkItem, 0, len(page))
	for _, r := range res {
		if r.err != nil {
			return nil, r.err
		}
		if !r.held {
			out = append(out, r.item)
		}
	}
	return out, nil
}

// networkItem is one address with the verdict of its lookup.
func (s *server) networkItem(ctx context.Context, it store.NetworkItem) (networkItem, error) {
	rep, err := s.reports.IP(ctx, it.IP, report.SecZone|report.SecIPGeneralInfo, 1)
	if err != nil {
		return networkItem{}, fmt.Errorf("network address %s: %w", it.IP, err)
	}
	defer rep.Release()
	item := networkItem{Ip: it.IP.String(), Zone: rep.Zone, Hits: it.Hits,
		LastSeen: it.LastSeen.UTC().Format(time.RFC3339)}
	sc := rep.General.ThreatScore
	item.Score = &sc
	for _, c := range rep.General.Categories {
		item.Categories = append(item.Categories, c.Name)
	}
	return item, nil
}

// asNetworks returns the ranges of an AS to list (wide ones split into
// /8s or /24s of IPv6, the widest networks a query takes) and whether
// some were left out; it fills the AS's name and country.
func (s *server) asNetworks(asn uint32, as *networkAS) ([]netip.Prefix, bool) {
	if s.reports.Net == nil {
		return nil, false
	}
	snap := s.reports.Net.Load()
	if snap == nil {
		return nil, false
	}
	ranges, truncated := snap.ASRanges(asn, maxASRanges)
	var nets []netip.Prefix
	for _, r := range ranges {
		if as.Name == "" && len(r.Description) > 0 {
			as.Name = strings.Join(r.Description, " · ")
		}
		if as.Country == "" {
			as.Country = snap.Lookup(r.Prefix.Addr()).Country
		}
		p := r.Prefix.Masked()
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
		}
		widest := 8
		if p.Addr().Is6() {
			widest = 24
		}
		if p.Bits() >= widest {
			nets = append(nets, p)
			continue
		}
		// A wider range: its first /8s (/24s), as many as the buckets
		// allow (256 each).
		a := p.Addr()
		for i := 0; i < 1<<(widest-p.Bits()); i++ {
			if len(nets) >= maxASRanges || i >= store.MaxNetworkBuckets/256 {
				truncated = true
				break
			}
			sub := netip.PrefixFrom(a, widest)
			nets = append(nets, sub)
			a = store.NextPrefix(sub)
		}
	}
	return nets, truncated
}
