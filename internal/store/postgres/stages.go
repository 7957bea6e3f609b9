package postgres

import (
	"encoding/json"

	"github.com/tipd/tipd/internal/intel"
)

// batchStages returns a stage for each record kind b holds, in the order
// they run. A new record kind adds its stage function below and a line here.
func batchStages(b *intel.Batch) ([]stage, error) {
	whois, err := whoisStage(b.WhoisNets)
	if err != nil {
		return nil, err
	}
	all := []stage{
		sightingStage(b.Sightings),
		listingStage(b.Listings),
		hostedStage(b.HostedURLs),
		fileStage(b.Files),
		resolutionStage(b.Resolutions),
		domainStage(b.Domains),
		maskStage(b.Masks),
		spamStage(b.SpamEvents),
		phishStage(b.PhishingEvents),
		reportStage(b.Reports),
		reportLinkStage(b.ReportLinks),
		countryStage(b.Countries),
		asStage(b.ASRanges),
		whois,
		netListingStage(b.NetListings),
		allowStage(b.Allows),
	}
	objects, err := objectStages(b)
	if err != nil {
		return nil, err
	}
	all = append(all, objects...)
	out := all[:0]
	for _, st := range all {
		if st.n > 0 {
			out = append(out, st)
		}
	}
	return out, nil
}

// sightingStage merges sighting days into sightings and their hits into
// the address summaries.
func sightingStage(rs []intel.Sighting) stage {
	return stage{
		table: "st_sightings", ddl: `, addr inet, day date, hits bigint`,
		cols: []string{"addr", "day", "hits"}, n: len(rs), seen: true,
		row: func(i int) ([]any, error) {
			r := rs[i]
			return []any{intel.NormIP(r.IP), intel.Day(r.Day), r.Hits}, nil
		},
		stmts: []string{
			// The newest record of a day replaces the stored hits.
			`CREATE TEMP TABLE dd_sightings ON COMMIT DROP AS
			SELECT DISTINCT ON (addr, day) addr, day, hits FROM st_sightings ORDER BY addr, day, ord DESC`,
			`INSERT INTO st_seen (addr, hits, first_seen, last_seen)
			SELECT d.addr, sum(d.hits - COALESCE(o.hits, 0)),
				min(d.day)::timestamp AT TIME ZONE 'UTC', max(d.day)::timestamp AT TIME ZONE 'UTC'
			FROM dd_sightings d LEFT JOIN sightings o ON o.addr = d.addr AND o.day = d.day
			GROUP BY d.addr`,
			`INSERT INTO sightings AS t (addr, day, hits) SELECT addr, day, hits FROM dd_sightings
			ON CONFLICT (addr, day) DO UPDATE SET hits = EXCLUDED.hits`,
		},
	}
}

