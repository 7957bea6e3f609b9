// Package postgres is the server store backend: a PostgreSQL database
// (optionally distributed with Citus) shared by any number of tipd
// processes. It keeps data in ordinary tables, one per evidence kind, so
// that the database can be queried and maintained with standard tools.
//
// # Schema
//
// The schema is created by versioned SQL migrations embedded in the binary
// (migrations/0001_*.sql, …), applied by Migrate under a session advisory
// lock and recorded in schema_migrations. Open refuses a database whose
// schema lacks a migration this build knows.
//
// Addresses are inet host values in the column addr (IPv4 never mapped),
// network prefixes are cidr, unknown (zero) times are NULL, and text that
// lists are ordered by is COLLATE "C" so that ties break in Go's byte order.
//
//	per address (distributed by addr, co-located)
//	  addr_summary   addr                      hits, first/last seen, red URL/file
//	                                           counts, spam and phishing summaries
//	                                           (sets as text[] capped at 32)
//	                                           network index: two expression indexes
//	                                           (tipd_net_bucket(addr, small|large),
//	                                           last_seen DESC, hits DESC, addr) of the
//	                                           rows with a last_seen (network.go)
//	  sightings      (addr, day)               hits of one UTC day
//	  listings       (addr, feed, category)
//	  hosted_urls    (addr, url)               index (addr, last_seen DESC NULLS LAST, hits DESC, url)
//	  files          (addr, md5, url)          index (addr, last_seen DESC NULLS LAST, hits DESC, md5, url)
//	  resolutions    (addr, domain)            index (addr, last_seen DESC NULLS LAST, hits DESC, domain)
//	  masks          (addr, mask, mask_type)   index (addr, sev DESC, mask, mask_type)
//	  spam_events    (addr, id)                known IDs (a known ID changes nothing)
//	  phish_events   (addr, id)
//	  phish_regions  (addr, region)            attacks per region
//	  report_links   (addr, report_id)
//	  addr_changes   addr                      index (changed_at, addr)
//	  addr_list_counts (addr, list)            items of hosted_urls (1), files (2),
//	                                           resolutions (3), masks (4)
//	per web address (distributed by url, co-located)
//	  url_summary    url                       URL summary and its distinct file count
//	  url_ips        (url, addr)
//	  url_files      (url, md5)                index (url, last_seen DESC NULLS LAST, hits DESC, md5)
//	  url_changes    url                       index (changed_at, url)
//	per object (distributed by key, links by owner, co-located)
//	  object_summary  (key, kind)             merged ObjectInfo (allows as text[])
//	  object_listings (key, kind, feed, category)
//	  object_counts   (key, kind, list)       items, hits, most severe zone per list
//	  links           (owner, list, item)     index links_order (owner, list, sev DESC,
//	                                          recent DESC NULLS LAST, hits DESC, item)
//	  file_hashes     hash                    md5, sha1, sha256 stored together
//	  domain_whois    domain                  registration record (contacts jsonb)
//	  object_changes  (key, kind)             index (changed_at, kind, key)
//	per domain / user (distributed)
//	  domain_ips     (domain, addr)            index (domain, last_seen DESC NULLS LAST, hits DESC, addr)
//	  request_counts (user_name, day)
//	reference tables (small, or joined from every shard)
//	  domains, reports, country_ranges, as_ranges, whois_nets, net_listings,
//	  allows, net_version (one counter row), change_clock (one row: the
//	  latest change stamp given), users, tokens (primary key
//	  user_name: one active token per user; unique index on hash)
//
// Every list read is one index range scan that stops after the limit, with
// addr = $1 (or url = $1, domain = $1, owner = $1) in its WHERE clause, so
// that Citus routes it to one shard. Resolutions joins the newest rows with
// domains (a reference table) for the zone and categories. Address sends its
// four queries (summary, listings, report links, regions) in one round trip,
// Object its three or four (summary, listings, list counts, and a host's
// WHOIS record).
//
// The link lists have two orders (intel.LinkList): by recency and, for
// subdomains and host masks, by severity. links has two generated columns
// that make one index serve both: sev (the zone's severity in lists by
// severity, else 0) and recent (last_seen in lists by recency, else NULL).
// Links reads
//
//	SELECT … FROM links WHERE owner = $1 AND list = $2
//	ORDER BY sev DESC, recent DESC NULLS LAST, hits DESC, item LIMIT $3
//
// which is the order of links_order, so a list of a million items costs
// the limit. The lists by severity are numbered in the migration (8, 9); a
// test checks them against intel.LinkList.BySeverity.
//
// A page after a cursor (ListPage, pager.go) splits "after the cursor" into
// one branch per column of the list's order, each a range scan of the same
// index under a Limit, keeping the first limit+1 rows of their union: its
// cost is the page's, wherever the cursor is. Its total is one read of
// the owner's counter: url_summary.files, object_counts, or
// addr_list_counts (addr, list, items), which Apply keeps for the four
// lists of an address by counting the batch's items the list lacks before
// adding them (migration 0015 counted the lists of stores written before).
//
// # Apply
//
// Apply runs one transaction. It takes pg_advisory_xact_lock so that
// concurrent Applies (from any process) are serialised, which keeps the
// summary counters exact; reads never wait for it. For each record kind in
// the batch it COPYs the records, numbered in batch order, into a temporary
// staging table (ON COMMIT DROP), folds duplicate keys of the batch into one
// row (ON CONFLICT cannot touch a row twice in one statement), adds the
// address contributions (seen range, hit deltas, red transitions) to a
// staging table st_seen, and merges with one INSERT … SELECT … ON CONFLICT
// per table. The merge rules of package intel become, for example:
//
//	INSERT INTO hosted_urls AS t (…) SELECT … FROM dd_hosted
//	ON CONFLICT (addr, url) DO UPDATE SET
//		zone       = tipd_zone_merge(t.zone, EXCLUDED.zone),   -- more severe; '' yields
//		categories = tipd_union(t.categories, EXCLUDED.categories),
//		hits       = GREATEST(t.hits, EXCLUDED.hits),
//		truncated  = t.truncated OR EXCLUDED.truncated,
//		first_seen = LEAST(t.first_seen, EXCLUDED.first_seen), -- NULLs ignored
//		last_seen  = GREATEST(t.last_seen, EXCLUDED.last_seen),
//		src_feed = EXCLUDED.src_feed, …                       -- latest applied
//
//	INSERT INTO sightings … ON CONFLICT (addr, day) DO UPDATE SET hits = EXCLUDED.hits
//	INSERT INTO files … detection = CASE WHEN EXCLUDED.detection <> '' THEN EXCLUDED.detection ELSE t.detection END
//	INSERT INTO resolutions … daily_peak, peak_date = the pair with the larger peak (earlier date on ties)
//	INSERT INTO domains … zone = EXCLUDED.zone, categories = tipd_union(…)
//	INSERT INTO spam_events … only IDs new to the address, then
//	INSERT INTO addr_summary … spam_attacks = t.spam_attacks + EXCLUDED.spam_attacks,
//		spam_types = tipd_union_cap(t.spam_types, EXCLUDED.spam_types, 32)
//	UPDATE request_counts … (see CountRequest)
//
// Within a batch the same rules fold duplicates first: min/max for times
// and hits, bool_or, the first most severe zone, the latest record's source
// (array_agg(… ORDER BY ord DESC))[1]. Sightings subtract the stored hits of
// a day they replace from the summary; hosted URLs and files count a red
// transition when the batch brings Red to an item that was not Red. URL
// summaries, url_ips, url_files (merged across addresses and schemes, with
// the smallest address and URL) and domain_ips are maintained in the same
// transaction. A batch with network records bumps net_version.
//
// The object records (ObjectInfo, ObjectListing, Link, FileHashes,
// DomainWhois) fold their duplicates in Go instead, in batch order, with
// the Merge methods of package intel, and COPY one row per key; one INSERT
// … ON CONFLICT then merges it with the stored row by the same rule (the
// rules are associative, so this equals merging record by record):
//
//	INSERT INTO links AS t (…) SELECT … FROM st_olinks
//	ON CONFLICT (owner, list, item) DO UPDATE SET
//		zone = tipd_zone_merge(t.zone, EXCLUDED.zone), hits = GREATEST(…), …,
//		daily_peak, peak_date = the pair with the larger peak (earlier date on ties),
//		attrs = CASE WHEN t.list IN (9) THEN tipd_union(t.attrs, EXCLUDED.attrs)
//			ELSE tipd_attrs_merge(t.attrs, EXCLUDED.attrs) END, -- per position latest non-empty
//		src_feed = EXCLUDED.src_feed, …
//
// Before it, object_counts adds per (owner, list) the new items, the growth
// of the items' hits (GREATEST(stored, new) - stored) and the most severe
// zone of the batch (item zones only grow in severity, so the stored
// maximum merged with the batch's is the maximum over the items).
// FileHashes is the one rule that depends on the order of records (a
// record disagreeing with a known hash keeps the stored source): its stage
// reads the stored rows of the batch's hashes, merges in Go with
// intel.FileHashes.Merge and writes the results. Object records stamp no
// change (Changes lists addresses and web addresses).
//
// tipd_zone_sev, tipd_zone_merge, tipd_union and tipd_union_cap are small
// immutable SQL functions created by the first migration, tipd_attrs_merge
// by 0005_objects.
//
// # Changes
//
// Apply records which owners the batch really changed. Every merge into a
// table that the reads show (addr_summary, listings, hosted_urls, files,
// resolutions, masks, phish_regions; url_summary, url_ips, url_files) only
// updates a conflicting row when the merge changes it, and returns the
// owner key of each row it inserted or changed into a temporary table
// (ch_addrs or ch_urls):
//
//	WITH m AS (INSERT INTO hosted_urls AS t … ON CONFLICT (addr, url) DO UPDATE
//		SET zone = tipd_zone_merge(t.zone, EXCLUDED.zone), hits = GREATEST(t.hits, EXCLUDED.hits), …
//		WHERE (t.zone, t.hits, …) IS DISTINCT FROM (tipd_zone_merge(t.zone, EXCLUDED.zone), GREATEST(t.hits, EXCLUDED.hits), …)
//		RETURNING t.addr)
//	INSERT INTO ch_addrs (addr) SELECT addr FROM m
//
// Sightings, listings' seen ranges and the red counts reach the reads
// through addr_summary, so they stamp an address when its summary changes;
// new spam and phishing events always change the summary; a report link
// stamps its address when it is new. Domain records, reports, domain_ips
// and network records are not tracked: they stamp nothing (a DomainInfo
// recolours resolutions at read time). A re-applied batch updates no row,
// so it stamps nothing (and writes less than before).
//
// At its end, if anything changed, Apply takes pg_advisory_xact_lock
// (changeLockKey, besides the Apply lock it already holds), sets the one
// row of change_clock to GREATEST(clock_timestamp(), last + 1 µs) and
// upserts that stamp into addr_changes and url_changes for the collected
// owners: one stamp per Apply, in microseconds (the timestamptz precision),
// later than every earlier stamp. The lock and the row lock are held until
// commit, so the next stamp is taken after this one is visible: stamps
// increase in commit order across processes. Changes is one range scan of
// the (changed_at, key) index, WHERE (changed_at, key) > (cursor) ORDER BY
// changed_at, key LIMIT n; it returns stamps in UTC.
//
// Migration 0004_changes stamps what an upgraded store already holds (every
// address in addr_summary, masks or report_links, every web address in
// url_summary) with the time of the migration, one stamp for all, so that a
// reader starting from the beginning sees every owner once; it scans those
// tables once.
//
// # Access
//
// CountRequest counts in memory from blocks of counts (package quota; see
// "Request counting" in access.go). A block is reserved with one round trip,
//
//	INSERT INTO request_counts … count 0 ON CONFLICT DO NOTHING;
//	UPDATE request_counts c SET count = c.count + g.got
//	FROM (SELECT LEAST(n, (quota - count + 3) / 4) AS got … FOR UPDATE) g …
//	RETURNING c.count, g.got
//
// which the row lock makes exact across connections and processes; no row
// back means the quota is reached. It runs in a transaction with
// synchronous_commit off (sent with BEGIN and COMMIT in one round trip), so
// a request does not wait for a WAL flush; a crash of the database server
// may lose the blocks reserved in the last three wal_writer_delay (600 ms
// by default; PostgreSQL's asynchronous commit). Unused counts are given
// back (count - n) when the user is idle for a second and at Close.
//
// # Differences from the in-memory reference
//
// Times are stored with microsecond precision. Addresses with equal
// recency are ordered by inet order (IPv4 before IPv6, then by bytes), which
// differs from the 16-byte order only for IPv6 addresses below ::ffff:0:0.
// Phishing regions are all counted and the 256 smallest region names are
// returned (the reference keeps the first 256 seen). A list count's
// MaxZone is the most severe zone of its items, Green or Grey included (the
// reference leaves it "" while no item is Yellow or worse). Text with NUL
// bytes or invalid UTF-8 is refused with KindInvalid.
package postgres
