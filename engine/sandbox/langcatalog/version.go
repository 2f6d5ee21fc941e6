package langcatalog

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A constraint is parsed into alternatives (npm's and composer's ||), each a list of
// comparisons that must all hold. Every ecosystem's shorthands (^, ~, ~=, ~>, x-ranges,
// wildcards, hyphen ranges) become plain comparisons.
type cmp struct {
	op  string // = != > >= < <=
	ver version
}

type version struct {
	nums []int
	pre  string // "rc1", "beta.2", "dev0": sorts before the release
	raw  string
}

var verRe = regexp.MustCompile(`^[vV=]?(\d+(?:\.\d+)*)(?:[-.+]?([0-9A-Za-z][0-9A-Za-z.+-]*))?$`)

func parseVersion(s string) (version, bool) {
	m := verRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return version{}, false
	}
	v := version{raw: strings.TrimLeft(strings.TrimSpace(s), "vV=")}
	for _, n := range strings.Split(m[1], ".") {
		i, err := strconv.Atoi(n)
		if err != nil {
			return version{}, false
		}
		v.nums = append(v.nums, i)
	}
	pre := m[2]
	// build metadata and PEP 440 post releases sort as the release itself here
	if i := strings.Index(pre, "+"); i >= 0 {
		pre = pre[:i]
	}
	if strings.HasPrefix(pre, "post") || strings.HasPrefix(pre, "p") && pre != "pre" {
		pre = ""
	}
	v.pre = pre
	return v, true
}

func (v version) at(i int) int {
	if i < len(v.nums) {
		return v.nums[i]
	}
	return 0
}

func compare(a, b version) int {
	n := max(len(a.nums), len(b.nums))
	for i := 0; i < n; i++ {
		if x, y := a.at(i), b.at(i); x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.pre == b.pre:
		return 0
	case a.pre == "":
		return 1
	case b.pre == "":
		return -1
	case a.pre < b.pre:
		return -1
	}
	return 1
}

// Compare orders two version strings (numeric components, then a pre-release before
// its release); unparsable strings compare as text.
func Compare(a, b string) int {
	va, oka := parseVersion(a)
	vb, okb := parseVersion(b)
	if !oka || !okb {
		return strings.Compare(a, b)
	}
	return compare(va, vb)
}

func (c cmp) holds(v version) bool {
	r := compare(v, c.ver)
	switch c.op {
	case "=":
		return r == 0
	case "!=":
		return r != 0
	case ">":
		return r > 0
	case ">=":
		return r >= 0
	case "<":
		return r < 0
	case "<=":
		return r <= 0
	}
	return false
}

func mk(nums ...int) version {
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = strconv.Itoa(n)
	}
	return version{nums: nums, raw: strings.Join(parts, ".")}
}

// bump returns the version after the first n components: bump(1.2.3, 2) = 1.3.
func bump(v version, n int) version {
	nums := make([]int, n)
	for i := range nums {
		nums[i] = v.at(i)
	}
	nums[n-1]++
	return mk(nums...)
}

// Satisfies reports whether ver meets constraint in the ecosystem's syntax.
func Satisfies(eco Ecosystem, ver, constraint string) bool {
	alts, ok := parseConstraint(eco, constraint)
	if !ok {
		return false
	}
	v, ok := parseVersion(ver)
	if !ok {
		return false
	}
	return anyHolds(alts, v)
}

