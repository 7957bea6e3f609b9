-- Domains, web addresses and files as objects (store.Objects). Every table
-- is keyed first by the object's key (for links: the owner's key), which is
-- the distribution column under Citus; all are co-located with
-- object_summary (see docs/scaling.md). Keys are text COLLATE "C", as in
-- Go's byte order.

-- Per position, b's value when it is not empty, else a's (the Attrs rule
-- of intel.Link.Merge for lists that do not merge them by union).
CREATE FUNCTION tipd_attrs_merge(a text[], b text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT COALESCE(array_agg(CASE WHEN COALESCE(b[i], '') <> '' THEN b[i] ELSE COALESCE(a[i], '') END ORDER BY i), '{}')
	FROM generate_series(1, GREATEST(cardinality(a), cardinality(b), 0)) AS g(i)
$$;

-- The merged intel.ObjectInfo of an object; kind is intel.ObjectKind.
CREATE TABLE object_summary (
	key           text COLLATE "C" NOT NULL,
	kind          smallint NOT NULL,
	hits          bigint NOT NULL DEFAULT 0,
	first_seen    timestamptz,
	last_seen     timestamptz,
	size          bigint NOT NULL DEFAULT 0,
	type          text NOT NULL DEFAULT '',
	packer        text NOT NULL DEFAULT '',
	signer        text NOT NULL DEFAULT '',
	signer_status text NOT NULL DEFAULT '',
	allows        text[] COLLATE "C" NOT NULL DEFAULT '{}',
	src_feed      text NOT NULL DEFAULT '',
	src_file      text NOT NULL DEFAULT '',
	src_imported  timestamptz,
	PRIMARY KEY (key, kind)
);

CREATE TABLE object_listings (
	key          text COLLATE "C" NOT NULL,
	kind         smallint NOT NULL,
	feed         text COLLATE "C" NOT NULL,
	category     text COLLATE "C" NOT NULL,
	first_seen   timestamptz,
	last_seen    timestamptz,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (key, kind, feed, category)
);

-- The counts of each list of an object (intel.ListCount), maintained by
-- Apply: distinct items, the sum of their hits, their most severe zone.
CREATE TABLE object_counts (
	key      text COLLATE "C" NOT NULL,
	kind     smallint NOT NULL,
	list     smallint NOT NULL,
	items    bigint NOT NULL DEFAULT 0,
	hits     bigint NOT NULL DEFAULT 0,
	max_zone text NOT NULL DEFAULT '',
	PRIMARY KEY (key, kind, list)
);

-- One item of one list of an owner (intel.Link); list is intel.LinkList.
-- The lists ordered by severity (intel.LinkList.BySeverity: 8 subdomains,
-- 9 host masks) have sev = the zone's severity and recent = NULL; the
-- others sev = 0 and recent = last_seen. So one index serves both orders:
-- most severe first, then newest, then more hits, then by item.
CREATE TABLE links (
	owner        text COLLATE "C" NOT NULL,
	list         smallint NOT NULL,
	item         text COLLATE "C" NOT NULL,
	zone         text NOT NULL DEFAULT '',
	hits         bigint NOT NULL DEFAULT 0,
	first_seen   timestamptz,
	last_seen    timestamptz,
	daily_peak   bigint NOT NULL DEFAULT 0,
	peak_date    timestamptz,
	attrs        text[] NOT NULL DEFAULT '{}',
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	sev          smallint GENERATED ALWAYS AS (CASE WHEN list IN (8, 9) THEN tipd_zone_sev(zone) ELSE 0 END) STORED,
	recent       timestamptz GENERATED ALWAYS AS (CASE WHEN list IN (8, 9) THEN NULL ELSE last_seen END) STORED,
	PRIMARY KEY (owner, list, item)
);
CREATE INDEX links_order ON links (owner, list, sev DESC, recent DESC NULLS LAST, hits DESC, item);

-- Each hash given in an intel.FileHashes record, with the hashes stored
-- together with it.
CREATE TABLE file_hashes (
	hash         text COLLATE "C" PRIMARY KEY,
	md5          text NOT NULL DEFAULT '',
	sha1         text NOT NULL DEFAULT '',
	sha256       text NOT NULL DEFAULT '',
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz
);

-- The registration record of a registrable domain (intel.DomainWhois);
-- contacts as a JSON array of intel.DomainContact.
CREATE TABLE domain_whois (
	domain           text COLLATE "C" PRIMARY KEY,
	created          timestamptz,
	updated          timestamptz,
	expires          timestamptz,
	name_servers     text[] NOT NULL DEFAULT '{}',
	status           text[] NOT NULL DEFAULT '{}',
	registrar        text NOT NULL DEFAULT '',
	registrar_id     text NOT NULL DEFAULT '',
	registrar_email  text NOT NULL DEFAULT '',
	registration_org text NOT NULL DEFAULT '',
	contacts         jsonb,
	src_feed         text NOT NULL DEFAULT '',
	src_file         text NOT NULL DEFAULT '',
	src_imported     timestamptz
);
