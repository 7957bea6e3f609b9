// Package intel holds tipd's domain types: addresses, zones, categories, the
// pieces of evidence that importers produce and the store keeps, users and
// licences, and the error kinds the rest of the program maps to statuses.
// It does no I/O.
package intel
