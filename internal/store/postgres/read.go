package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
	"github.com/tipd/tipd/internal/store"
)

// capRegions and capURLIPs are the caps of intel.PhishingSummary.Regions and
// intel.URLSummary.IPs.
const (
	capRegions = 256
	capURLIPs  = 256
)

// Address implements store.Intel: the summary row, the listings, the report
// links and the phishing regions of the address, four index range scans
// sent in one round trip.
func (s *Store) Address(ctx context.Context, ip netip.Addr) (intel.AddressSummary, error) {
	var none store.AddressLists
	return s.AddressWithLists(ctx, ip, store.ListLimits{}, &none)
}

// queueAddress queues the queries of an address's summary, which
// readAddress reads.
func queueAddress(b *pgx.Batch, ip netip.Addr) {
	b.Queue(`SELECT hits, first_seen, last_seen, red_urls, red_files,
		spam_attacks, spam_last, spam_types,
		phish_attacks, phish_last, phish_kit, phish_stolen, phish_industries, phish_orgs
		FROM addr_summary WHERE addr = $1`, ip)
	b.Queue(`SELECT feed, category, first_seen, last_seen, src_feed, src_file, src_imported
		FROM listings WHERE addr = $1 ORDER BY feed, category`, ip)
	b.Queue(`SELECT report_id FROM report_links WHERE addr = $1 ORDER BY report_id`, ip)
	b.Queue(`SELECT region, attacks FROM phish_regions WHERE addr = $1 ORDER BY region LIMIT $2`, ip, capRegions)
}

