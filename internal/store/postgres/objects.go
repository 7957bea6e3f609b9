package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
)

// Object implements store.Objects: the object_summary row, the listings,
// the list counts and, for a host, the domain_whois row, index range scans
// of one key sent in one round trip.
func (s *Store) Object(ctx context.Context, kind intel.ObjectKind, key string) (intel.ObjectSummary, error) {
	if err := ctx.Err(); err != nil {
		return intel.ObjectSummary{}, err
	}
	sum := intel.ObjectSummary{Kind: kind, Key: key, Info: intel.ObjectInfo{Kind: kind, Key: key}}
	if !kind.Valid() || badText(key) {
		return sum, nil // cannot be stored, so nothing is known
	}
	var b pgx.Batch
	b.Queue(`SELECT hits, first_seen, last_seen, size, type, packer, signer, signer_status, allows, src_feed, src_file, src_imported
		FROM object_summary WHERE key = $1 AND kind = $2`, key, int16(kind))
	b.Queue(`SELECT feed, category, first_seen, last_seen, src_feed, src_file, src_imported
		FROM object_listings WHERE key = $1 AND kind = $2 ORDER BY feed, category`, key, int16(kind))
	b.Queue(`SELECT list, items, hits, max_zone FROM object_counts WHERE key = $1 AND kind = $2`, key, int16(kind))
	if kind == intel.ObjectHost {
		b.Queue(`SELECT created, updated, expires, name_servers, status, registrar, registrar_id, registrar_email,
			registration_org, contacts, src_feed, src_file, src_imported
			FROM domain_whois WHERE domain = $1`, key)
	}
	br := s.pool.SendBatch(ctx, &b)
	err := readObject(br, &sum)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return intel.ObjectSummary{}, wrapErr(ctx, "object "+kind.String(), err)
	}
	return sum, nil
}

func readObject(br pgx.BatchResults, sum *intel.ObjectSummary) error {
	in := &sum.Info
	var first, last, imported pgtype.Timestamptz
	err := br.QueryRow().Scan(&in.Hits, &first, &last, &in.Size, &in.Type, &in.Packer, &in.Signer, &in.SignerStatus, &in.Allows,
		&in.Source.Feed, &in.Source.File, &imported)
	switch {
	case notFound(err):
	case err != nil:
		return fmt.Errorf("summary: %w", err)
	default:
		in.FirstSeen, in.LastSeen, in.Allows, in.Source.Imported = tm(first), tm(last), nilIfEmpty(in.Allows), tm(imported)
	}

	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("listings: %w", err)
	}
	sum.Listings, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (intel.ObjectListing, error) {
		l := intel.ObjectListing{Kind: sum.Kind, Key: sum.Key}
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
		return fmt.Errorf("list counts: %w", err)
	}
	var list int16
	var c intel.ListCount
	var zone string
	_, err = pgx.ForEachRow(rows, []any{&list, &c.Items, &c.Hits, &zone}, func() error {
		if l := intel.LinkList(list); l.Valid() {
			c.MaxZone = intel.Zone(zone)
			sum.Lists[l] = c
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list counts: %w", err)
	}

	if sum.Kind != intel.ObjectHost {
		return nil
	}
	w := &sum.Whois
	var created, updated, expires pgtype.Timestamptz
	var contacts []byte
	err = br.QueryRow().Scan(&created, &updated, &expires, &w.NameServers, &w.Status, &w.Registrar, &w.RegistrarID, &w.RegistrarEmail,
		&w.RegistrationOrganization, &contacts, &w.Source.Feed, &w.Source.File, &imported)
	switch {
	case notFound(err):
		sum.Whois = intel.DomainWhois{}
		return nil
	case err != nil:
		return fmt.Errorf("WHOIS: %w", err)
	}
	w.Domain = sum.Key
	w.Created, w.Updated, w.Expires, w.Source.Imported = tm(created), tm(updated), tm(expires), tm(imported)
	w.NameServers, w.Status = nilIfEmpty(w.NameServers), nilIfEmpty(w.Status)
	if contacts != nil {
		if err := json.Unmarshal(contacts, &w.Contacts); err != nil {
			return fmt.Errorf("WHOIS contacts: %w", err)
		}
	}
	return nil
}

// Links implements store.Objects: one range scan of the index links_order
// that stops after limit rows (see the package documentation).
func (s *Store) Links(ctx context.Context, l intel.LinkList, owner string, limit int) ([]intel.Link, error) {
	if !l.Valid() || badText(owner) {
		return nil, ctx.Err() // cannot be stored, so nothing is known
	}
	return list(ctx, s, "links of a "+l.Owner().String(), limit, scanLink(l, owner), linksSQL, owner, int16(l))
}

// linksSQL is the read of one list; its order is that of the index
// links_order (sev and recent are 0 and last_seen for lists by recency,
// the zone's severity and NULL for lists by severity).
const linksSQL = `SELECT item, zone, hits, first_seen, last_seen, daily_peak, peak_date, attrs, src_feed, src_file, src_imported
		FROM links WHERE owner = $1 AND list = $2
		ORDER BY sev DESC, recent DESC NULLS LAST, hits DESC, item LIMIT $3`

func scanLink(l intel.LinkList, owner string) pgx.RowToFunc[intel.Link] {
	return func(row pgx.CollectableRow) (intel.Link, error) {
		k := intel.Link{List: l, Owner: owner}
		var zone string
		var first, last, peak, imported pgtype.Timestamptz
		err := row.Scan(&k.Item, &zone, &k.Hits, &first, &last, &k.DailyPeak, &peak, &k.Attrs, &k.Source.Feed, &k.Source.File, &imported)
		k.Zone, k.Attrs = intel.Zone(zone), nilIfEmpty(k.Attrs)
		k.FirstSeen, k.LastSeen, k.PeakDate, k.Source.Imported = tm(first), tm(last), tm(peak), tm(imported)
		return k, err
	}
}

// FileHashes implements store.Objects (a primary key read of file_hashes).
func (s *Store) FileHashes(ctx context.Context, hash string) (intel.FileHashes, bool, error) {
	if err := ctx.Err(); err != nil {
		return intel.FileHashes{}, false, err
	}
	if badText(hash) {
		return intel.FileHashes{}, false, nil
	}
	var h intel.FileHashes
	var imported pgtype.Timestamptz
	err := s.pool.QueryRow(ctx, `SELECT md5, sha1, sha256, src_feed, src_file, src_imported FROM file_hashes WHERE hash = $1`, hash).
		Scan(&h.MD5, &h.SHA1, &h.SHA256, &h.Source.Feed, &h.Source.File, &imported)
	if notFound(err) {
		return intel.FileHashes{}, false, nil
	}
	if err != nil {
		return intel.FileHashes{}, false, wrapErr(ctx, "file hashes", err)
	}
	h.Source.Imported = tm(imported)
	return h, true, nil
}
