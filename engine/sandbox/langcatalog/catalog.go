// Package langcatalog is the playground's view of the language package registries
// (PyPI, npm, RubyGems, Packagist): an embedded catalog of the packages real projects
// install most, with realistic versions, sizes and dependencies, and for any other
// name that is valid by the registry's own rules, a package synthesized
// deterministically from its name. A name a typo away from a popular catalog name, or
// invalid by the rules, is not found, as the real registry would not find it.
//
// The package knows nothing of the sandbox: it maps names and version constraints to
// packages, and the sandbox's tools (pip, npm, gem, composer) lay them out on disk.
package langcatalog

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"layerlab/engine/sandbox/typo"
)

// Ecosystem names one registry.
type Ecosystem string

// The registries the catalog knows.
const (
	PyPI      Ecosystem = "pypi"
	NPM       Ecosystem = "npm"
	RubyGems  Ecosystem = "rubygems"
	Packagist Ecosystem = "packagist"
)

// Package is one release of one package.
type Package struct {
	Name    string // the registry's canonical spelling (PyPI: normalized, lower case)
	Version string
	Size    int64    // installed bytes
	Deps    []string // names of the packages it requires
	Bins    []string // console scripts / bin entries / executables
	Module  string   // PyPI: the top-level import package ("yaml" for pyyaml)
	// Synthesized is true when the name is not in the catalog and the package was
	// made up from its name: the tools say so in the step log.
	Synthesized bool
}

// ErrNotFound is wrapped by every lookup that the real registry would answer with
// "not found": a name invalid by the registry's rules, or one a typo away from a
// popular package.
var ErrNotFound = errors.New("package not found")

// ErrNoVersion is wrapped when no plausible version satisfies a constraint.
var ErrNoVersion = errors.New("no version satisfies the constraint")

// NotFoundError says why a name was refused.
type NotFoundError struct {
	Eco     Ecosystem
	Name    string
	Invalid string // why the name breaks the registry's rules; "" if it does not
	Near    string // the catalog name it is a typo of; "" if none
}

func (e *NotFoundError) Error() string {
	switch {
	case e.Invalid != "":
		return fmt.Sprintf("%s: invalid package name %q: %s", e.Eco, e.Name, e.Invalid)
	case e.Near != "":
		return fmt.Sprintf("%s: no package %q (a typo of %q?)", e.Eco, e.Name, e.Near)
	}
	return fmt.Sprintf("%s: no package %q", e.Eco, e.Name)
}

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

//go:embed pypi.txt pypi-python.txt npm.txt rubygems.txt packagist.txt
var data embed.FS

type catalog struct {
	byName map[string]Package
	names  []string // in file order: the typo check's candidates
}

var (
	loadOnce sync.Once
	catalogs map[Ecosystem]*catalog
	loadErr  error
)

// load parses the embedded files once. A malformed line is a programming error
// caught by the package's tests, so the loader reports it instead of skipping it.
func load() (map[Ecosystem]*catalog, error) {
	loadOnce.Do(func() {
		catalogs = map[Ecosystem]*catalog{}
		for _, eco := range []Ecosystem{PyPI, NPM, RubyGems, Packagist} {
			c, err := parse(eco)
			if err != nil {
				loadErr = err
				return
			}
			catalogs[eco] = c
		}
	})
	return catalogs, loadErr
}

func parse(eco Ecosystem) (*catalog, error) {
	f, err := data.Open(string(eco) + ".txt")
	if err != nil {
		return nil, fmt.Errorf("open %s catalog: %w", eco, err)
	}
	defer f.Close()
	c := &catalog{byName: map[string]Package{}}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fs := strings.Fields(t)
		if len(fs) < 5 || (eco == PyPI && len(fs) != 6) {
			return nil, fmt.Errorf("%s catalog line %d: want name version KiB deps bins%s, got %q", eco, line, map[bool]string{true: " module"}[eco == PyPI], t)
		}
		kib, err := strconv.ParseInt(fs[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s catalog line %d: size: %w", eco, line, err)
		}
		p := Package{Name: Normalize(eco, fs[0]), Version: fs[1], Size: kib << 10, Deps: list(fs[3]), Bins: list(fs[4])}
		if eco == PyPI {
			p.Module = fs[5]
			if p.Module == "-" {
				p.Module = strings.ReplaceAll(p.Name, "-", "_")
			}
		}
		if _, dup := c.byName[p.Name]; dup {
			return nil, fmt.Errorf("%s catalog line %d: %s listed twice", eco, line, p.Name)
		}
		c.byName[p.Name] = p
		c.names = append(c.names, p.Name)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s catalog: %w", eco, err)
	}
	return c, nil
}

