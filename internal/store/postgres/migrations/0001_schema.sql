-- tipd schema, version 1. Applied once by Migrate inside a transaction.
--
-- Address-keyed tables carry the address in the column addr (inet, always a
-- host address: IPv4 addresses are stored as IPv4, never IPv4-mapped); under
-- Citus they are distributed by addr and co-located. URL-keyed tables are
-- distributed by url, domain_ips by domain, request_counts by user_name; the
-- rest are reference tables (see docs/scaling.md). Every primary key of a
-- distributed table starts with its distribution column.
--
-- Unknown (zero) times are NULL, which LEAST and GREATEST ignore. Text that
-- lists are ordered by is COLLATE "C" (byte order, as in Go).

-- Severity of a zone: Green 0 < Grey (and unknown) 1 < Yellow 2 < Orange 3 < Red 4.
CREATE FUNCTION tipd_zone_sev(z text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE z WHEN 'Green' THEN 0 WHEN 'Yellow' THEN 2 WHEN 'Orange' THEN 3 WHEN 'Red' THEN 4 ELSE 1 END
$$;

-- The more severe of two zones; an empty zone yields to any other, a tie keeps a.
CREATE FUNCTION tipd_zone_merge(a text, b text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN a = '' THEN b WHEN b = '' THEN a
		WHEN tipd_zone_sev(b) > tipd_zone_sev(a) THEN b ELSE a END
$$;

-- The sorted union of two sets.
CREATE FUNCTION tipd_union(a text[], b text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT COALESCE(array_agg(DISTINCT x COLLATE "C" ORDER BY x COLLATE "C"), '{}')
	FROM unnest(a || b) AS u(x)
$$;

-- The n smallest non-empty members of the union of two sets, sorted.
CREATE FUNCTION tipd_union_cap(a text[], b text[], n integer) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT COALESCE(array_agg(x ORDER BY x), '{}') FROM (
		SELECT DISTINCT x COLLATE "C" AS x FROM unnest(a || b) AS u(x)
		WHERE x <> '' ORDER BY 1 LIMIT n) AS s
$$;

-- Address summary, maintained by Apply: counters, seen range, capped sets.
CREATE TABLE addr_summary (
	addr             inet PRIMARY KEY,
	hits             bigint NOT NULL DEFAULT 0,
	first_seen       timestamptz,
	last_seen        timestamptz,
	red_urls         bigint NOT NULL DEFAULT 0,
	red_files        bigint NOT NULL DEFAULT 0,
	spam_attacks     bigint NOT NULL DEFAULT 0,
	spam_last        timestamptz,
	spam_types       text[] COLLATE "C" NOT NULL DEFAULT '{}',
	phish_attacks    bigint NOT NULL DEFAULT 0,
	phish_last       timestamptz,
	phish_kit        text NOT NULL DEFAULT '',
	phish_kit_time   timestamptz,
	phish_kit_id     text COLLATE "C" NOT NULL DEFAULT '',
	phish_stolen     text[] COLLATE "C" NOT NULL DEFAULT '{}',
	phish_industries text[] COLLATE "C" NOT NULL DEFAULT '{}',
	phish_orgs       text[] COLLATE "C" NOT NULL DEFAULT '{}'
);

CREATE TABLE sightings (
	addr inet NOT NULL,
	day  date NOT NULL,
	hits bigint NOT NULL,
	PRIMARY KEY (addr, day)
);

CREATE TABLE listings (
	addr         inet NOT NULL,
	feed         text COLLATE "C" NOT NULL,
	category     text COLLATE "C" NOT NULL,
	first_seen   timestamptz,
	last_seen    timestamptz,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (addr, feed, category)
);

CREATE TABLE hosted_urls (
	addr         inet NOT NULL,
	url          text COLLATE "C" NOT NULL,
	zone         text NOT NULL DEFAULT '',
	categories   text[] COLLATE "C" NOT NULL DEFAULT '{}',
	hits         bigint NOT NULL DEFAULT 0,
	truncated    boolean NOT NULL DEFAULT false,
	first_seen   timestamptz,
	last_seen    timestamptz,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (addr, url)
);
CREATE INDEX hosted_urls_recent ON hosted_urls (addr, last_seen DESC NULLS LAST, hits DESC, url);

CREATE TABLE files (
	addr         inet NOT NULL,
	md5          text COLLATE "C" NOT NULL,
	url          text COLLATE "C" NOT NULL,
	zone         text NOT NULL DEFAULT '',
	detection    text NOT NULL DEFAULT '',
	hits         bigint NOT NULL DEFAULT 0,
	first_seen   timestamptz,
	last_seen    timestamptz,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (addr, md5, url)
);
CREATE INDEX files_recent ON files (addr, last_seen DESC NULLS LAST, hits DESC, md5, url);

CREATE TABLE resolutions (
	addr         inet NOT NULL,
	domain       text COLLATE "C" NOT NULL,
	first_seen   timestamptz,
	last_seen    timestamptz,
	hits         bigint NOT NULL DEFAULT 0,
	daily_peak   bigint NOT NULL DEFAULT 0,
	peak_date    timestamptz,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (addr, domain)
);
CREATE INDEX resolutions_recent ON resolutions (addr, last_seen DESC NULLS LAST, hits DESC, domain);

CREATE TABLE masks (
	addr         inet NOT NULL,
	mask         text COLLATE "C" NOT NULL,
	mask_type    text COLLATE "C" NOT NULL,
	zone         text NOT NULL DEFAULT '',
	sev          smallint GENERATED ALWAYS AS (tipd_zone_sev(zone)) STORED,
	feeds        text[] COLLATE "C" NOT NULL DEFAULT '{}',
	last_seen    timestamptz,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (addr, mask, mask_type)
);
CREATE INDEX masks_severe ON masks (addr, sev DESC, mask, mask_type);

CREATE TABLE spam_events (
	addr         inet NOT NULL,
	id           text COLLATE "C" NOT NULL,
	time         timestamptz,
	type         text NOT NULL DEFAULT '',
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (addr, id)
);

CREATE TABLE phish_events (
	addr         inet NOT NULL,
	id           text COLLATE "C" NOT NULL,
	time         timestamptz,
	region       text NOT NULL DEFAULT '',
	kit          text NOT NULL DEFAULT '',
	stolen       text[] NOT NULL DEFAULT '{}',
	industry     text NOT NULL DEFAULT '',
	organization text NOT NULL DEFAULT '',
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (addr, id)
);

CREATE TABLE phish_regions (
	addr    inet NOT NULL,
	region  text COLLATE "C" NOT NULL,
	attacks bigint NOT NULL,
	PRIMARY KEY (addr, region)
);

CREATE TABLE report_links (
	addr         inet NOT NULL,
	report_id    text COLLATE "C" NOT NULL,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (addr, report_id)
);

-- Keyed by domain: the addresses a domain resolved to, with the merged
-- recency of the resolution (a copy of resolutions' last_seen and hits).
CREATE TABLE domain_ips (
	domain    text COLLATE "C" NOT NULL,
	addr      inet NOT NULL,
	last_seen timestamptz,
	hits      bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (domain, addr)
);
CREATE INDEX domain_ips_recent ON domain_ips (domain, last_seen DESC NULLS LAST, hits DESC, addr);

-- Keyed by normalised web address (without scheme).
CREATE TABLE url_summary (
	url        text COLLATE "C" PRIMARY KEY,
	hosted     boolean NOT NULL DEFAULT false,
	zone       text NOT NULL DEFAULT '',
	categories text[] COLLATE "C" NOT NULL DEFAULT '{}',
	hits       bigint NOT NULL DEFAULT 0,
	truncated  boolean NOT NULL DEFAULT false,
	first_seen timestamptz,
	last_seen  timestamptz,
	files      bigint NOT NULL DEFAULT 0
);

CREATE TABLE url_ips (
	url  text COLLATE "C" NOT NULL,
	addr inet NOT NULL,
	PRIMARY KEY (url, addr)
);

CREATE TABLE url_files (
	url          text COLLATE "C" NOT NULL,
	md5          text COLLATE "C" NOT NULL,
	addr         inet NOT NULL,
	full_url     text COLLATE "C" NOT NULL,
	zone         text NOT NULL DEFAULT '',
	detection    text NOT NULL DEFAULT '',
	hits         bigint NOT NULL DEFAULT 0,
	first_seen   timestamptz,
	last_seen    timestamptz,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (url, md5)
);
CREATE INDEX url_files_recent ON url_files (url, last_seen DESC NULLS LAST, hits DESC, md5);

-- Reference data.
CREATE TABLE domains (
	domain       text COLLATE "C" PRIMARY KEY,
	zone         text NOT NULL DEFAULT '',
	categories   text[] COLLATE "C" NOT NULL DEFAULT '{}',
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz
);

CREATE TABLE reports (
	id           text COLLATE "C" PRIMARY KEY,
	type         text NOT NULL DEFAULT '',
	title        text NOT NULL DEFAULT '',
	description  text NOT NULL DEFAULT '',
	published    timestamptz,
	updated      timestamptz,
	tags         text[] NOT NULL DEFAULT '{}',
	industries   text[] NOT NULL DEFAULT '{}',
	geo          text[] NOT NULL DEFAULT '{}',
	actors       text[] NOT NULL DEFAULT '{}',
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz
);

CREATE TABLE country_ranges (
	prefix       cidr PRIMARY KEY,
	country      text NOT NULL DEFAULT '',
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz
);

CREATE TABLE as_ranges (
	prefix       cidr NOT NULL,
	asn          bigint NOT NULL,
	description  text[] NOT NULL DEFAULT '{}',
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (prefix, asn)
);

CREATE TABLE whois_nets (
	prefix       cidr PRIMARY KEY,
	type         text NOT NULL DEFAULT '',
	start_addr   inet,
	end_addr     inet,
	name         text NOT NULL DEFAULT '',
	description  text NOT NULL DEFAULT '',
	created      timestamptz,
	changed      timestamptz,
	country      text NOT NULL DEFAULT '',
	contacts     jsonb,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz
);

CREATE TABLE net_listings (
	prefix       cidr NOT NULL,
	feed         text COLLATE "C" NOT NULL,
	category     text COLLATE "C" NOT NULL,
	zone         text NOT NULL DEFAULT '',
	first_seen   timestamptz,
	last_seen    timestamptz,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (prefix, feed, category)
);

CREATE TABLE allows (
	prefix       cidr NOT NULL,
	list         text COLLATE "C" NOT NULL,
	src_feed     text NOT NULL DEFAULT '',
	src_file     text NOT NULL DEFAULT '',
	src_imported timestamptz,
	PRIMARY KEY (prefix, list)
);

-- One row: bumped by every Apply that changes network-keyed data.
CREATE TABLE net_version (
	id      integer PRIMARY KEY CHECK (id = 1),
	version bigint NOT NULL
);
INSERT INTO net_version (id, version) VALUES (1, 0);

-- Access data.
CREATE TABLE users (
	name              text COLLATE "C" PRIMARY KEY,
	access            text NOT NULL DEFAULT '',
	day_quota         bigint NOT NULL DEFAULT 0,
	expires           timestamptz,
	api_access        boolean NOT NULL DEFAULT false,
	password_hash     text NOT NULL DEFAULT '',
	cert_fingerprints text[] NOT NULL DEFAULT '{}',
	created           timestamptz
);

-- A user's one active token; the hash is unique.
CREATE TABLE tokens (
	user_name text COLLATE "C" PRIMARY KEY,
	hash      text NOT NULL UNIQUE,
	issued    timestamptz,
	expires   timestamptz
);

CREATE TABLE request_counts (
	user_name text COLLATE "C" NOT NULL,
	day       date NOT NULL,
	count     bigint NOT NULL,
	PRIMARY KEY (user_name, day)
);
