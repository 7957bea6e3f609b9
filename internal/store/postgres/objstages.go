package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tipd/tipd/internal/intel"
)

// The stages of the object records (domains, web addresses, files). Their
// duplicates inside a batch are folded in Go, in batch order, with the
// Merge methods of package intel, so that the staging tables hold one row
// per key; one INSERT … ON CONFLICT then merges each row with the stored
// one by the same rule. File hashes, whose rule depends on the order of
// the records, are merged in Go with the stored rows read first.

// objectStages returns the stages of b's object records.
func objectStages(b *intel.Batch) ([]stage, error) {
	whois, err := domainWhoisStage(b.Whois)
	if err != nil {
		return nil, err
	}
	return []stage{
		objectInfoStage(b.ObjectInfos),
		objectListingStage(b.ObjectListings),
		linkStage(b.Links),
		fileHashStage(b.FileHashes),
		whois,
	}, nil
}

// fold merges the records of rs with equal keys in batch order: the first
// of a key becomes first(r), later ones are merged into it with merge. The
// result is in the order of each key's first record.
func fold[K comparable, T any](rs []T, key func(*T) K, first func(T) T, merge func(*T, T)) []T {
	idx := make(map[K]int, len(rs))
	out := make([]T, 0, len(rs))
	for _, r := range rs {
		k := key(&r)
		if i, ok := idx[k]; ok {
			merge(&out[i], r)
			continue
		}
		idx[k] = len(out)
		out = append(out, first(r))
	}
	return out
}

func same[T any](r T) T { return r }

// normalized is a copy of rs with each record normalised by norm.
func normalized[T any](rs []T, norm func(*T)) []T {
	out := make([]T, len(rs))
	for i, r := range rs {
		norm(&r)
		out[i] = r
	}
	return out
}

type objectKey struct {
	kind intel.ObjectKind
	key  string
}

// objectInfoStage merges ObjectInfo records into object_summary.
func objectInfoStage(in []intel.ObjectInfo) stage {
	rs := fold(normalized(in, (*intel.ObjectInfo).Normalize),
		func(r *intel.ObjectInfo) objectKey { return objectKey{r.Kind, r.Key} },
		func(r intel.ObjectInfo) intel.ObjectInfo {
			acc := intel.ObjectInfo{Kind: r.Kind, Key: r.Key}
			acc.Merge(r)
			return acc
		},
		(*intel.ObjectInfo).Merge)
	return stage{
		table: "st_oinfo", ddl: `, key text, kind smallint, hits bigint, first_seen timestamptz, last_seen timestamptz,
			size bigint, type text, packer text, signer text, signer_status text, allows text[]` + srcDDL,
		cols: names("key", "kind", "hits", "first_seen", "last_seen", "size", "type", "packer", "signer", "signer_status", "allows"),
		n:    len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{r.Key, int16(r.Kind), r.Hits, ts(r.FirstSeen), ts(r.LastSeen), r.Size, r.Type, r.Packer, r.Signer,
				r.SignerStatus, strs(r.Allows)}, srcVals(r.Source)...), nil
		},
		stmts: []string{trackObjects(
			`INSERT INTO object_summary AS t (key, kind, hits, first_seen, last_seen, size, type, packer, signer, signer_status, allows,
				src_feed, src_file, src_imported)
			SELECT key, kind, hits, first_seen, last_seen, size, type, packer, signer, signer_status, allows, src_feed, src_file, src_imported
			FROM st_oinfo
			ON CONFLICT (key, kind) DO UPDATE `+changedSet(append([]string{
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)",
				"size = CASE WHEN EXCLUDED.size > 0 THEN EXCLUDED.size ELSE t.size END",
				"type = CASE WHEN EXCLUDED.type <> '' THEN EXCLUDED.type ELSE t.type END",
				"packer = CASE WHEN EXCLUDED.packer <> '' THEN EXCLUDED.packer ELSE t.packer END",
				"signer = CASE WHEN EXCLUDED.signer <> '' THEN EXCLUDED.signer ELSE t.signer END",
				"signer_status = CASE WHEN EXCLUDED.signer_status <> '' THEN EXCLUDED.signer_status ELSE t.signer_status END",
				"allows = tipd_union(t.allows, EXCLUDED.allows)"}, srcSets...)...), "t.key", "t.kind"),
		},
	}
}

type objectListingKey struct {
	objectKey
	feed     string
	category intel.Category
}

// objectListingStage merges ObjectListing records into object_listings.
func objectListingStage(in []intel.ObjectListing) stage {
	rs := fold(normalized(in, (*intel.ObjectListing).Normalize),
		func(r *intel.ObjectListing) objectListingKey {
			return objectListingKey{objectKey{r.Kind, r.Key}, r.Feed, r.Category}
		},
		same, (*intel.ObjectListing).Merge)
	return stage{
		table: "st_olistings", ddl: `, key text, kind smallint, feed text, category text, first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("key", "kind", "feed", "category", "first_seen", "last_seen"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{r.Key, int16(r.Kind), r.Feed, string(r.Category), ts(r.FirstSeen), ts(r.LastSeen)}, srcVals(r.Source)...), nil
		},
		stmts: []string{trackObjects(
			`INSERT INTO object_listings AS t (key, kind, feed, category, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT key, kind, feed, category, first_seen, last_seen, src_feed, src_file, src_imported FROM st_olistings
			ON CONFLICT (key, kind, feed, category) DO UPDATE `+changedSet(append([]string{
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "t.key", "t.kind"),
		},
	}
}

type linkKey struct {
	list        intel.LinkList
	owner, item string
}

// linkStage merges Link records into links and their owners' list counts
// (object_counts), the counts first, from the difference between the
// merged and the stored items.
func linkStage(in []intel.Link) stage {
	rs := fold(normalized(in, (*intel.Link).Normalize),
		func(r *intel.Link) linkKey { return linkKey{r.List, r.Owner, r.Item} },
		same, (*intel.Link).Merge)
	return stage{
		table: "st_olinks", ddl: `, kind smallint, list smallint, owner text, item text, zone text, hits bigint,
			first_seen timestamptz, last_seen timestamptz, daily_peak bigint, peak_date timestamptz, attrs text[]` + srcDDL,
		cols: names("kind", "list", "owner", "item", "zone", "hits", "first_seen", "last_seen", "daily_peak", "peak_date", "attrs"),
		n:    len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{int16(r.List.Owner()), int16(r.List), r.Owner, r.Item, string(r.Zone), r.Hits, ts(r.FirstSeen), ts(r.LastSeen),
				r.DailyPeak, ts(r.PeakDate), strs(r.Attrs)}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			// A new item adds itself; a known one the growth of its hits.
			// Item zones only grow in severity, so the most severe zone of
			// a list is that of its stored count merged with the batch's.
			`INSERT INTO object_counts AS t (key, kind, list, items, hits, max_zone)
			SELECT s.owner, s.kind, s.list, count(*) FILTER (WHERE o.owner IS NULL),
				sum(CASE WHEN o.owner IS NULL THEN s.hits ELSE GREATEST(o.hits, s.hits) - o.hits END), ` + zoneAgg + `
			FROM st_olinks s LEFT JOIN links o ON o.owner = s.owner AND o.list = s.list AND o.item = s.item
			GROUP BY s.owner, s.kind, s.list
			ON CONFLICT (key, kind, list) DO UPDATE ` + changedSet(
				"items = t.items + EXCLUDED.items",
				"hits = t.hits + EXCLUDED.hits",
				"max_zone = tipd_zone_merge(t.max_zone, EXCLUDED.max_zone)"),
			trackObjects(`INSERT INTO links AS t (owner, list, item, zone, hits, first_seen, last_seen, daily_peak, peak_date, attrs,
				src_feed, src_file, src_imported)
			SELECT owner, list, item, zone, hits, first_seen, last_seen, daily_peak, peak_date, attrs, src_feed, src_file, src_imported
			FROM st_olinks
			ON CONFLICT (owner, list, item) DO UPDATE `+changedSet(append([]string{
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)",
				"daily_peak = CASE WHEN " + peakWins + " THEN EXCLUDED.daily_peak ELSE t.daily_peak END",
				"peak_date = CASE WHEN " + peakWins + " THEN EXCLUDED.peak_date ELSE t.peak_date END",
				"attrs = CASE WHEN t.list IN " + unionLists() + " THEN tipd_union(t.attrs, EXCLUDED.attrs) ELSE tipd_attrs_merge(t.attrs, EXCLUDED.attrs) END",
			}, srcSets...)...), "t.owner", linkOwnerKind("t.list")),
		},
	}
}

// unionLists is the SQL list of the lists whose Attrs merge by union.
func unionLists() string {
	out := ""
	for l := intel.LinkList(1); l < intel.NumLinkLists; l++ {
		if l.UnionAttrs() {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprint(int(l))
		}
	}
	return "(" + out + ")"
}

// fileHashStage stores FileHashes records under each hash they give. The
// rule (intel.FileHashes.Merge: empty hashes filled, known ones kept, the
// latest source) depends on the order of records, so the stored rows of the batch's hashes are read
// first (Apply's lock keeps them unchanged) and merged in Go, in batch
// order; the results replace the stored rows.
func fileHashStage(in []intel.FileHashes) stage {
	rs := normalized(in, (*intel.FileHashes).Normalize)
	var merged []*intel.FileHashes
	var hashes []string
	st := stage{
		table: "st_ohashes", ddl: `, hash text, md5 text, sha1 text, sha256 text` + srcDDL,
		cols: names("hash", "md5", "sha1", "sha256"),
		row: func(i int) ([]any, error) {
			h := merged[i]
			return append([]any{hashes[i], h.MD5, h.SHA1, h.SHA256}, srcVals(h.Source)...), nil
		},
		// Hashes stamp the object of a SHA-256 only (store.Store.Changes).
		stmts: []string{trackSHA256(
			`INSERT INTO file_hashes AS t (hash, md5, sha1, sha256, src_feed, src_file, src_imported)
			SELECT hash, md5, sha1, sha256, src_feed, src_file, src_imported FROM st_ohashes
			ON CONFLICT (hash) DO UPDATE `+changedSet(append([]string{
				"md5 = EXCLUDED.md5", "sha1 = EXCLUDED.sha1", "sha256 = EXCLUDED.sha256"}, srcSets...)...),
			"t.hash", kindSQL(intel.ObjectFile)),
		},
	}
	if len(rs) == 0 {
		return st
	}
	st.n = len(rs) // not empty; prep gives the number of rows
	st.prep = func(ctx context.Context, tx pgx.Tx) (int, error) {
		byHash := map[string]*intel.FileHashes{}
		var given []string
		for _, r := range rs {
			for _, h := range r.Hashes() {
				if _, ok := byHash[h]; !ok {
					byHash[h] = nil
					given = append(given, h)
				}
			}
		}
		rows, err := tx.Query(ctx, `SELECT hash, md5, sha1, sha256, src_feed, src_file, src_imported
			FROM file_hashes WHERE hash = ANY($1)`, given)
		if err != nil {
			return 0, fmt.Errorf("stored file hashes: %w", err)
		}
		var h string
		var imported pgtype.Timestamptz
		var f intel.FileHashes
		_, err = pgx.ForEachRow(rows, []any{&h, &f.MD5, &f.SHA1, &f.SHA256, &f.Source.Feed, &f.Source.File, &imported}, func() error {
			f.Source.Imported = tm(imported)
			c := f
			byHash[h] = &c
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("stored file hashes: %w", err)
		}
		for _, r := range rs {
			for _, h := range r.Hashes() {
				if old := byHash[h]; old != nil {
					old.Merge(r)
				} else {
					c := r
					byHash[h] = &c
				}
			}
		}
		hashes, merged = given, make([]*intel.FileHashes, len(given))
		for i, h := range given {
			merged[i] = byHash[h]
		}
		return len(merged), nil
	}
	return st
}

// domainWhoisStage stores DomainWhois records, the latest applied
// replacing the record; contacts are encoded here, so that a bad one fails
// the batch before its transaction.
func domainWhoisStage(in []intel.DomainWhois) (stage, error) {
	rs := fold(normalized(in, (*intel.DomainWhois).Normalize),
		func(r *intel.DomainWhois) string { return r.Domain },
		same, func(acc *intel.DomainWhois, r intel.DomainWhois) { *acc = r })
	rows := make([][]any, len(rs))
	for i, r := range rs {
		var contacts any
		if r.Contacts != nil {
			js, err := json.Marshal(r.Contacts)
			if err != nil {
				return stage{}, intel.Invalid("domain WHOIS %s: contacts: %v", r.Domain, err)
			}
			contacts = string(js)
		}
		rows[i] = append([]any{r.Domain, ts(r.Created), ts(r.Updated), ts(r.Expires), strs(r.NameServers), strs(r.Status),
			r.Registrar, r.RegistrarID, r.RegistrarEmail, r.RegistrationOrganization, contacts}, srcVals(r.Source)...)
	}
	cols := []string{"created", "updated", "expires", "name_servers", "status", "registrar", "registrar_id", "registrar_email",
		"registration_org", "contacts", "src_feed", "src_file", "src_imported"}
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = EXCLUDED." + c
	}
	return stage{
		table: "st_owhois", ddl: `, domain text, created timestamptz, updated timestamptz, expires timestamptz,
			name_servers text[], status text[], registrar text, registrar_id text, registrar_email text, registration_org text,
			contacts jsonb` + srcDDL,
		cols: append([]string{"domain"}, cols...),
		n:    len(rs),
		row:  func(i int) ([]any, error) { return rows[i], nil },
		stmts: []string{trackObjects(
			`INSERT INTO domain_whois AS t (domain, created, updated, expires, name_servers, status, registrar, registrar_id,
				registrar_email, registration_org, contacts, src_feed, src_file, src_imported)
			SELECT domain, created, updated, expires, name_servers, status, registrar, registrar_id,
				registrar_email, registration_org, contacts, src_feed, src_file, src_imported FROM st_owhois
			ON CONFLICT (domain) DO UPDATE `+changedSet(sets...), "t.domain", kindSQL(intel.ObjectHost)),
		},
	}, nil
}
