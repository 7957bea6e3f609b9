package postgres

import (
	"net/netip"
	"time"
)

var day0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func ip4(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }
