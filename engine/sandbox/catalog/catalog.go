// Package catalog is the playground's knowledge of the system package archives:
// which packages the Debian/Ubuntu, Alpine and RPM (Fedora, Rocky/Alma/CentOS,
// Amazon Linux) archives hold, at which version on each release, how big they are,
// what they depend on and which commands they install. It is data (the embedded
// *.tsv files), read once; the sandbox's apt, apk and dnf use it.
//
// A name the catalog does not hold but that is valid by the ecosystem's rules gets
// a deterministic stand-in synthesized from the name (Synthesize); a name a typo
// away from a catalog name is refused (Typo), as the real archive has no such
// package either.
package catalog

import (
	"bufio"
	"embed"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"layerlab/engine/sandbox/typo"
)

//go:embed *.tsv
var files embed.FS

// Family names a package format and its archive.
type Family string

// The families the playground knows.
const (
	Deb Family = "deb" // Debian and Ubuntu (apt, dpkg)
	Apk Family = "apk" // Alpine (apk)
	RPM Family = "rpm" // Fedora, Rocky/Alma/CentOS, Amazon Linux (dnf, yum, microdnf)
)

// Package is one package of one release's archive.
type Package struct {
	Name       string
	Version    string
	Installed  int64    // bytes on disk once installed
	Download   int64    // bytes of the archive file
	Deps       []string // hard dependencies
	Recommends []string // Debian Recommends, RPM weak dependencies (Alpine has none)
	Bins       []string // absolute paths of the commands it installs
	Synthetic  bool     // not in the catalog: made from the name by Synthesize
}

// Release is one distribution release the catalog has data for.
type Release struct {
	Family   Family
	Distro   string // os-release ID: debian, ubuntu, alpine, fedora, rocky, almalinux, centos, amzn, rhel
	Key      string // the release's catalog key: "bookworm", "noble", "3.19", "edge", "fc40", "el9", "amzn2023"
	Version  string // VERSION_ID as the distribution writes it
	Codename string
	Vars     map[string]string // names and versions the package rows are written with (${PY}, ${DIST}, ...)
}

// Catalog is the archive of one release.
type Catalog struct {
	Release Release
	pkgs    map[string]Package
	names   []string
}

var (
	loadOnce sync.Once
	releases []Release
	rows     map[Family][]row
	cache    sync.Map // release key -> *Catalog
	loadErr  error
)

// row is one line of a family's table, before ${VAR} expansion for a release.
type row struct {
	name, version    string
	inst, dl         int64
	deps, recs, bins string
	line             int
	perRelease       map[string]string
}

func load() {
	rows = map[Family][]row{}
	b, err := files.ReadFile("releases.tsv")
	if err != nil {
		loadErr = fmt.Errorf("read releases.tsv: %w", err)
		return
	}
	for _, l := range lines(string(b)) {
		f := strings.Split(l.text, "\t")
		if len(f) < 6 {
			loadErr = fmt.Errorf("releases.tsv:%d: want 6 columns, have %d", l.n, len(f))
			return
		}
		r := Release{Family: Family(f[0]), Distro: f[1], Key: f[2], Version: f[3], Codename: f[4], Vars: map[string]string{}}
		for _, kv := range strings.Fields(f[5]) {
			k, v, _ := strings.Cut(kv, "=")
			r.Vars[k] = v
		}
		releases = append(releases, r)
	}
	for _, fam := range []Family{Deb, Apk, RPM} {
		name := map[Family]string{Deb: "debian.tsv", Apk: "alpine.tsv", RPM: "rpm.tsv"}[fam]
		b, err := files.ReadFile(name)
		if err != nil {
			loadErr = fmt.Errorf("read %s: %w", name, err)
			return
		}
		for _, l := range lines(string(b)) {
			f := strings.Split(l.text, "\t")
			for len(f) < 7 {
				f = append(f, "")
			}
			inst, err1 := strconv.ParseInt(f[2], 10, 64)
			dl, err2 := strconv.ParseInt(f[3], 10, 64)
			if err1 != nil || err2 != nil {
				loadErr = fmt.Errorf("%s:%d: sizes %q %q are not numbers", name, l.n, f[2], f[3])
				return
			}
			vs := strings.Fields(f[1])
			if len(vs) == 0 {
				loadErr = fmt.Errorf("%s:%d: no version", name, l.n)
				return
			}
			r := row{name: f[0], version: vs[0], inst: inst, dl: dl, deps: f[4], recs: f[5], bins: f[6], line: l.n, perRelease: map[string]string{}}
			for _, v := range vs[1:] {
				k, ver, ok := strings.Cut(v, "=")
				if !ok {
					loadErr = fmt.Errorf("%s:%d: version %q is not release=version", name, l.n, v)
					return
				}
				r.perRelease[k] = ver
			}
			rows[fam] = append(rows[fam], r)
		}
	}
}

