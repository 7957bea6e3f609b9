-- The network index (store.NetworkAddresses): the address summaries with a
-- last_seen, by the bucket that holds each address, newest first. Two
-- buckets per address: its /24 and /16 (IPv4), its /48 and /32 (IPv6).
-- Expression indexes on addr_summary itself, so that Apply keeps them
-- without a statement of its own and, under Citus, each shard indexes its
-- own rows.

-- The bucket of an address: the small one (/24, /48) or the large one
-- (/16, /32).
CREATE FUNCTION tipd_net_bucket(a inet, large boolean) RETURNS cidr
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT network(set_masklen(a, CASE WHEN family(a) = 4 THEN (CASE WHEN large THEN 16 ELSE 24 END)
		ELSE (CASE WHEN large THEN 32 ELSE 48 END) END))
$$;

CREATE INDEX addr_summary_net_small ON addr_summary
	(tipd_net_bucket(addr, false), last_seen DESC, hits DESC, addr) WHERE last_seen IS NOT NULL;
CREATE INDEX addr_summary_net_large ON addr_summary
	(tipd_net_bucket(addr, true), last_seen DESC, hits DESC, addr) WHERE last_seen IS NOT NULL;