func list(s string) []string {
	if s == "-" {
		return nil
	}
	return strings.Split(s, ",")
}

// Normalize returns the registry's canonical form of a name: PEP 503 for PyPI
// (lower case, runs of -_. become -), lower case for RubyGems lookups is wrong (gem
// names are case-sensitive) so only PyPI and Packagist fold case.
func Normalize(eco Ecosystem, name string) string {
	switch eco {
	case PyPI:
		return strings.ToLower(pySep.ReplaceAllString(name, "-"))
	case Packagist:
		return strings.ToLower(name)
	}
	return name
}

var pySep = regexp.MustCompile(`[-_.]+`)

// Names returns the catalog's names of one ecosystem, in catalog order.
func Names(eco Ecosystem) []string {
	cs, err := load()
	if err != nil {
		return nil
	}
	return append([]string(nil), cs[eco].names...)
}

// Lookup returns the catalog's entry for name (normalized), without synthesis.
func Lookup(eco Ecosystem, name string) (Package, bool) {
	cs, err := load()
	if err != nil {
		return Package{}, false
	}
	p, ok := cs[eco].byName[Normalize(eco, name)]
	return p, ok
}

// Check says whether the registry would know name: nil for a catalog name or a
// valid name to synthesize; a *NotFoundError for an invalid name or a typo.
func Check(eco Ecosystem, name string) error {
	if _, ok := Lookup(eco, name); ok {
		return nil
	}
	if why := invalid(eco, name); why != "" {
		return &NotFoundError{Eco: eco, Name: name, Invalid: why}
	}
	if near := NearMiss(eco, name); near != "" {
		return &NotFoundError{Eco: eco, Name: name, Near: near}
	}
	return nil
}

// Resolve returns the release of name that satisfies constraint (the ecosystem's
// syntax; "" for any): the catalog's when it satisfies it, else the highest plausible
// version that does; a name outside the catalog is synthesized.
func Resolve(eco Ecosystem, name, constraint string) (Package, error) {
	if err := Check(eco, name); err != nil {
		return Package{}, err
	}
	p, ok := Lookup(eco, name)
	if !ok {
		p = synthesize(eco, name)
	}
	v, err := Pick(eco, p.Version, constraint)
	if err != nil {
		return Package{}, fmt.Errorf("%s %s %s: %w", eco, name, constraint, err)
	}
	p.Version = v
	return p, nil
}

// ResolveLocked returns the release a lockfile recorded: the registry served that
// name, so only the naming rules apply, not the typo check.
func ResolveLocked(eco Ecosystem, name, version string) (Package, error) {
	if why := invalid(eco, name); why != "" {
		return Package{}, &NotFoundError{Eco: eco, Name: name, Invalid: why}
	}
	p, ok := Lookup(eco, name)
	if !ok {
		p = synthesize(eco, name)
	}
	if version != "" {
		p.Version = version
	}
	return p, nil
}

// synthesize makes a package from its name alone: the same name always gives the
// same version, size and (no) dependencies.
func synthesize(eco Ecosystem, name string) Package {
	h := fnv.New64a()
	h.Write([]byte(string(eco) + "\x00" + Normalize(eco, name)))
	s := h.Sum64()
	ver := fmt.Sprintf("%d.%d.%d", s%4, (s>>8)%20, (s>>16)%12)
	if eco == PyPI || eco == RubyGems {
		ver = fmt.Sprintf("%d.%d.%d", 1+s%3, (s>>8)%15, (s>>16)%8)
	}
	// sizes follow each registry's typical package: most npm packages are small (a
	// create-react-app tree holds ~1500 of them in a few hundred MB)
	size := int64(24<<10 + (s>>24)%(900<<10))
	if eco == NPM {
		size = int64(8<<10 + (s>>24)%(200<<10))
	}
	p := Package{Name: Normalize(eco, name), Version: ver, Size: size, Synthesized: true}
	if eco == PyPI {
		p.Module = strings.ReplaceAll(p.Name, "-", "_")
	}
	return p
}

