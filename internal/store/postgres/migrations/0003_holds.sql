-- Legal holds: addresses, networks (cidr) or web addresses (url, the
-- normalised key) whose lookups are refused. Few rows, read on every
-- lookup with one SELECT (cidr >>= address OR url = key).
CREATE TABLE holds (
	ref     text COLLATE "C" PRIMARY KEY,
	cidr    cidr,
	url     text COLLATE "C",
	reason  text NOT NULL DEFAULT '',
	created timestamptz,
	CHECK ((cidr IS NULL) <> (url IS NULL))
);