func readAddress(br pgx.BatchResults, sum *intel.AddressSummary) error {
	var first, last, spamLast, phishLast pgtype.Timestamptz
	var spamTypes, stolen, industries, orgs []string
	err := br.QueryRow().Scan(&sum.Hits, &first, &last, &sum.RedURLs, &sum.RedFiles,
		&sum.Spam.Attacks, &spamLast, &spamTypes,
		&sum.Phishing.Attacks, &phishLast, &sum.Phishing.Kit, &stolen, &industries, &orgs)
	switch {
	case notFound(err):
	case err != nil:
		return fmt.Errorf("summary: %w", err)
	default:
		sum.FirstSeen, sum.LastSeen = tm(first), tm(last)
		sum.Spam.Last, sum.Spam.Types = tm(spamLast), nilIfEmpty(spamTypes)
		sum.Phishing.Last = tm(phishLast)
		sum.Phishing.StolenData, sum.Phishing.Industries, sum.Phishing.Organizations = nilIfEmpty(stolen), nilIfEmpty(industries), nilIfEmpty(orgs)
	}

	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("listings: %w", err)
	}
	sum.Listings, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (intel.Listing, error) {
		l := intel.Listing{IP: sum.IP}
		var first, last, imported pgtype.Timestamptz
		var cat string
		err := row.Scan(&l.Feed, &cat, &first, &last, &l.Source.Feed, &l.Source.File, &imported)
		l.Category, l.FirstSeen, l.LastSeen, l.Source.Imported = intel.Category(cat), tm(first), tm(last), tm(imported)
		return l, err
	})
	if err != nil {
		return fmt.Errorf("listings: %w", err)
	}
	if len(sum.Listings) == 0 {
		sum.Listings = nil
	}

	rows, err = br.Query()
	if err != nil {
		return fmt.Errorf("report links: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("report links: %w", err)
	}
	sum.ReportIDs = nilIfEmpty(ids)

	rows, err = br.Query()
	if err != nil {
		return fmt.Errorf("phishing regions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var region string
		var n int64
		if err := rows.Scan(&region, &n); err != nil {
			return fmt.Errorf("phishing regions: %w", err)
		}
		if sum.Phishing.Regions == nil {
			sum.Phishing.Regions = map[string]int64{}
		}
		sum.Phishing.Regions[region] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("phishing regions: %w", err)
	}
	return nil
}

// list runs a bounded per-owner query and scans each row with scan.
func list[T any](ctx context.Context, s *Store, op string, limit int, scan func(pgx.CollectableRow) (T, error), sql string, args ...any) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, sql, append(args, limit)...)
	if err != nil {
		return nil, wrapErr(ctx, op, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, wrapErr(ctx, op, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// HostedURLs implements store.Intel: an index range scan of
// hosted_urls_recent that stops after limit rows.
func (s *Store) HostedURLs(ctx context.Context, ip netip.Addr, limit int) ([]intel.HostedURL, error) {
	ip = intel.NormIP(ip)
	if !ip.IsValid() {
		return nil, ctx.Err()
	}
	return list(ctx, s, "hosted URLs of "+ip.String(), limit, scanHosted(ip), hostedSQL, ip)
}

const hostedSQL = `SELECT url, zone, categories, hits, truncated, first_seen, last_seen, src_feed, src_file, src_imported
		FROM hosted_urls WHERE addr = $1
		ORDER BY last_seen DESC NULLS LAST, hits DESC, url LIMIT $2`

func scanHosted(ip netip.Addr) pgx.RowToFunc[intel.HostedURL] {
	return func(row pgx.CollectableRow) (intel.HostedURL, error) {
		h := intel.HostedURL{IP: ip}
		var zone string
		var categories []string
		var first, last, imported pgtype.Timestamptz
		err := row.Scan(&h.URL, &zone, &categories, &h.Hits, &h.Truncated, &first, &last, &h.Source.Feed, &h.Source.File, &imported)
		h.Zone, h.Categories = intel.Zone(zone), cats(categories)
		h.FirstSeen, h.LastSeen, h.Source.Imported = tm(first), tm(last), tm(imported)
		return h, err
	}
}

func scanFile(ip *netip.Addr) func(pgx.CollectableRow) (intel.FileDownload, error) {
	return func(row pgx.CollectableRow) (intel.FileDownload, error) {
		var f intel.FileDownload
		var zone string
		var first, last, imported pgtype.Timestamptz
		dest := []any{&f.MD5, &f.URL, &zone, &f.DetectionName, &f.Hits, &first, &last, &f.Source.Feed, &f.Source.File, &imported}
		if ip == nil {
			dest = append([]any{&f.IP}, dest...)
		} else {
			f.IP = *ip
		}
		err := row.Scan(dest...)
		f.Zone, f.FirstSeen, f.LastSeen, f.Source.Imported = intel.Zone(zone), tm(first), tm(last), tm(imported)
		return f, err
	}
}

// Files implements store.Intel (index range scan of files_recent).
func (s *Store) Files(ctx context.Context, ip netip.Addr, limit int) ([]intel.FileDownload, error) {
	ip = intel.NormIP(ip)
	if !ip.IsValid() {
		return nil, ctx.Err()
	}
	return list(ctx, s, "files of "+ip.String(), limit, scanFile(&ip), filesSQL, ip)
}

const filesSQL = `SELECT md5, url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported
		FROM files WHERE addr = $1
		ORDER BY last_seen DESC NULLS LAST, hits DESC, md5, url LIMIT $2`

// Resolutions implements store.Intel: the newest limit resolutions (index
// range scan of resolutions_recent) joined with their domains.
func (s *Store) Resolutions(ctx context.Context, ip netip.Addr, limit int) ([]intel.Resolution, error) {
	ip = intel.NormIP(ip)
	if !ip.IsValid() {
		return nil, ctx.Err()
	}
	return list(ctx, s, "resolutions of "+ip.String(), limit, scanResolution(ip), resolutionsSQL, ip)
}

const resolutionsSQL = `SELECT r.domain, r.first_seen, r.last_seen, r.hits, r.daily_peak, r.peak_date, r.src_feed, r.src_file, r.src_imported,
			COALESCE(NULLIF(d.zone, ''), 'Grey'), COALESCE(d.categories, '{}')
		FROM (SELECT * FROM resolutions WHERE addr = $1
			ORDER BY last_seen DESC NULLS LAST, hits DESC, domain LIMIT $2) AS r
		LEFT JOIN domains d ON d.domain = r.domain
		ORDER BY r.last_seen DESC NULLS LAST, r.hits DESC, r.domain`

func scanResolution(ip netip.Addr) pgx.RowToFunc[intel.Resolution] {
	return func(row pgx.CollectableRow) (intel.Resolution, error) {
		r := intel.Resolution{IP: ip}
		var first, last, peak, imported pgtype.Timestamptz
		var zone string
		var categories []string
		err := row.Scan(&r.Domain, &first, &last, &r.Hits, &r.DailyPeak, &peak, &r.Source.Feed, &r.Source.File, &imported, &zone, &categories)
		r.FirstSeen, r.LastSeen, r.PeakDate, r.Source.Imported = tm(first), tm(last), tm(peak), tm(imported)
		r.Zone, r.Categories = intel.Zone(zone), cats(categories)
		return r, err
	}
}

// Masks implements store.Intel (index range scan of masks_severe).
func (s *Store) Masks(ctx context.Context, ip netip.Addr, limit int) ([]intel.FeedMask, error) {
	ip = intel.NormIP(ip)
	if !ip.IsValid() {
		return nil, ctx.Err()
	}
	return list(ctx, s, "masks of "+ip.String(), limit, scanMask(ip), masksSQL, ip)
}

const masksSQL = `SELECT mask, mask_type, zone, feeds, last_seen, src_feed, src_file, src_imported
		FROM masks WHERE addr = $1 ORDER BY sev DESC, mask, mask_type LIMIT $2`

func scanMask(ip netip.Addr) pgx.RowToFunc[intel.FeedMask] {
	return func(row pgx.CollectableRow) (intel.FeedMask, error) {
		m := intel.FeedMask{IP: ip}
		var zone string
		var last, imported pgtype.Timestamptz
		err := row.Scan(&m.Mask, &m.MaskType, &zone, &m.Feeds, &last, &m.Source.Feed, &m.Source.File, &imported)
		m.Zone, m.Feeds, m.LastSeen, m.Source.Imported = intel.Zone(zone), nilIfEmpty(m.Feeds), tm(last), tm(imported)
		return m, err
	}
}

// DomainIPs implements store.Intel (index range scan of domain_ips_recent).
func (s *Store) DomainIPs(ctx context.Context, domain string, limit int) ([]netip.Addr, error) {
	if badText(domain) {
		return nil, ctx.Err() // cannot be stored, so nothing is known
	}
	return list(ctx, s, "addresses of a domain", limit, pgx.RowTo[netip.Addr],
		`SELECT addr FROM domain_ips WHERE domain = $1
		ORDER BY last_seen DESC NULLS LAST, hits DESC, addr LIMIT $2`, domain)
}

// URL implements store.Intel: the url_summary row and the first 256
// addresses of url_ips, in one round trip.
func (s *Store) URL(ctx context.Context, url string) (intel.URLSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.URLSummary{}, err
	}
	if badText(url) {
		return intel.URLSummary{}, fmt.Errorf("url %q: %w", url, intel.ErrNotFound)
	}
	var b pgx.Batch
	b.Queue(`SELECT zone, categories, hits, truncated, first_seen, last_seen, files FROM url_summary WHERE url = $1`, url)
	b.Queue(`SELECT addr FROM url_ips WHERE url = $1 ORDER BY addr LIMIT $2`, url, capURLIPs)
	br := s.pool.SendBatch(ctx, &b)
	sum := intel.URLSummary{URL: url}
	var zone string
	var categories []string
	var first, last pgtype.Timestamptz
	err := br.QueryRow().Scan(&zone, &categories, &sum.Hits, &sum.Truncated, &first, &last, &sum.Files)
	if err == nil {
		sum.Zone, sum.Categories, sum.FirstSeen, sum.LastSeen = intel.Zone(zone), cats(categories), tm(first), tm(last)
		var rows pgx.Rows
		rows, err = br.Query()
		if err == nil {
			sum.IPs, err = pgx.CollectRows(rows, pgx.RowTo[netip.Addr])
			if len(sum.IPs) == 0 {
				sum.IPs = nil
			}
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if notFound(err) {
		return intel.URLSummary{}, fmt.Errorf("url %q: %w", url, intel.ErrNotFound)
	}
	if err != nil {
		return intel.URLSummary{}, wrapErr(ctx, "url summary", err)
	}
	return sum, nil
}

// URLFiles implements store.Intel (index range scan of url_files_recent).
func (s *Store) URLFiles(ctx context.Context, url string, limit int) ([]intel.FileDownload, error) {
	if badText(url) {
		return nil, ctx.Err()
	}
	return list(ctx, s, "files of a web address", limit, scanFile(nil),
		`SELECT addr, md5, full_url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported
		FROM url_files WHERE url = $1
		ORDER BY last_seen DESC NULLS LAST, hits DESC, md5 LIMIT $2`, url)
}

// Report implements store.Intel.
func (s *Store) Report(ctx context.Context, id string) (intel.Report, error) {
	if err := ctx.Err(); err != nil {
		return intel.Report{}, err
	}
	if badText(id) {
		return intel.Report{}, fmt.Errorf("report %q: %w", id, intel.ErrNotFound)
	}
	r, err := scanReport(s.pool.QueryRow(ctx, `SELECT `+reportCols+` FROM reports WHERE id = $1`, id))
	if notFound(err) {
		return intel.Report{}, fmt.Errorf("report %q: %w", id, intel.ErrNotFound)
	}
	if err != nil {
		return intel.Report{}, wrapErr(ctx, "report", err)
	}
	return r, nil
}

// ScanNetworks implements store.Intel. It streams the five network tables
// from one repeatable-read snapshot; fn runs while a connection is held, so
// a pool of one connection must not call the store from fn.
func (s *Store) ScanNetworks(ctx context.Context, fn func(store.NetRecord) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var fnErr error
	call := func(r store.NetRecord) error {
		if err := fn(r); err != nil {
			fnErr = err
			return err
		}
		return nil
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		for _, scan := range []func(context.Context, pgx.Tx, func(store.NetRecord) error) error{
			scanCountries, scanAS, scanWhois, scanNetListings, scanAllows,
		} {
			if err := scan(ctx, tx, call); err != nil {
				return err
			}
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	return wrapErr(ctx, "scan networks", err)
}

// each runs sql and calls row for every row.
func each(ctx context.Context, tx pgx.Tx, sql string, row func(pgx.Rows) error) error {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func scanCountries(ctx context.Context, tx pgx.Tx, fn func(store.NetRecord) error) error {
	return each(ctx, tx, `SELECT prefix, country, src_feed, src_file, src_imported FROM country_ranges`, func(rows pgx.Rows) error {
		var c intel.CountryRange
		var imported pgtype.Timestamptz
		if err := rows.Scan(&c.Prefix, &c.Country, &c.Source.Feed, &c.Source.File, &imported); err != nil {
			return err
		}
		c.Source.Imported = tm(imported)
		return fn(store.NetRecord{Country: &c})
	})
}

func scanAS(ctx context.Context, tx pgx.Tx, fn func(store.NetRecord) error) error {
	return each(ctx, tx, `SELECT prefix, asn, description, src_feed, src_file, src_imported FROM as_ranges`, func(rows pgx.Rows) error {
		var a intel.ASRange
		var asn int64
		var imported pgtype.Timestamptz
		if err := rows.Scan(&a.Prefix, &asn, &a.Description, &a.Source.Feed, &a.Source.File, &imported); err != nil {
			return err
		}
		a.ASN, a.Description, a.Source.Imported = uint32(asn), nilIfEmpty(a.Description), tm(imported)
		return fn(store.NetRecord{AS: &a})
	})
}

func scanWhois(ctx context.Context, tx pgx.Tx, fn func(store.NetRecord) error) error {
	return each(ctx, tx, `SELECT prefix, type, start_addr, end_addr, name, description, created, changed, country, contacts,
		src_feed, src_file, src_imported FROM whois_nets`, func(rows pgx.Rows) error {
		var w intel.WhoisNet
		var start, end *netip.Addr
		var created, changed, imported pgtype.Timestamptz
		var contacts []byte
		if err := rows.Scan(&w.Prefix, &w.Type, &start, &end, &w.Name, &w.Description, &created, &changed, &w.Country, &contacts,
			&w.Source.Feed, &w.Source.File, &imported); err != nil {
			return err
		}
		if start != nil {
			w.Start = *start
		}
		if end != nil {
			w.End = *end
		}
		if contacts != nil {
			if err := json.Unmarshal(contacts, &w.Contacts); err != nil {
				return fmt.Errorf("contacts of %s: %w", w.Prefix, err)
			}
		}
		w.Created, w.Changed, w.Source.Imported = tm(created), tm(changed), tm(imported)
		return fn(store.NetRecord{Whois: &w})
	})
}

func scanNetListings(ctx context.Context, tx pgx.Tx, fn func(store.NetRecord) error) error {
	return each(ctx, tx, `SELECT prefix, feed, category, zone, first_seen, last_seen, src_feed, src_file, src_imported
		FROM net_listings`, func(rows pgx.Rows) error {
		var l intel.NetListing
		var category, zone string
		var first, last, imported pgtype.Timestamptz
		if err := rows.Scan(&l.Prefix, &l.Feed, &category, &zone, &first, &last, &l.Source.Feed, &l.Source.File, &imported); err != nil {
			return err
		}
		l.Category, l.Zone, l.FirstSeen, l.LastSeen, l.Source.Imported = intel.Category(category), intel.Zone(zone), tm(first), tm(last), tm(imported)
		return fn(store.NetRecord{NetListing: &l})
	})
}

func scanAllows(ctx context.Context, tx pgx.Tx, fn func(store.NetRecord) error) error {
	return each(ctx, tx, `SELECT prefix, list, src_feed, src_file, src_imported FROM allows`, func(rows pgx.Rows) error {
		var a intel.Allow
		var imported pgtype.Timestamptz
		if err := rows.Scan(&a.Prefix, &a.List, &a.Source.Feed, &a.Source.File, &imported); err != nil {
			return err
		}
		a.Source.Imported = tm(imported)
		return fn(store.NetRecord{Allow: &a})
	})
}

// NetworkVersion implements store.Intel.
func (s *Store) NetworkVersion(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT version FROM net_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, wrapErr(ctx, "network version", err)
	}
	return uint64(v), nil
}
