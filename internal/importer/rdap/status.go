package rdap

import "strings"

// eppStatus maps the RDAP status values of RFC 8056 (section 2) to the EPP
// status codes they stand for: the domain statuses of RFC 5731, the grace
// period statuses of RFC 3915, and the host and contact statuses of RFC
// 5732 and RFC 5733 ("associated" is EPP's "linked").
var eppStatus = map[string]string{
	"add period":                 "addPeriod",
	"auto renew period":          "autoRenewPeriod",
	"client delete prohibited":   "clientDeleteProhibited",
	"client hold":                "clientHold",
	"client renew prohibited":    "clientRenewProhibited",
	"client transfer prohibited": "clientTransferProhibited",
	"client update prohibited":   "clientUpdateProhibited",
	"inactive":                   "inactive",
	"associated":                 "linked",
	"active":                     "ok",
	"pending create":             "pendingCreate",
	"pending delete":             "pendingDelete",
	"pending renew":              "pendingRenew",
	"pending restore":            "pendingRestore",
	"pending transfer":           "pendingTransfer",
	"pending update":             "pendingUpdate",
	"redemption period":          "redemptionPeriod",
	"renew period":               "renewPeriod",
	"server delete prohibited":   "serverDeleteProhibited",
	"server renew prohibited":    "serverRenewProhibited",
	"server transfer prohibited": "serverTransferProhibited",
	"server update prohibited":   "serverUpdateProhibited",
	"server hold":                "serverHold",
	"transfer period":            "transferPeriod",
}

// eppCodes is the set of the EPP codes of eppStatus, for servers that
// write the EPP code itself.
var eppCodes = func() map[string]bool {
	m := make(map[string]bool, len(eppStatus))
	for _, c := range eppStatus {
		m[c] = true
	}
	return m
}()

// redactionStatus are RDAP status values that say how a value was hidden,
// not what state the domain is in: they are dropped.
var redactionStatus = map[string]bool{"private": true, "removed": true, "obscured": true, "proxy": true}

// Status is the domain status shown for an RDAP status value: an EPP code
// with its ICANN explanation page ("clientHold
// https://icann.org/epp#clientHold") when RFC 8056 maps it (an EPP code
// written as such is taken too), else the value as written, lower case;
// "" for the values that describe a redaction and for an empty value.
func Status(s string) string {
	s = strings.TrimSpace(s)
	if eppCodes[s] {
		return s + " https://icann.org/epp#" + s
	}
	l, ok := s, false
	if _, ok = eppStatus[l]; !ok {
		l = strings.Join(strings.Fields(strings.ToLower(s)), " ")
	}
	if c, ok := eppStatus[l]; ok {
		return c + " https://icann.org/epp#" + c
	}
	if redactionStatus[l] {
		return ""
	}
	return l
}
