package report

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// sqrt10 is the square root of ten.
const sqrt10 = 3.16227766016837933199889354443271853372

// RoundHits rounds a hit count to the nearest power of ten in log space:
// 10^round(log10(h)), so the boundary between 10^k and 10^(k+1) is
// 10^k x sqrt(10) (3.16, 31.6, 316, ...). 0 stays 0; the result is at most
// 10^18.
func RoundHits(h int64) int64 {
	if h <= 0 {
		return 0
	}
	p := int64(1)
	for i := 0; i < 18; i++ {
		if float64(h) < float64(p)*sqrt10 {
			return p
		}
		p *= 10
	}
	return p
}

// SpamRatio is spam_ratio: spam attacks / max(spam attacks, sighting hits),
// rounded to four decimals; 0 without spam.
func SpamRatio(attacks, hits int64) float64 {
	if attacks <= 0 {
		return 0
	}
	r := float64(attacks) / float64(max(attacks, hits))
	return math.Round(r*1e4) / 1e4
}

// TopRegionsOf returns the n regions with the most attacks, most first
// (ties by region code).
func TopRegionsOf(regions map[string]int64, n int) []string {
	if len(regions) == 0 {
		return nil
	}
	type rc struct {
		r string
		c int64
	}
	all := make([]rc, 0, len(regions))
	for r, c := range regions {
		all = append(all, rc{r, c})
	}
	slices.SortFunc(all, func(a, b rc) int {
		if a.c != b.c {
			return cmp.Compare(b.c, a.c)
		}
		return strings.Compare(a.r, b.r)
	})
	all = all[:min(len(all), n)]
	out := make([]string, len(all))
	for i, x := range all {
		out[i] = x.r
	}
	return out
}
