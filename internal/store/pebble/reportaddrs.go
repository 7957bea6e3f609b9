package pebble

import (
	"fmt"
	"net/netip"

	"github.com/cockroachdb/pebble/v2"
)

// The in-place upgrade "report-addresses" (an indexUpgrade) fills the index
// of report links by report (tReportAddr, reports.go) of a store written
// before it existed.
const upgradeReportAddrs = "report-addresses"

// keyReportAddrs holds the state of the report-addresses upgrade: absent
// (not started), backfillRunning followed by the last summary key walked,
// or backfillDone.
var keyReportAddrs = []byte{tMeta, 'r', 'l', 'i', 'n', 'k', 's'}

// reportAddrsUpgrade walks the address summaries and writes one index key
// per report id a summary holds.
var reportAddrsUpgrade = indexUpgrade{
	state:  keyReportAddrs,
	ranges: [][2][]byte{{{tAddr}, {tAddr + 1}}},
	index: eachAddrSummary(func(b *pebble.Batch, ip netip.Addr, sum *addrSum) error {
		for _, id := range sum.reportIDs {
			if err := b.Set(reportAddrKey(id, ip), nil, nil); err != nil {
				return err
			}
		}
		return nil
	}),
}

// eachAddrSummary makes the index function of an upgrade that walks the
// address summaries: fn gets each address and its decoded summary.
func eachAddrSummary(fn func(b *pebble.Batch, ip netip.Addr, sum *addrSum) error) func(b *pebble.Batch, k, v []byte) error {
	return func(b *pebble.Batch, k, v []byte) error {
		if len(k) != 17 {
			return errCorrupt
		}
		ip := netip.AddrFrom16([16]byte(k[1:])).Unmap()
		var sum addrSum
		if err := decAddrSum(&dec{s: string(v)}, &sum); err != nil {
			return fmt.Errorf("summary of %s: %w", ip, err)
		}
		return fn(b, ip, &sum)
	}
}
