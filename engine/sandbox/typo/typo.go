// Package typo measures how far apart two names are, for the package managers'
// "did you mean" rule: a name a typo away from a catalog name is refused as the real
// tool refuses an unknown one, instead of being synthesized.
package typo

// Distance is the optimal-string-alignment distance between a and b (Damerau-Levenshtein
// with adjacent transpositions, each substring edited at most once), in bytes.
func Distance(a, b string) int {
	la, lb := len(a), len(b)
	d := make([][]int, la+1)
	for i := range d {
		d[i] = make([]int, lb+1)
		d[i][0] = i
	}
	for j := 0; j <= lb; j++ {
		d[0][j] = j
	}
	for i := 1; i <= la; i++ {
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[la][lb]
}