var (
	pep508Name   = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)
	gemName      = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	composerName = regexp.MustCompile(`^[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9](([_.]?|-{0,2})[a-z0-9]+)*$`)
	npmURLSafe   = regexp.MustCompile(`^[a-z0-9._~-]+$`)
)

// invalid returns why name breaks the registry's naming rules, or "".
func invalid(eco Ecosystem, name string) string {
	switch eco {
	case PyPI:
		if !pep508Name.MatchString(name) {
			return "not a valid PEP 508 name"
		}
	case RubyGems:
		if !gemName.MatchString(name) {
			return "not a valid gem name"
		}
	case Packagist:
		if !composerName.MatchString(name) {
			return "does not match the pattern vendor/package (lower case letters, digits, and -_. separators)"
		}
	case NPM:
		return NPMNameProblem(name)
	}
	return ""
}

// NPMNameProblem applies npm's validate-npm-package-name rules for new packages and
// returns npm's own wording of the first one broken, or "".
func NPMNameProblem(name string) string {
	switch {
	case name == "":
		return "name length must be greater than zero"
	case strings.HasPrefix(name, "."):
		return "name cannot start with a period"
	case strings.HasPrefix(name, "_"):
		return "name cannot start with an underscore"
	case strings.TrimSpace(name) != name:
		return "name cannot contain leading or trailing spaces"
	case len(name) > 214:
		return "name can no longer contain more than 214 characters"
	case strings.ToLower(name) != name:
		return "name can no longer contain capital letters"
	case name == "node_modules" || name == "favicon.ico":
		return name + " is not a valid package name"
	}
	local := name
	if strings.HasPrefix(name, "@") {
		scope, pkg, ok := strings.Cut(name[1:], "/")
		if !ok || scope == "" || pkg == "" || strings.Contains(pkg, "/") || !npmURLSafe.MatchString(scope) {
			return "name can only contain URL-friendly characters"
		}
		local = pkg
	}
	if !npmURLSafe.MatchString(local) {
		return "name can only contain URL-friendly characters"
	}
	return ""
}

// NearMiss returns the catalog name that name looks like a typo of, or "". A typo is
// one edit (insert, delete, substitute, or swap two neighbours) of a name of at least
// 5 characters, or two edits of one of at least 8; the edit must involve a letter
// (differences only in digits or separators are other real packages: boto/boto3,
// jinja/jinja2, django-redis/djangoredis), and a name that extends a catalog name by a
// whole word (flask vs flask-cors) is not a typo.
func NearMiss(eco Ecosystem, name string) string {
	cs, err := load()
	if err != nil {
		return ""
	}
	n := Normalize(eco, name)
	scope := ""
	if eco == NPM && strings.HasPrefix(n, "@") {
		// a scoped name is a typo only of a name in the same scope, judged by its
		// local part (@types/q is not @types/ms)
		scope, n, _ = strings.Cut(n, "/")
	}
	if len(n) < 5 {
		return ""
	}
	for _, full := range cs[eco].names {
		c := full
		if scope != "" || strings.HasPrefix(c, "@") {
			s, local, _ := strings.Cut(c, "/")
			if s != scope {
				continue
			}
			c = local
		}
		if len(c) < 5 || abs(len(c)-len(n)) > 2 {
			continue
		}
		max := 1
		if len(n) >= 8 && len(c) >= 8 {
			max = 2
		}
		d := typo.Distance(n, c)
		if d == 0 || d > max {
			continue
		}
		if letters(n) == letters(c) {
			continue // only digits or separators differ
		}
		if strings.HasPrefix(n, c) || strings.HasPrefix(c, n) || strings.HasSuffix(n, c) || strings.HasSuffix(c, n) {
			continue // scrapy/scrapyd, react/preact: real names that extend others
		}
		if wordExtension(n, c) {
			continue
		}
		return full
	}
	return ""
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func letters(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// wordExtension reports whether one name is the other plus a separated word or a
// scope: "flask-cors"/"flask", "@types/node"/"node".
func wordExtension(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	for _, sep := range []string{"-", "_", ".", "/"} {
		if strings.HasPrefix(a, b+sep) || strings.HasSuffix(a, sep+b) {
			return true
		}
	}
	return false
}
