-- The number of items of each list of an address, maintained by Apply
-- (the total of a page of the list, store.ListPage): list 1 hosted_urls,
-- 2 files, 3 resolutions, 4 masks. Distributed by addr with addr_summary.
CREATE TABLE addr_list_counts (
	addr  inet NOT NULL,
	list  smallint NOT NULL,
	items bigint NOT NULL,
	PRIMARY KEY (addr, list)
);

INSERT INTO addr_list_counts (addr, list, items)
SELECT addr, 1, count(*) FROM hosted_urls GROUP BY addr
UNION ALL SELECT addr, 2, count(*) FROM files GROUP BY addr
UNION ALL SELECT addr, 3, count(*) FROM resolutions GROUP BY addr
UNION ALL SELECT addr, 4, count(*) FROM masks GROUP BY addr;