func anyHolds(alts [][]cmp, v version) bool {
	if len(alts) == 0 {
		return true
	}
	for _, all := range alts {
		ok := true
		for _, c := range all {
			if !c.holds(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Pick returns the version to install for constraint: catalogVer when it satisfies
// it, else the highest plausible version that does (an exact pin is installed as
// written). "latest", "*" and "" take catalogVer.
func Pick(eco Ecosystem, catalogVer, constraint string) (string, error) {
	constraint = strings.TrimSpace(constraint)
	alts, ok := parseConstraint(eco, constraint)
	if !ok {
		return "", fmt.Errorf("%q: %w", constraint, ErrNoVersion)
	}
	if cv, ok := parseVersion(catalogVer); ok && anyHolds(alts, cv) {
		return catalogVer, nil
	}
	var best *version
	for _, all := range alts {
		for _, c := range all {
			var cands []version
			switch c.op {
			case "=", ">=", "<=":
				cands = append(cands, c.ver)
			case ">":
				cands = append(cands, bump(c.ver, max(len(c.ver.nums), 3)))
			case "<":
				cands = append(cands, below(c.ver)...)
			}
			for _, v := range cands {
				if anyHolds([][]cmp{all}, v) && (best == nil || compare(v, *best) > 0) {
					v := v
					best = &v
				}
			}
		}
	}
	if best == nil {
		return "", fmt.Errorf("%q: %w", constraint, ErrNoVersion)
	}
	return best.raw, nil
}

// below lists plausible versions just under v: 2.0.0 -> 1.9.0 and 1.0.0; 2.1 -> 2.0.
func below(v version) []version {
	nums := append([]int(nil), v.nums...)
	for len(nums) < 3 {
		nums = append(nums, 0)
	}
	i := len(nums) - 1
	for i >= 0 && nums[i] == 0 {
		i--
	}
	if i < 0 {
		return nil
	}
	a := append([]int(nil), nums...)
	a[i]--
	out := []version{mk(a...)}
	if i+1 < len(a) {
		b := append([]int(nil), a...)
		b[i+1] = 9
		out = append(out, mk(b...))
	}
	return out
}

// parseConstraint turns a constraint into alternatives of comparisons; ok is false
// when the text is not a constraint of the ecosystem.
func parseConstraint(eco Ecosystem, s string) ([][]cmp, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" || s == "latest" || s == "x" || s == ">=0" || s == ">= 0" {
		return nil, true
	}
	var altSep *regexp.Regexp
	switch eco {
	case NPM:
		altSep = regexp.MustCompile(`\s*\|\|\s*`)
	case Packagist:
		altSep = regexp.MustCompile(`\s*\|\|?\s*`)
	}
	alts := []string{s}
	if altSep != nil {
		alts = altSep.Split(s, -1)
	}
	var out [][]cmp
	for _, a := range alts {
		all, ok := parseAll(eco, a)
		if !ok {
			return nil, false
		}
		out = append(out, all)
	}
	return out, true
}

var (
	opRe     = regexp.MustCompile(`^(===|==|~=|~>|!=|>=|<=|\^|~|>|<|=)?\s*(.+)$`)
	hyphenRe = regexp.MustCompile(`^(\S+)\s+-\s+(\S+)$`)
)

func parseAll(eco Ecosystem, s string) ([]cmp, bool) {
	s = strings.TrimSpace(s)
	if m := hyphenRe.FindStringSubmatch(s); m != nil && eco != PyPI {
		lo, ok1 := parseVersion(m[1])
		hi, ok2 := parseVersion(m[2])
		if !ok1 || !ok2 {
			return nil, false
		}
		return []cmp{{">=", lo}, {"<=", hi}}, true
	}
	var parts []string
	switch eco {
	case PyPI, RubyGems:
		parts = strings.Split(s, ",")
	default: // npm: spaces; composer: spaces or commas
		s = regexp.MustCompile(`([<>=~^!]+)\s+`).ReplaceAllString(s, "$1")
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || (eco == Packagist && r == ',') })
	}
	var all []cmp
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" || p == "*" || p == "x" || p == "latest" {
			continue
		}
		if eco == Packagist {
			p, _, _ = strings.Cut(p, "@") // stability flags: ^1.0@dev
			if strings.HasPrefix(p, "dev-") {
				continue
			}
		}
		cs, ok := parseOne(eco, p)
		if !ok {
			return nil, false
		}
		all = append(all, cs...)
	}
	return all, true
}

func parseOne(eco Ecosystem, p string) ([]cmp, bool) {
	m := opRe.FindStringSubmatch(p)
	if m == nil {
		return nil, false
	}
	op, rest := m[1], strings.TrimSpace(m[2])
	// wildcards: 1.2.*, 1.x, 1.2.X (and a bare "1" or "1.2" in npm/composer)
	wild := false
	var fixed []string
	for _, c := range strings.Split(rest, ".") {
		if c == "*" || c == "x" || c == "X" {
			wild = true
			break
		}
		fixed = append(fixed, c)
	}
	if wild || (op == "" || op == "=") && (eco == NPM || eco == Packagist) && len(fixed) < 3 && !strings.ContainsAny(rest, "-+") {
		if len(fixed) == 0 {
			return nil, true
		}
		lo, ok := parseVersion(strings.Join(fixed, "."))
		if !ok {
			return nil, false
		}
		if op == "!=" {
			return []cmp{{"<", lo}}, true // != 1.2.* is approximated by below it
		}
		return []cmp{{">=", lo}, {"<", bump(lo, len(fixed))}}, true
	}
	v, ok := parseVersion(rest)
	if !ok {
		return nil, false
	}
	switch op {
	case "", "=", "==", "===":
		return []cmp{{"=", v}}, true
	case "!=", ">", ">=", "<", "<=":
		return []cmp{{op, v}}, true
	case "^":
		// the first non-zero component is fixed (npm and composer agree)
		i := 0
		for i < len(v.nums)-1 && v.nums[i] == 0 {
			i++
		}
		return []cmp{{">=", v}, {"<", bump(v, i+1)}}, true
	case "~":
		if eco == Packagist && len(v.nums) >= 2 {
			// composer: ~1.2 means >=1.2 <2.0; ~1.2.3 means >=1.2.3 <1.3
			return []cmp{{">=", v}, {"<", bump(v, len(v.nums)-1)}}, true
		}
		n := 2
		if len(v.nums) == 1 {
			n = 1
		}
		return []cmp{{">=", v}, {"<", bump(v, n)}}, true
	case "~=", "~>":
		// PEP 440 compatible release and RubyGems' pessimistic operator: the last
		// component given may grow
		// (RubyGems' "~> 3" is >= 3, < 4)
		n := len(v.nums) - 1
		if n == 0 {
			n = 1
		}
		return []cmp{{">=", v}, {"<", bump(v, n)}}, true
	}
	return nil, false
}
