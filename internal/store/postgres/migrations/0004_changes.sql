-- Change stamps (store.Intel.Changes): the time of the latest change of
-- each address and web address, read in (changed_at, key) order by an index
-- range scan. addr_changes is distributed by addr (co-located with
-- addr_summary), url_changes by url (co-located with url_summary);
-- change_clock is one row, a reference table, holding the latest stamp
-- given, so that every stamp is later than the one before it.
CREATE TABLE addr_changes (
	addr       inet PRIMARY KEY,
	changed_at timestamptz NOT NULL
);
CREATE INDEX addr_changes_order ON addr_changes (changed_at, addr);

CREATE TABLE url_changes (
	url        text COLLATE "C" PRIMARY KEY,
	changed_at timestamptz NOT NULL
);
CREATE INDEX url_changes_order ON url_changes (changed_at, url);

CREATE TABLE change_clock (
	id   integer PRIMARY KEY CHECK (id = 1),
	last timestamptz NOT NULL
);

-- A store upgraded by this migration stamps what it already knows with the
-- time of the migration, all with the same stamp, so that a reader starting
-- from the beginning of Changes sees every address and web address once.
-- (Every address with evidence has an addr_summary row, except those with
-- only masks or report links; every web address has a url_summary row.)
INSERT INTO change_clock (id, last) VALUES (1, now());
INSERT INTO addr_changes (addr, changed_at)
SELECT addr, now() FROM addr_summary
UNION SELECT addr, now() FROM masks
UNION SELECT addr, now() FROM report_links;
INSERT INTO url_changes (url, changed_at) SELECT url, now() FROM url_summary;
