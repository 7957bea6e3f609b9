package stix

// SetRunBytes makes the index of p spill to disk after n bytes, so that
// tests exercise the runs and their merges with small bundles.
func SetRunBytes(p *Parser, n int) { p.runBytes = n }
