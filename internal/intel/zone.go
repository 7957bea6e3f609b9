package intel

import "sort"

// Zone is the verdict colour of an object, exactly as written on the wire.
type Zone string

// The five zones of the lookup API.
const (
	ZoneRed    Zone = "Red"    // dangerous
	ZoneOrange Zone = "Orange" // not trusted ("suspicious"), threat score 50-74
	ZoneYellow Zone = "Yellow" // adware and other: adware, pornware, riskware
	ZoneGrey   Zone = "Grey"   // no or not enough data
	ZoneGreen  Zone = "Green"  // good, or analysed with no threats found
)

// Valid reports whether z is one of the five zones.
func (z Zone) Valid() bool {
	switch z {
	case ZoneRed, ZoneOrange, ZoneYellow, ZoneGrey, ZoneGreen:
		return true
	}
	return false
}

// Severity orders zones from harmless to dangerous: Green < Grey < Yellow <
// Orange < Red. Unknown zones rank as Grey.
func (z Zone) Severity() int {
	switch z {
	case ZoneGreen:
		return 0
	case ZoneYellow:
		return 2
	case ZoneOrange:
		return 3
	case ZoneRed:
		return 4
	}
	return 1
}

// MaxZone returns the more severe of a and b.
func MaxZone(a, b Zone) Zone {
	if b.Severity() > a.Severity() {
		return b
	}
	return a
}

// FeedStatus is the FeedMasks status that goes with a zone ("Dangerous",
// "Not trusted", "Adware and other"); empty for zones that feeds do not use.
func (z Zone) FeedStatus() string {
	switch z {
	case ZoneRed:
		return "Dangerous"
	case ZoneOrange:
		return "Not trusted"
	case ZoneYellow:
		return "Adware and other"
	}
	return ""
}

// Category is a CATEGORY_* name as written on the wire.
type Category string

// The categories tipd knows. Each has a zone (see CategoryZone).
const (
	CatMalware       Category = "CATEGORY_MALWARE"
	CatBotnetCNC     Category = "CATEGORY_BOTNET_CNC"
	CatPhishing      Category = "CATEGORY_PHISHING"
	CatAPT           Category = "CATEGORY_APT"
	CatRansomware    Category = "CATEGORY_RANSOMWARE"
	CatMiner         Category = "CATEGORY_MINER"
	CatSpam          Category = "CATEGORY_SPAM"
	CatScanner       Category = "CATEGORY_SCANNER"
	CatBruteforce    Category = "CATEGORY_BRUTEFORCE"
	CatTor           Category = "CATEGORY_TOR_EXIT_NODE"
	CatProxy         Category = "CATEGORY_OPEN_PROXY"
	CatCompromised   Category = "CATEGORY_COMPROMISED"
	CatBadReputation Category = "CATEGORY_BAD_REPUTATION"
	CatAdware        Category = "CATEGORY_ADWARE"
	CatPornware      Category = "CATEGORY_PORNWARE"
	CatRiskware      Category = "CATEGORY_RISKWARE"
	CatBenign        Category = "CATEGORY_KNOWN_BENIGN"
)

var categoryZones = map[Category]Zone{
	CatMalware:       ZoneRed,
	CatBotnetCNC:     ZoneRed,
	CatPhishing:      ZoneRed,
	CatAPT:           ZoneRed,
	CatRansomware:    ZoneRed,
	CatMiner:         ZoneOrange,
	CatSpam:          ZoneOrange,
	CatScanner:       ZoneOrange,
	CatBruteforce:    ZoneOrange,
	CatTor:           ZoneOrange,
	CatProxy:         ZoneOrange,
	CatCompromised:   ZoneOrange,
	CatBadReputation: ZoneOrange,
	CatAdware:        ZoneYellow,
	CatPornware:      ZoneYellow,
	CatRiskware:      ZoneYellow,
	CatBenign:        ZoneGreen,
}

// CategoryZone returns the zone of a known category and whether it is known.
func CategoryZone(c Category) (Zone, bool) {
	z, ok := categoryZones[c]
	return z, ok
}

// KnownCategories lists every category name, sorted.
func KnownCategories() []Category {
	out := make([]Category, 0, len(categoryZones))
	for c := range categoryZones {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