type numbered struct {
	n    int
	text string
}

// lines returns the non-blank, non-comment lines of a table.
func lines(s string) []numbered {
	var out []numbered
	sc := bufio.NewScanner(strings.NewReader(s))
	n := 0
	for sc.Scan() {
		n++
		t := strings.TrimRight(sc.Text(), " \r")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, numbered{n, t})
	}
	return out
}

// Releases lists the releases the catalog knows, in table order.
func Releases() []Release {
	loadOnce.Do(load)
	return append([]Release(nil), releases...)
}

// Err reports a malformed embedded table (a test checks it stays nil).
func Err() error {
	loadOnce.Do(load)
	return loadErr
}

// Detect finds the catalog release for an image's /etc/os-release fields (ID,
// VERSION_ID, VERSION_CODENAME). ok is false when the catalog has no data for that
// release; the family's closest release is returned then, so a newer point
// release still installs (the caller says so in the step log).
func Detect(fam Family, id, versionID, codename string) (Release, bool) {
	loadOnce.Do(load)
	var same []Release
	for _, r := range releases {
		if r.Family != fam {
			continue
		}
		switch {
		case codename != "" && r.Codename == codename && (id == "" || r.Distro == id):
			return r, true
		case r.Distro == id && r.Version == versionID:
			return r, true
		}
		if r.Distro == id || id == "" {
			same = append(same, r)
		}
	}
	if fam == Apk {
		branch := alpineBranch(versionID)
		for _, r := range releases {
			if r.Family == Apk && r.Key == branch {
				return r, true
			}
		}
	}
	if fam == RPM {
		major, _, _ := strings.Cut(versionID, ".")
		for _, r := range same {
			if r.Version == major {
				return r, true
			}
		}
	}
	if len(same) == 0 {
		for _, r := range releases {
			if r.Family == fam {
				same = append(same, r)
			}
		}
	}
	// The newest the catalog has of that distribution: rows list releases oldest first.
	return same[len(same)-1], false
}

// alpineBranch maps VERSION_ID to the branch: "3.19.1" -> "3.19"; a pre-release
// ("3.22_alpha20250108") is edge.
func alpineBranch(v string) string {
	if strings.Contains(v, "_") {
		return "edge"
	}
	parts := strings.Split(v, ".")
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}

// For returns the catalog of a release.
func For(r Release) *Catalog {
	loadOnce.Do(load)
	if c, ok := cache.Load(string(r.Family) + "/" + r.Key); ok {
		return c.(*Catalog)
	}
	c := &Catalog{Release: r, pkgs: map[string]Package{}}
	for _, rw := range rows[r.Family] {
		name := expand(rw.name, r.Vars)
		if name == "" || strings.Contains(name, "${") {
			continue // a row for releases that have that name only
		}
		ver := rw.version
		// The most specific version the row gives: this release, its series (el9 for
		// Rocky, Alma and CentOS 9 alike), its distribution (ubuntu=...), else the default.
		for _, k := range []string{r.Distro, r.Vars["SERIES"], r.Key} {
			if v, ok := rw.perRelease[k]; ok && k != "" {
				ver = v
			}
		}
		if ver == "-" {
			continue // the release does not have this package
		}
		p := Package{
			Name: name, Version: expand(ver, r.Vars), Installed: rw.inst << 10, Download: rw.dl * 1000,
			Deps: list(rw.deps, r.Vars), Recommends: list(rw.recs, r.Vars),
		}
		for _, b := range list(rw.bins, r.Vars) {
			if !strings.HasPrefix(b, "/") {
				b = "/usr/bin/" + b
			}
			p.Bins = append(p.Bins, b)
		}
		c.pkgs[name] = p
	}
	for n, p := range c.pkgs {
		c.names = append(c.names, n)
		// A row's dependency that this release does not have (a library another
		// release splits out, a name only newer releases use) is not needed here.
		p.Deps, p.Recommends = present(c.pkgs, p.Deps), present(c.pkgs, p.Recommends)
		c.pkgs[n] = p
	}
	sort.Strings(c.names)
	got, _ := cache.LoadOrStore(string(r.Family)+"/"+r.Key, c)
	return got.(*Catalog)
}

