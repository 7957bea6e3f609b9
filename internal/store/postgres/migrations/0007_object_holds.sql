-- Legal holds on domain names and files. A hold on a name (domain, as
-- NormalizeDomain writes it) holds that name and every name below it: a
-- check asks for the looked-up name and each name above it, label by label
-- (domain = ANY of at most 127 names, each an index probe). A hold on a
-- file names one of its hashes (hash, upper case); a check asks for every
-- hash stored with the looked-up one. Exactly one target per hold.
ALTER TABLE holds
	ADD COLUMN domain text COLLATE "C",
	ADD COLUMN hash   text COLLATE "C",
	DROP CONSTRAINT holds_check,
	ADD CONSTRAINT holds_one_target CHECK (num_nonnulls(cidr, url, domain, hash) = 1);
CREATE INDEX holds_domain ON holds (domain) WHERE domain IS NOT NULL;
CREATE INDEX holds_hash ON holds (hash) WHERE hash IS NOT NULL;
