-- Legal holds on threat reports (intel.Hold.Report): /api/publications/
-- never serves a held report. Still exactly one target per hold.
ALTER TABLE holds
	ADD COLUMN report text COLLATE "C",
	DROP CONSTRAINT holds_one_target,
	ADD CONSTRAINT holds_one_target CHECK (num_nonnulls(cidr, url, domain, hash, report) = 1);
