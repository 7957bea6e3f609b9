-- Change stamps of objects (store.Intel.Changes, kind ChangedObjects): the
-- time of the latest change of each domain, web address and file object,
-- read in (changed_at, kind, key) order by an index range scan. Keyed and
-- distributed like object_summary (key first), co-located with it.
CREATE TABLE object_changes (
	key        text COLLATE "C" NOT NULL,
	kind       smallint NOT NULL,
	changed_at timestamptz NOT NULL,
	PRIMARY KEY (key, kind)
);
CREATE INDEX object_changes_order ON object_changes (changed_at, kind, key);

-- A store upgraded by this migration stamps the objects it already knows
-- with the time of the migration, all with the same stamp, made later
-- than every stamp given, so that a reader starting from the beginning of
-- Changes sees every object once. Links are owned by the kind of their
-- list (intel.LinkList.Owner: lists 1-10 hosts, 11-15 web addresses, the
-- others files).
UPDATE change_clock SET last = GREATEST(now(), last + interval '1 microsecond') WHERE id = 1;
INSERT INTO object_changes (key, kind, changed_at)
SELECT o.key, o.kind, k.last FROM (
	SELECT key, kind FROM object_summary
	UNION SELECT key, kind FROM object_listings
	UNION SELECT key, kind FROM object_counts
	UNION SELECT DISTINCT owner, (CASE WHEN list <= 10 THEN 1 WHEN list <= 15 THEN 2 ELSE 3 END)::smallint FROM links
	UNION SELECT hash, 3::smallint FROM file_hashes
	UNION SELECT domain, 1::smallint FROM domain_whois
) AS o, change_clock k WHERE k.id = 1;