func present(pkgs map[string]Package, names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := pkgs[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// rawDeps lists every dependency name a family's rows give for a release, before
// the names the release lacks are dropped (the tables' own test checks them).
func rawDeps(r Release) []string {
	loadOnce.Do(load)
	var out []string
	for _, rw := range rows[r.Family] {
		out = append(out, list(rw.deps, r.Vars)...)
		out = append(out, list(rw.recs, r.Vars)...)
	}
	return out
}

var varRE = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)

func expand(s string, vars map[string]string) string {
	return varRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vars[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

func list(s string, vars map[string]string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		x = strings.TrimSpace(expand(x, vars))
		if x != "" && x != "-" && !strings.Contains(x, "${") {
			out = append(out, x)
		}
	}
	return out
}

// Lookup finds a package by its exact name.
func (c *Catalog) Lookup(name string) (Package, bool) {
	p, ok := c.pkgs[name]
	return p, ok
}

// With returns a copy of the catalog in which pk replaces (or adds) the package of
// its name: what a third-party apt source (NodeSource's nodejs) serves instead of the
// release's archive. The cached catalog is never changed.
func (c *Catalog) With(pk Package) *Catalog {
	out := &Catalog{Release: c.Release, pkgs: make(map[string]Package, len(c.pkgs)+1)}
	for n, p := range c.pkgs {
		out.pkgs[n] = p
	}
	if _, ok := out.pkgs[pk.Name]; !ok {
		out.names = append(append(out.names, c.names...), pk.Name)
		sort.Strings(out.names)
	} else {
		out.names = c.names
	}
	pk.Deps, pk.Recommends = present(out.pkgs, pk.Deps), present(out.pkgs, pk.Recommends)
	out.pkgs[pk.Name] = pk
	return out
}

// Names lists the catalog's package names, sorted.
func (c *Catalog) Names() []string { return c.names }

// Provider finds the package that installs the command cmd (apk's cmd:NAME,
// dnf's /usr/bin/NAME); the alphabetically first when several do.
func (c *Catalog) Provider(cmd string) (Package, bool) {
	for _, n := range c.names {
		for _, b := range c.pkgs[n].Bins {
			if b == cmd || strings.HasSuffix(b, "/"+cmd) {
				return c.pkgs[n], true
			}
		}
	}
	return Package{}, false
}

var validName = map[Family]*regexp.Regexp{
	// Debian Policy 5.6.1: lowercase letters, digits, + - . ; at least two
	// characters; starts with an alphanumeric.
	Deb: regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`),
	// Alpine's abuild: lowercase names of letters, digits and . _ + -.
	Apk: regexp.MustCompile(`^[a-z0-9][a-z0-9._+-]*$`),
	// RPM names are case-sensitive and may hold letters, digits and . _ + -.
	RPM: regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]*$`),
}

// Valid reports whether name is a package name the family's rules allow.
func Valid(fam Family, name string) bool {
	re, ok := validName[fam]
	return ok && re.MatchString(name) && len(name) <= 128
}

// Synthesize makes the deterministic stand-in for a valid name the catalog does
// not hold: its version and sizes follow from the name alone, so two builds agree.
func (c *Catalog) Synthesize(name string) Package {
	h := fnv.New64a()
	h.Write([]byte(string(c.Release.Family) + "\x00" + name))
	s := h.Sum64()
	major, minor, patch := 1+s%4, (s>>8)%20, (s>>16)%10
	var ver string
	switch c.Release.Family {
	case Apk:
		ver = fmt.Sprintf("%d.%d.%d-r%d", major, minor, patch, (s>>24)%3)
	case RPM:
		ver = fmt.Sprintf("%d.%d.%d-%d%s", major, minor, patch, 1+(s>>24)%4, c.Release.Vars["DIST"])
	default:
		ver = fmt.Sprintf("%d.%d.%d-%d", major, minor, patch, 1+(s>>24)%4)
	}
	// Installed sizes between 24 kB and about 2 MB, skewed small as real archives are.
	kb := int64(24 + (s>>32)%160*((s>>40)%12+1))
	return Package{Name: name, Version: ver, Installed: kb << 10, Download: kb << 10 * 2 / 5, Synthetic: true}
}

// Typo reports the catalog name that name is most likely a misspelling of: a
// Damerau-Levenshtein distance of 1 or 2 from a catalog name, in one word of it
// that is long enough for the edit to be a typo rather than another real package.
//
// What must hold: real names near catalog names are not refused. So an edit only
// in digits is never a typo (libfoo2-dev and libfoo-dev, python3.12 and python3.11,
// gcc-13 and gcc-12 are all real), nor an edit in a short word (libssh-dev and
// libssl-dev, libgd-dev and libpq-dev, python3-pil and python3-pip), nor one that
// crosses words. A deletion or an adjacent transposition (pythn3, ngnix) counts in
// words of 5 letters or more; a substitution or insertion (pythom3, nginxx) in
// words of 6 or more, which lets redis/redir and numpy/numba through; an edit of
// two in words of 8 or more (postgres-client for postgresql-client).
func (c *Catalog) Typo(name string) (string, bool) {
	if len(name) < 5 {
		return "", false
	}
	if _, ok := c.pkgs[name]; ok {
		return "", false
	}
	best := ""
	for _, cand := range c.names {
		if d := len(cand) - len(name); d > 2 || d < -2 {
			continue
		}
		if typoOf(name, cand) {
			if best == "" || len(cand) < len(best) {
				best = cand
			}
		}
	}
	return best, best != ""
}

func typoOf(name, cand string) bool {
	d := typo.Distance(name, cand)
	if d < 1 || d > 2 {
		return false
	}
	if stripDigits(name) == stripDigits(cand) {
		return false
	}
	// The region that differs, between the common prefix and the common suffix.
	pre := 0
	for pre < len(name) && pre < len(cand) && name[pre] == cand[pre] {
		pre++
	}
	suf := 0
	for suf < len(name)-pre && suf < len(cand)-pre && name[len(name)-1-suf] == cand[len(cand)-1-suf] {
		suf++
	}
	lo, hi := pre, len(cand)-suf // the differing span in cand (may be empty for an insertion)
	// The word of cand that holds the span: letters only, split at - . + _ and digits.
	ws, we := lo, hi
	for ws > 0 && isLetter(cand[ws-1]) {
		ws--
	}
	for we < len(cand) && isLetter(cand[we]) {
		we++
	}
	for i := lo; i < hi; i++ {
		if !isLetter(cand[i]) {
			return false // the edit touches a separator or a digit: another name's shape
		}
	}
	if nlo, nhi := pre, len(name)-suf; nlo < nhi {
		for i := nlo; i < nhi; i++ {
			if !isLetter(name[i]) {
				return false
			}
		}
	}
	word := cand[ws:we]
	if ws == 0 && strings.HasPrefix(word, "lib") && lo >= 3 {
		word = word[3:] // "lib" says what kind of package, not which
	}
	n := len(word)
	switch {
	case d == 2:
		return n >= 8
	case len(name) == len(cand)-1 || isTransposition(name, cand):
		return n >= 5
	default:
		return n >= 6
	}
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func stripDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, s)
}

func isTransposition(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var diff []int
	for i := range a {
		if a[i] != b[i] {
			diff = append(diff, i)
		}
	}
	return len(diff) == 2 && diff[1] == diff[0]+1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]
}