// listingStage merges feed listings of addresses.
func listingStage(rs []intel.Listing) stage {
	return stage{
		table: "st_listings", ddl: `, addr inet, feed text, category text, first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("addr", "feed", "category", "first_seen", "last_seen"), n: len(rs), seen: true,
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{intel.NormIP(r.IP), r.Feed, string(r.Category), ts(r.FirstSeen), ts(r.LastSeen)}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`CREATE TEMP TABLE dd_listings ON COMMIT DROP AS
			SELECT s.addr, s.feed, s.category, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, ` + latestSrc + `
			FROM st_listings s GROUP BY s.addr, s.feed, s.category`,
			`INSERT INTO st_seen (addr, first_seen, last_seen)
			SELECT d.addr, ` + seenAgg + ` FROM dd_listings d GROUP BY d.addr`,
			track(`INSERT INTO listings AS t (addr, feed, category, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT addr, feed, category, first_seen, last_seen, src_feed, src_file, src_imported FROM dd_listings
			ON CONFLICT (addr, feed, category) DO UPDATE `+changedSet(append([]string{
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "addr"),
		},
	}
}

// hostedStage merges hosted URLs into hosted_urls, the URL summaries and
// url_ips.
func hostedStage(rs []intel.HostedURL) stage {
	return stage{
		table: "st_hosted", ddl: `, addr inet, url text, zone text, categories text[], hits bigint, truncated boolean,
			first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("addr", "url", "zone", "categories", "hits", "truncated", "first_seen", "last_seen"), n: len(rs), seen: true,
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{intel.NormIP(r.IP), r.URL, string(r.Zone), strs(r.Categories), r.Hits, r.Truncated, ts(r.FirstSeen), ts(r.LastSeen)},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			`CREATE TEMP TABLE dd_hosted ON COMMIT DROP AS
			SELECT s.addr, s.url, ` + zoneAgg + ` AS zone, ` + setAgg + ` AS categories,
				max(s.hits) AS hits, bool_or(s.truncated) AS truncated,
				min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, ` + latestSrc + `
			FROM st_hosted s ` + setJoin("categories") + ` GROUP BY s.addr, s.url`,
			// An item turns red when the batch brings Red to an item that was
			// not (Red is the most severe zone, so the merge keeps it).
			`INSERT INTO st_seen (addr, first_seen, last_seen, red_urls)
			SELECT d.addr, ` + seenAgg + `,
				count(*) FILTER (WHERE d.zone = 'Red' AND (o.addr IS NULL OR o.zone <> 'Red'))
			FROM dd_hosted d LEFT JOIN hosted_urls o ON o.addr = d.addr AND o.url = d.url
			GROUP BY d.addr`,
			// The items new to their address, counted before they are added.
			`INSERT INTO addr_list_counts AS t (addr, list, items)
			SELECT d.addr, 1, count(*) FROM dd_hosted d LEFT JOIN hosted_urls o ON o.addr = d.addr AND o.url = d.url
			WHERE o.addr IS NULL GROUP BY d.addr
			ON CONFLICT (addr, list) DO UPDATE SET items = t.items + EXCLUDED.items`,
			track(`INSERT INTO hosted_urls AS t (addr, url, zone, categories, hits, truncated, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT addr, url, zone, categories, hits, truncated, first_seen, last_seen, src_feed, src_file, src_imported FROM dd_hosted
			ON CONFLICT (addr, url) DO UPDATE `+changedSet(append([]string{
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"categories = tipd_union(t.categories, EXCLUDED.categories)",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"truncated = t.truncated OR EXCLUDED.truncated",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "addr"),
			track(`INSERT INTO url_summary AS t (url, hosted, zone, categories, hits, truncated, first_seen, last_seen)
			SELECT s.url, true, `+zoneAgg+`, `+setAgg+`, max(s.hits), bool_or(s.truncated), min(s.first_seen), max(s.last_seen)
			FROM st_hosted s `+setJoin("categories")+` GROUP BY s.url
			ON CONFLICT (url) DO UPDATE `+changedSet(
				"hosted = true",
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"categories = tipd_union(t.categories, EXCLUDED.categories)",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"truncated = t.truncated OR EXCLUDED.truncated",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"), "url"),
			track(`INSERT INTO url_ips AS t (url, addr) SELECT DISTINCT url, addr FROM dd_hosted ON CONFLICT DO NOTHING`, "url"),
		},
	}
}

// fileStage merges file downloads into the files of their addresses and of
// their web addresses (url_files).
func fileStage(rs []intel.FileDownload) stage {
	return stage{
		table: "st_files", ddl: `, addr inet, md5 text, url text, ukey text, zone text, detection text, hits bigint,
			first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("addr", "md5", "url", "ukey", "zone", "detection", "hits", "first_seen", "last_seen"), n: len(rs), seen: true,
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{intel.NormIP(r.IP), r.MD5, r.URL, intel.URLKey(r.URL), string(r.Zone), r.DetectionName, r.Hits, ts(r.FirstSeen), ts(r.LastSeen)},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			`CREATE TEMP TABLE dd_files ON COMMIT DROP AS
			SELECT s.addr, s.md5, s.url, ` + zoneAgg + ` AS zone,
				COALESCE((array_agg(s.detection ORDER BY s.ord DESC) FILTER (WHERE s.detection <> ''))[1], '') AS detection,
				max(s.hits) AS hits, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, ` + latestSrc + `
			FROM st_files s GROUP BY s.addr, s.md5, s.url`,
			`INSERT INTO st_seen (addr, first_seen, last_seen, red_files)
			SELECT d.addr, ` + seenAgg + `,
				count(*) FILTER (WHERE d.zone = 'Red' AND (o.addr IS NULL OR o.zone <> 'Red'))
			FROM dd_files d LEFT JOIN files o ON o.addr = d.addr AND o.md5 = d.md5 AND o.url = d.url
			GROUP BY d.addr`,
			`INSERT INTO addr_list_counts AS t (addr, list, items)
			SELECT d.addr, 2, count(*) FROM dd_files d LEFT JOIN files o ON o.addr = d.addr AND o.md5 = d.md5 AND o.url = d.url
			WHERE o.addr IS NULL GROUP BY d.addr
			ON CONFLICT (addr, list) DO UPDATE SET items = t.items + EXCLUDED.items`,
			track(`INSERT INTO files AS t (addr, md5, url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT addr, md5, url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported FROM dd_files
			ON CONFLICT (addr, md5, url) DO UPDATE `+changedSet(append([]string{
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"detection = CASE WHEN EXCLUDED.detection <> '' THEN EXCLUDED.detection ELSE t.detection END",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "addr"),
			// One item per (web address, MD5) across addresses and schemes,
			// with the smallest address and URL seen.
			`CREATE TEMP TABLE dd_url_files ON COMMIT DROP AS
			SELECT s.ukey AS url, s.md5, min(s.addr) AS addr, min(s.url COLLATE "C") AS full_url, ` + zoneAgg + ` AS zone,
				COALESCE((array_agg(s.detection ORDER BY s.ord DESC) FILTER (WHERE s.detection <> ''))[1], '') AS detection,
				max(s.hits) AS hits, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, ` + latestSrc + `
			FROM st_files s GROUP BY s.ukey, s.md5`,
			track(`INSERT INTO url_summary AS t (url, files)
			SELECT d.url, count(*) FILTER (WHERE o.url IS NULL)
			FROM dd_url_files d LEFT JOIN url_files o ON o.url = d.url AND o.md5 = d.md5
			GROUP BY d.url
			ON CONFLICT (url) DO UPDATE `+changedSet("files = t.files + EXCLUDED.files"), "url"),
			track(`INSERT INTO url_files AS t (url, md5, addr, full_url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT url, md5, addr, full_url, zone, detection, hits, first_seen, last_seen, src_feed, src_file, src_imported FROM dd_url_files
			ON CONFLICT (url, md5) DO UPDATE `+changedSet(append([]string{
				"addr = LEAST(t.addr, EXCLUDED.addr)",
				"full_url = LEAST(t.full_url, EXCLUDED.full_url)",
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"detection = CASE WHEN EXCLUDED.detection <> '' THEN EXCLUDED.detection ELSE t.detection END",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "url"),
		},
	}
}

// resolutionStage merges passive DNS resolutions and the domains' address
// lists.
func resolutionStage(rs []intel.Resolution) stage {
	return stage{
		table: "st_res", ddl: `, addr inet, domain text, first_seen timestamptz, last_seen timestamptz, hits bigint,
			daily_peak bigint, peak_date timestamptz` + srcDDL,
		cols: names("addr", "domain", "first_seen", "last_seen", "hits", "daily_peak", "peak_date"), n: len(rs), seen: true,
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{intel.NormIP(r.IP), r.Domain, ts(r.FirstSeen), ts(r.LastSeen), r.Hits, r.DailyPeak, ts(r.PeakDate)},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			// The peak pair: the larger peak, the earlier known date on ties.
			`CREATE TEMP TABLE dd_res ON COMMIT DROP AS
			SELECT s.addr, s.domain, min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, max(s.hits) AS hits,
				(array_agg(s.daily_peak ORDER BY s.daily_peak DESC, s.peak_date ASC NULLS LAST))[1] AS daily_peak,
				(array_agg(s.peak_date ORDER BY s.daily_peak DESC, s.peak_date ASC NULLS LAST))[1] AS peak_date, ` + latestSrc + `
			FROM st_res s GROUP BY s.addr, s.domain`,
			`INSERT INTO st_seen (addr, first_seen, last_seen)
			SELECT d.addr, ` + seenAgg + ` FROM dd_res d GROUP BY d.addr`,
			`INSERT INTO addr_list_counts AS t (addr, list, items)
			SELECT d.addr, 3, count(*) FROM dd_res d LEFT JOIN resolutions o ON o.addr = d.addr AND o.domain = d.domain
			WHERE o.addr IS NULL GROUP BY d.addr
			ON CONFLICT (addr, list) DO UPDATE SET items = t.items + EXCLUDED.items`,
			track(`INSERT INTO resolutions AS t (addr, domain, first_seen, last_seen, hits, daily_peak, peak_date, src_feed, src_file, src_imported)
			SELECT addr, domain, first_seen, last_seen, hits, daily_peak, peak_date, src_feed, src_file, src_imported FROM dd_res
			ON CONFLICT (addr, domain) DO UPDATE `+changedSet(append([]string{
				"first_seen = LEAST(t.first_seen, EXCLUDED.first_seen)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)",
				"hits = GREATEST(t.hits, EXCLUDED.hits)",
				"daily_peak = CASE WHEN " + peakWins + " THEN EXCLUDED.daily_peak ELSE t.daily_peak END",
				"peak_date = CASE WHEN " + peakWins + " THEN EXCLUDED.peak_date ELSE t.peak_date END"}, srcSets...)...), "addr"),
			`INSERT INTO domain_ips AS t (domain, addr, last_seen, hits)
			SELECT r.domain, r.addr, r.last_seen, r.hits
			FROM dd_res d JOIN resolutions r ON r.addr = d.addr AND r.domain = d.domain
			ON CONFLICT (domain, addr) DO UPDATE SET last_seen = EXCLUDED.last_seen, hits = EXCLUDED.hits`,
		},
	}
}

// domainStage merges DomainInfo records.
func domainStage(rs []intel.DomainInfo) stage {
	return stage{
		table: "st_domains", ddl: `, domain text, zone text, categories text[]` + srcDDL,
		cols: names("domain", "zone", "categories"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{r.Domain, string(r.Zone), strs(r.Categories)}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			// Zone and source: the latest applied; categories: the union.
			`INSERT INTO domains AS t (domain, zone, categories, src_feed, src_file, src_imported)
			SELECT s.domain, (array_agg(s.zone ORDER BY s.ord DESC))[1], ` + setAgg + `, ` + latestSrc + `
			FROM st_domains s ` + setJoin("categories") + ` GROUP BY s.domain
			ON CONFLICT (domain) DO UPDATE SET
				zone = EXCLUDED.zone,
				categories = tipd_union(t.categories, EXCLUDED.categories), ` + setSrc,
		},
	}
}

// maskStage merges feed masks.
func maskStage(rs []intel.FeedMask) stage {
	return stage{
		table: "st_masks", ddl: `, addr inet, mask text, mask_type text, zone text, feeds text[], last_seen timestamptz` + srcDDL,
		cols: names("addr", "mask", "mask_type", "zone", "feeds", "last_seen"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{intel.NormIP(r.IP), r.Mask, r.MaskType, string(r.Zone), r.Feeds, ts(r.LastSeen)}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`INSERT INTO addr_list_counts AS t (addr, list, items)
			SELECT d.addr, 4, count(*) FROM (SELECT DISTINCT addr, mask, mask_type FROM st_masks) d LEFT JOIN masks o ON o.addr = d.addr AND o.mask = d.mask AND o.mask_type = d.mask_type
			WHERE o.addr IS NULL GROUP BY d.addr
			ON CONFLICT (addr, list) DO UPDATE SET items = t.items + EXCLUDED.items`,
			track(`INSERT INTO masks AS t (addr, mask, mask_type, zone, feeds, last_seen, src_feed, src_file, src_imported)
			SELECT s.addr, s.mask, s.mask_type, `+zoneAgg+`, `+setAgg+`, max(s.last_seen), `+latestSrc+`
			FROM st_masks s `+setJoin("feeds")+` GROUP BY s.addr, s.mask, s.mask_type
			ON CONFLICT (addr, mask, mask_type) DO UPDATE `+changedSet(append([]string{
				"zone = tipd_zone_merge(t.zone, EXCLUDED.zone)",
				"feeds = tipd_union(t.feeds, EXCLUDED.feeds)",
				"last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)"}, srcSets...)...), "addr"),
		},
	}
}

// spamStage counts spam events whose ID is new to their address.
func spamStage(rs []intel.SpamEvent) stage {
	return stage{
		table: "st_spam", ddl: `, addr inet, id text, time timestamptz, type text` + srcDDL,
		cols: names("addr", "id", "time", "type"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{intel.NormIP(r.IP), r.ID, ts(r.Time), r.Type}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			// Events whose ID is new to the address (the first of a batch's
			// duplicates); a known ID changes nothing.
			`CREATE TEMP TABLE new_spam ON COMMIT DROP AS
			SELECT d.* FROM (SELECT DISTINCT ON (addr, id) addr, id, time, type, src_feed, src_file, src_imported
				FROM st_spam ORDER BY addr, id, ord) d
			LEFT JOIN spam_events e ON e.addr = d.addr AND e.id = d.id WHERE e.addr IS NULL`,
			`INSERT INTO spam_events (addr, id, time, type, src_feed, src_file, src_imported)
			SELECT addr, id, time, type, src_feed, src_file, src_imported FROM new_spam ON CONFLICT DO NOTHING`,
			// New events always change the counter, so every row is tracked.
			track(`INSERT INTO addr_summary AS t (addr, spam_attacks, spam_last, spam_types, first_seen, last_seen)
			SELECT addr, count(*), max(time), tipd_union_cap('{}', array_agg(type), 32), min(time), max(time)
			FROM new_spam GROUP BY addr
			ON CONFLICT (addr) DO UPDATE SET
				spam_attacks = t.spam_attacks + EXCLUDED.spam_attacks,
				spam_last = GREATEST(t.spam_last, EXCLUDED.spam_last),
				spam_types = tipd_union_cap(t.spam_types, EXCLUDED.spam_types, 32),
				first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
				last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)`, "addr"),
		},
	}
}

// phishStage counts phishing events whose ID is new to their address.
func phishStage(rs []intel.PhishingEvent) stage {
	return stage{
		table: "st_phish", ddl: `, addr inet, id text, time timestamptz, region text, kit text, stolen text[],
			industry text, organization text` + srcDDL,
		cols: names("addr", "id", "time", "region", "kit", "stolen", "industry", "organization"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{intel.NormIP(r.IP), r.ID, ts(r.Time), r.Region, r.Kit, r.StolenData, r.Industry, r.Organization},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			`CREATE TEMP TABLE new_phish ON COMMIT DROP AS
			SELECT d.* FROM (SELECT DISTINCT ON (addr, id) addr, id, time, region, kit, stolen, industry, organization,
					src_feed, src_file, src_imported
				FROM st_phish ORDER BY addr, id, ord) d
			LEFT JOIN phish_events e ON e.addr = d.addr AND e.id = d.id WHERE e.addr IS NULL`,
			`INSERT INTO phish_events (addr, id, time, region, kit, stolen, industry, organization, src_feed, src_file, src_imported)
			SELECT addr, id, time, region, kit, COALESCE(stolen, '{}'), industry, organization, src_feed, src_file, src_imported
			FROM new_phish ON CONFLICT DO NOTHING`,
			track(`INSERT INTO phish_regions AS t (addr, region, attacks)
			SELECT addr, region, count(*) FROM new_phish WHERE region <> '' GROUP BY addr, region
			ON CONFLICT (addr, region) DO UPDATE SET attacks = t.attacks + EXCLUDED.attacks`, "addr"),
			// The kit: of the event with the latest time (ties: the larger
			// ID) that names one.
			track(`WITH k AS (
				SELECT addr, count(*) AS n, max(time) AS last, min(time) AS first,
					(array_agg(kit ORDER BY COALESCE(time, '-infinity') DESC, id COLLATE "C" DESC) FILTER (WHERE kit <> ''))[1] AS kit,
					(array_agg(COALESCE(time, '-infinity') ORDER BY COALESCE(time, '-infinity') DESC, id COLLATE "C" DESC) FILTER (WHERE kit <> ''))[1] AS kit_time,
					(array_agg(id ORDER BY COALESCE(time, '-infinity') DESC, id COLLATE "C" DESC) FILTER (WHERE kit <> ''))[1] AS kit_id,
					tipd_union_cap('{}', array_agg(industry), 32) AS industries,
					tipd_union_cap('{}', array_agg(organization), 32) AS orgs
				FROM new_phish GROUP BY addr),
			sd AS (SELECT p.addr, tipd_union_cap('{}', array_agg(x), 32) AS stolen
				FROM new_phish p, unnest(p.stolen) AS u(x) GROUP BY p.addr)
			INSERT INTO addr_summary AS t (addr, phish_attacks, phish_last, phish_kit, phish_kit_time, phish_kit_id,
				phish_stolen, phish_industries, phish_orgs, first_seen, last_seen)
			SELECT k.addr, k.n, k.last, COALESCE(k.kit, ''), k.kit_time, COALESCE(k.kit_id, ''),
				COALESCE(sd.stolen, '{}'), k.industries, k.orgs, k.first, k.last
			FROM k LEFT JOIN sd ON sd.addr = k.addr
			ON CONFLICT (addr) DO UPDATE SET
				phish_attacks = t.phish_attacks + EXCLUDED.phish_attacks,
				phish_last = GREATEST(t.phish_last, EXCLUDED.phish_last),
				phish_kit = CASE WHEN `+kitWins+` THEN EXCLUDED.phish_kit ELSE t.phish_kit END,
				phish_kit_time = CASE WHEN `+kitWins+` THEN EXCLUDED.phish_kit_time ELSE t.phish_kit_time END,
				phish_kit_id = CASE WHEN `+kitWins+` THEN EXCLUDED.phish_kit_id ELSE t.phish_kit_id END,
				phish_stolen = tipd_union_cap(t.phish_stolen, EXCLUDED.phish_stolen, 32),
				phish_industries = tipd_union_cap(t.phish_industries, EXCLUDED.phish_industries, 32),
				phish_orgs = tipd_union_cap(t.phish_orgs, EXCLUDED.phish_orgs, 32),
				first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
				last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen)`, "addr"),
		},
	}
}

// reportStage stores reports, the latest applied replacing the whole
// report.
func reportStage(rs []intel.Report) stage {
	return stage{
		table: "st_reports", ddl: `, id text, type text, title text, description text, published timestamptz, updated timestamptz,
			tags text[], industries text[], geo text[], actors text[], indicators text[], detected jsonb, yara text, pdf bytea` + srcDDL,
		cols: names("id", "type", "title", "description", "published", "updated", "tags", "industries", "geo", "actors", "indicators", "detected", "yara", "pdf"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			var yara, pdf any // NULL when the report has none
			if r.YARA != "" {
				yara = r.YARA
			}
			if len(r.PDF) > 0 {
				pdf = r.PDF
			}
			var detected any // NULL when the report dates no indicator
			if len(r.Detected) > 0 {
				detected = r.Detected
			}
			return append([]any{r.ID, r.Type, r.Title, r.Description, ts(r.Published), ts(r.Updated), r.Tags, r.Industries, r.Geo, r.Actors, r.Indicators, detected, yara, pdf},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			// The latest applied replaces the whole report.
			`INSERT INTO reports AS t (id, type, title, description, published, updated, tags, industries, geo, actors, indicators, detected, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (id) id, type, title, description, published, updated,
				COALESCE(tags, '{}'), COALESCE(industries, '{}'), COALESCE(geo, '{}'), COALESCE(actors, '{}'), COALESCE(indicators, '{}'), detected, src_feed, src_file, src_imported
			FROM st_reports ORDER BY id, ord DESC
			ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, title = EXCLUDED.title, description = EXCLUDED.description,
				published = EXCLUDED.published, updated = EXCLUDED.updated, tags = EXCLUDED.tags, industries = EXCLUDED.industries,
				geo = EXCLUDED.geo, actors = EXCLUDED.actors, indicators = EXCLUDED.indicators, detected = EXCLUDED.detected, ` + setSrc,
			// Its files are replaced with it: those of the latest applied.
			`DELETE FROM report_files WHERE id IN (SELECT id FROM st_reports)`,
			`INSERT INTO report_files (id, yara, pdf)
			SELECT id, yara, pdf FROM (SELECT DISTINCT ON (id) id, yara, pdf FROM st_reports ORDER BY id, ord DESC) l
			WHERE yara IS NOT NULL OR pdf IS NOT NULL`,
		},
	}
}

// reportLinkStage links addresses to reports.
func reportLinkStage(rs []intel.ReportLink) stage {
	return stage{
		table: "st_links", ddl: `, addr inet, report_id text` + srcDDL,
		cols: names("addr", "report_id"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{intel.NormIP(r.IP), r.ReportID}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			// Only a new link changes what is read (the summary lists
			// report IDs, not their sources).
			`INSERT INTO ch_addrs (addr) SELECT DISTINCT s.addr FROM st_links s
			WHERE NOT EXISTS (SELECT 1 FROM report_links o WHERE o.addr = s.addr AND o.report_id = s.report_id)`,
			`INSERT INTO report_links AS t (addr, report_id, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (addr, report_id) addr, report_id, src_feed, src_file, src_imported
			FROM st_links ORDER BY addr, report_id, ord DESC
			ON CONFLICT (addr, report_id) DO UPDATE ` + changedSet(srcSets...),
		},
	}
}

// countryStage stores country ranges.
func countryStage(rs []intel.CountryRange) stage {
	return stage{
		table: "st_countries", ddl: `, prefix cidr, country text` + srcDDL,
		cols: names("prefix", "country"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{r.Prefix.Masked(), r.Country}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`INSERT INTO country_ranges AS t (prefix, country, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (prefix) prefix, country, src_feed, src_file, src_imported
			FROM st_countries ORDER BY prefix, ord DESC
			ON CONFLICT (prefix) DO UPDATE SET country = EXCLUDED.country, ` + setSrc,
		},
	}
}

// asStage stores AS ranges.
func asStage(rs []intel.ASRange) stage {
	return stage{
		table: "st_as", ddl: `, prefix cidr, asn bigint, description text[]` + srcDDL,
		cols: names("prefix", "asn", "description"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{r.Prefix.Masked(), int64(r.ASN), r.Description}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`INSERT INTO as_ranges AS t (prefix, asn, description, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (prefix, asn) prefix, asn, COALESCE(description, '{}'), src_feed, src_file, src_imported
			FROM st_as ORDER BY prefix, asn, ord DESC
			ON CONFLICT (prefix, asn) DO UPDATE SET description = EXCLUDED.description, ` + setSrc,
		},
	}
}

// whoisStage stores WHOIS networks; their contacts are encoded here, so
// that a bad one fails the batch before its transaction.
func whoisStage(rs []intel.WhoisNet) (stage, error) {
	whoisRows := make([][]any, len(rs))
	for i, r := range rs {
		var contacts any
		if r.Contacts != nil {
			js, err := json.Marshal(r.Contacts)
			if err != nil {
				return stage{}, intel.Invalid("WHOIS network %d: contacts: %v", i, err)
			}
			contacts = string(js)
		}
		whoisRows[i] = append([]any{r.Prefix.Masked(), r.Type, addrArg(r.Start), addrArg(r.End), r.Name, r.Description,
			ts(r.Created), ts(r.Changed), r.Country, contacts}, srcVals(r.Source)...)
	}
	return stage{
		table: "st_whois", ddl: `, prefix cidr, type text, start_addr inet, end_addr inet, name text, description text,
			created timestamptz, changed timestamptz, country text, contacts jsonb` + srcDDL,
		cols: names("prefix", "type", "start_addr", "end_addr", "name", "description", "created", "changed", "country", "contacts"),
		n:    len(rs),
		row:  func(i int) ([]any, error) { return whoisRows[i], nil },
		stmts: []string{
			`INSERT INTO whois_nets AS t (prefix, type, start_addr, end_addr, name, description, created, changed, country, contacts,
				src_feed, src_file, src_imported)
			SELECT DISTINCT ON (prefix) prefix, type, start_addr, end_addr, name, description, created, changed, country, contacts,
				src_feed, src_file, src_imported
			FROM st_whois ORDER BY prefix, ord DESC
			ON CONFLICT (prefix) DO UPDATE SET type = EXCLUDED.type, start_addr = EXCLUDED.start_addr, end_addr = EXCLUDED.end_addr,
				name = EXCLUDED.name, description = EXCLUDED.description, created = EXCLUDED.created, changed = EXCLUDED.changed,
				country = EXCLUDED.country, contacts = EXCLUDED.contacts, ` + setSrc,
		},
	}, nil
}

// netListingStage merges network listings.
func netListingStage(rs []intel.NetListing) stage {
	return stage{
		table: "st_netlist", ddl: `, prefix cidr, feed text, category text, zone text, first_seen timestamptz, last_seen timestamptz` + srcDDL,
		cols: names("prefix", "feed", "category", "zone", "first_seen", "last_seen"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{r.Prefix.Masked(), r.Feed, string(r.Category), string(r.Zone), ts(r.FirstSeen), ts(r.LastSeen)},
				srcVals(r.Source)...), nil
		},
		stmts: []string{
			// Zone and source: the latest applied.
			`INSERT INTO net_listings AS t (prefix, feed, category, zone, first_seen, last_seen, src_feed, src_file, src_imported)
			SELECT s.prefix, s.feed, s.category, (array_agg(s.zone ORDER BY s.ord DESC))[1], min(s.first_seen), max(s.last_seen), ` + latestSrc + `
			FROM st_netlist s GROUP BY s.prefix, s.feed, s.category
			ON CONFLICT (prefix, feed, category) DO UPDATE SET
				zone = EXCLUDED.zone,
				first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
				last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen), ` + setSrc,
		},
	}
}

// allowStage stores allow-list entries.
func allowStage(rs []intel.Allow) stage {
	return stage{
		table: "st_allows", ddl: `, prefix cidr, list text` + srcDDL,
		cols: names("prefix", "list"), n: len(rs),
		row: func(i int) ([]any, error) {
			r := rs[i]
			return append([]any{r.Prefix.Masked(), r.List}, srcVals(r.Source)...), nil
		},
		stmts: []string{
			`INSERT INTO allows AS t (prefix, list, src_feed, src_file, src_imported)
			SELECT DISTINCT ON (prefix, list) prefix, list, src_feed, src_file, src_imported
			FROM st_allows ORDER BY prefix, list, ord DESC
			ON CONFLICT (prefix, list) DO UPDATE SET ` + setSrc,
		},
	}
}

// peakWins: the incoming (daily_peak, peak_date) pair replaces the stored one.
const peakWins = `(EXCLUDED.daily_peak > t.daily_peak OR (EXCLUDED.daily_peak = t.daily_peak
	AND EXCLUDED.peak_date IS NOT NULL AND (t.peak_date IS NULL OR EXCLUDED.peak_date < t.peak_date)))`

// kitWins: the batch's kit replaces the stored one.
const kitWins = `(EXCLUDED.phish_kit <> '' AND (t.phish_kit = '' OR EXCLUDED.phish_kit_time > t.phish_kit_time
	OR (EXCLUDED.phish_kit_time = t.phish_kit_time AND EXCLUDED.phish_kit_id > t.phish_kit_id)))`
