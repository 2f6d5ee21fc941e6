package baseimage

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// family is one repository of stand-ins (python, mcr.microsoft.com/dotnet/sdk, ...),
// described as data: its version lines, the tag forms it publishes, and how one of
// its images is assembled. Adding a family is adding one of these to families().
type family struct {
	repo    string   // repository key: "python", "continuumio/miniconda3", "mcr.microsoft.com/dotnet/sdk"
	desc    string   // one line for the catalog
	lines   []line   // version lines, oldest first; empty for unversioned repositories (distroless)
	aliases []alias  // version words other than numbers and "latest" ("lts", "stable", "mainline")
	forms   []string // tag suffix forms (see tagForm), in the order the canonical name prefers them
	// latestSuffix lets "latest" take a suffix ("latest-rust-1.80.1"); Docker Hub's
	// official images publish "latest" alone.
	latestSuffix bool
	defaultLine  string            // the line behind "latest" and version-less tags; "" means the newest
	bareFlavor   string            // the flavor a tag without one is ("cli" for php, "jdk" for temurin): "8.2-cli" is "8.2"
	defaultVars  map[string]string // placeholder values of forms that do not name them ({jdk} of maven:3.9)
	exactOnly    bool              // only full versions are tags (elasticsearch: no "8", no "latest")
	exactBuild   bool              // an exact release is built (alpine:3.20.1's /etc/alpine-release), not the line's image renamed
	// build assembles the image a tag resolved to.
	build func(s spec) (*Image, error)
}

// alias is a version word ("lts") and the line it names.
type alias struct{ word, line string }

// line is one version line of a family: what its minor (or major) tag names.
type line struct {
	ver    string // "3.11": the tag that names the line
	latest string // "3.11.11": the release the line's tags resolve to
	date   string // release date of latest, YYYY-MM-DD
	first  string // release date of the line's first release, YYYY-MM-DD
	max    string // newest release of the line that exists upstream (exact tags up to it resolve); "" = latest
	end    string // last date images of the line were published (EOL); "" = still published
	base   string // the distro its unpinned Debian forms stand on instead ("ubuntu")
	data   any    // the family's own release data (pythonRelease, ...)
}

// spec is what a tag resolved to: everything an image's build needs.
type spec struct {
	fam     *family
	line    *line  // nil for an unversioned family
	version string // the exact version the config names (PYTHON_VERSION): the tag's when it names a patch, else line.latest
	flavor  string // "", "slim", "fpm", "jdk", "nonroot", ...
	distro  *distro
	vars    map[string]string // placeholders the tag fixed ({jdk}, {rust}, {py})
	form    string            // the suffix form that matched
}

// exact reports whether the tag named a release other than the line's latest.
func (s spec) exact() bool { return s.line != nil && s.version != s.line.latest }

// key identifies the image a spec builds; tags that resolve to the same key are the
// same image.
func (s spec) key() string {
	var b strings.Builder
	b.WriteString(s.fam.repo + "|" + s.version + "|" + s.flavor + "|")
	if s.distro != nil {
		b.WriteString(s.distro.id())
	}
	keys := make([]string, 0, len(s.vars))
	for k := range s.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("|" + k + "=" + s.vars[k])
	}
	return b.String()
}

// tagForm is one suffix form of a family's tags, "-" separated tokens:
//
//	word         a literal ("slim", "eclipse", "temurin")
//	{deb}        a Debian codename; {deb}-slim etc. select Debian's slim base
//	{ubu}        an Ubuntu codename
//	{alp}        "alpine" followed by an Alpine branch ("alpine3.19"); "alpine" alone is a word
//	{v}          one of the family's flavor words, given in the form as {v:cli,fpm,apache,zts}
//	{NAME:a,b}   one of the listed values, kept as vars[NAME]
//	{NAME#}      a version number (digits and dots), kept as vars[NAME]
//
// A form may be prefixed with "flavor=": the flavor the form selects ("slim=slim").
// The empty form is the bare tag. Each form also says which distro kind it stands on,
// after a "@": "alpine=alpine@alpine", "{deb}@debian", "slim-{deb}@debian-slim".
// A kind may end in "<LINE": the form was published only by the lines older than LINE
// (maven's jdk-8 tags end with Maven 3.8, .NET's SDK on full Debian with 3.1), so a
// version prefix ("3-jdk-11") names the newest line that had it.
type tagForm struct {
	flavor string
	kind   string // "debian", "debian-slim", "alpine", "ubuntu", "scratch", "rpm:fedora", ...
	until  string // the first line that no longer publishes the form; "" = all
	toks   []string
	raw    string
}

func parseForm(s string) tagForm {
	f := tagForm{raw: s}
	body, kind, _ := strings.Cut(s, "@")
	f.kind, f.until, _ = strings.Cut(kind, "<")
	if fl, rest, ok := strings.Cut(body, "="); ok && !strings.Contains(fl, "{") {
		f.flavor, body = fl, rest
	}
	if body != "" {
		f.toks = strings.Split(body, "-")
	}
	return f
}

var versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*(_[0-9]+)?$`)

// match matches suffix tokens against the form, filling the spec's flavor, distro and
// vars. It reports false when the tokens are not of this form.
func (f tagForm) match(toks []string, s *spec) bool {
	if len(toks) != len(f.toks) {
		return false
	}
	s.flavor = f.flavor
	s.vars = map[string]string{}
	s.form = f.raw
	var codename, alpineBranch string
	for i, ft := range f.toks {
		t := toks[i]
		switch {
		case ft == "{deb}" || ft == "{ubu}":
			want := "debian"
			if ft == "{ubu}" {
				want = "ubuntu"
			}
			if d := distroByCodename(t); d == nil || d.distro != want {
				return false
			}
			codename = t
		case ft == "{alp}":
			br, ok := strings.CutPrefix(t, "alpine")
			if !ok || !versionRE.MatchString(br) {
				return false
			}
			alpineBranch = br
		case strings.HasPrefix(ft, "{") && strings.HasSuffix(ft, "}"):
			inner := ft[1 : len(ft)-1]
			if name, ok := strings.CutSuffix(inner, "#"); ok {
				if !versionRE.MatchString(t) {
					return false
				}
				s.vars[name] = t
				continue
			}
			name, list, _ := strings.Cut(inner, ":")
			found := false
			for _, v := range strings.Split(list, ",") {
				if v == t {
					found = true
				}
			}
			if !found {
				return false
			}
			if name == "v" {
				s.flavor = t
			} else {
				s.vars[name] = t
			}
		default:
			if ft != t {
				return false
			}
		}
	}
	kind := f.kind
	switch {
	case codename != "":
		d := distroByCodename(codename)
		if strings.HasSuffix(kind, "-slim") && d.distro == "debian" {
			s.distro = d.slimOf()
		} else {
			s.distro = d
		}
	case alpineBranch != "":
		s.distro = alpineByVersion(alpineBranch)
		if s.distro == nil {
			s.distro = &distro{distro: "alpine", version: alpineBranch, missing: true}
		}
	case kind == "":
		s.distro = nil // the family is a distro itself, or builds its own
	default:
		s.distro = &distro{distro: kindDistro(kind), slim: strings.HasSuffix(kind, "-slim"), unresolved: true, rpm: strings.TrimPrefix(kind, "rpm:")}
	}
	return true
}

// kindDistro is the distro of a form kind.
func kindDistro(kind string) string {
	k, _, _ := strings.Cut(strings.TrimSuffix(kind, "-slim"), ":")
	return k
}

// render writes the form for a resolved spec (the inverse of match).
func (f tagForm) render(s spec) string {
	out := make([]string, len(f.toks))
	for i, ft := range f.toks {
		switch {
		case ft == "{deb}" || ft == "{ubu}":
			out[i] = s.distro.codename
		case ft == "{alp}":
			out[i] = "alpine" + s.distro.version
		case strings.HasPrefix(ft, "{v:"):
			out[i] = s.flavor
		case strings.HasPrefix(ft, "{"):
			name := strings.TrimRight(strings.SplitN(ft[1:len(ft)-1], ":", 2)[0], "#")
			out[i] = s.vars[name]
		default:
			out[i] = ft
		}
	}
	return strings.Join(out, "-")
}

// pins reports whether the form names the distro release ({deb}, {ubu}, {alp}).
func (f tagForm) pins() bool {
	for _, t := range f.toks {
		if t == "{deb}" || t == "{ubu}" || t == "{alp}" {
			return true
		}
	}
	return false
}

// resolve parses a tag of the family. The error is Docker's "manifest unknown" when
// the tag is not one the real repository publishes.
func (f *family) resolve(tag string) (spec, error) {
	toks := strings.Split(tag, "-")
	// Candidates: the first token is the version (a number or a version word), or the
	// tag has no version part (the default line).
	type cand struct {
		ver  string
		rest []string
	}
	var cands []cand
	if toks[0] == "latest" {
		if len(toks) == 1 || f.latestSuffix {
			cands = append(cands, cand{"", toks[1:]})
		}
	} else if versionRE.MatchString(toks[0]) || f.aliasLine(toks[0]) != "" {
		cands = append(cands, cand{toks[0], toks[1:]})
	}
	if toks[0] != "latest" {
		cands = append(cands, cand{"", toks})
	}
	for _, c := range cands {
		s := spec{fam: f}
		matched := false
		var until string
		for _, form := range f.forms {
			tf := parseForm(form)
			if tf.match(c.rest, &s) {
				matched, until = true, tf.until
				break
			}
		}
		if !matched {
			continue
		}
		if s.flavor == f.bareFlavor && f.bareFlavor != "" {
			s.flavor = ""
		}
		for k, v := range f.defaultVars {
			if _, ok := s.vars[k]; !ok {
				s.vars[k] = v
			}
		}
		if err := f.resolveVersion(c.ver, &s, until); err != nil {
			continue
		}
		if err := s.resolveDistro(); err != nil {
			continue
		}
		return s, nil
	}
	return spec{}, errManifestUnknown
}

// aliasLine is the line a version word names, "" for none.
func (f *family) aliasLine(word string) string {
	for _, a := range f.aliases {
		if a.word == word {
			return a.line
		}
	}
	return ""
}

// defLine is the line behind "latest".
func (f *family) defLine() *line {
	if len(f.lines) == 0 {
		return nil
	}
	if f.defaultLine != "" {
		for i := range f.lines {
			if f.lines[i].ver == f.defaultLine {
				return &f.lines[i]
			}
		}
	}
	return &f.lines[len(f.lines)-1]
}

// resolveVersion fixes s.line and s.version from the version part of a tag; with
// until set, only the lines older than it publish the tag's form.
func (f *family) resolveVersion(v string, s *spec, until string) error {
	published := func(l *line) bool { return until == "" || compareVersions(l.ver, until) < 0 }
	if len(f.lines) == 0 {
		if v != "" {
			return errManifestUnknown
		}
		return nil
	}
	if f.exactOnly {
		for i := range f.lines {
			if l := &f.lines[i]; l.latest == v {
				s.line, s.version = l, v
				return nil
			}
		}
		for i := range f.lines {
			l := &f.lines[i]
			if strings.HasPrefix(v, l.ver+".") && compareVersions(v, l.latest) < 0 && strings.Count(v, ".") == strings.Count(l.latest, ".") {
				s.line, s.version = l, v
				return nil
			}
		}
		return errManifestUnknown
	}
	if v == "" {
		s.line = f.defLine()
		for i := len(f.lines) - 1; i >= 0 && !published(s.line); i-- {
			s.line = &f.lines[i]
		}
		if !published(s.line) {
			return errManifestUnknown
		}
		s.version = s.line.latest
		return nil
	}
	if a := f.aliasLine(v); a != "" {
		v = a
	}
	// The line the tag names, or the newest line under a shorter prefix ("3" -> 3.13).
	for i := len(f.lines) - 1; i >= 0; i-- {
		l := &f.lines[i]
		if !published(l) {
			continue
		}
		if l.ver == v || strings.HasPrefix(l.ver, v+".") {
			s.line, s.version = l, l.latest
			return nil
		}
	}
	// An exact release: within a line, not newer than the newest upstream has.
	for i := len(f.lines) - 1; i >= 0; i-- {
		l := &f.lines[i]
		if !published(l) || !strings.HasPrefix(v, l.ver+".") && !strings.HasPrefix(v, l.ver+"_") {
			continue
		}
		max := l.max
		if max == "" {
			max = l.latest
		}
		if compareVersions(v, max) > 0 {
			return errManifestUnknown
		}
		s.line, s.version = l, v
		return nil
	}
	return errManifestUnknown
}

// compareVersions compares dotted numeric versions ("3.9.2" < "3.10"); "_" separates
// a build number (temurin's 21.0.5_11) compared last.
func compareVersions(a, b string) int {
	pa := strings.FieldsFunc(a, func(r rune) bool { return r == '.' || r == '_' })
	pb := strings.FieldsFunc(b, func(r rune) bool { return r == '.' || r == '_' })
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// snapshot is the date the stand-ins describe Docker Hub at: a line with no end date
// is published until then.
var snapshot = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// releaseDate estimates when the spec's version was released: the line's first and
// latest dates are data; a release between them is placed by its position, one past
// latest two months per step (capped at the snapshot).
func (s spec) releaseDate() time.Time {
	if s.line == nil {
		return snapshot
	}
	first, last := day(s.line.first), day(s.line.date)
	if s.version == s.line.latest {
		return last
	}
	pv, pl := versionPos(s.version, s.line.ver), versionPos(s.line.latest, s.line.ver)
	if pv > pl {
		steps := min(pv-pl, 24)
		if t := last.AddDate(0, 2*steps, 0); t.Before(snapshot) {
			return t
		}
		return snapshot
	}
	if pl == 0 {
		return last
	}
	return first.Add(time.Duration(float64(last.Sub(first)) * float64(pv) / float64(pl)))
}

// versionPos orders the releases of a line: 18.12.1 in line 18 is 1201.
func versionPos(v, lineVer string) int {
	rest := strings.TrimLeft(strings.TrimPrefix(v, lineVer), "._")
	n := 0
	for _, p := range strings.FieldsFunc(rest, func(r rune) bool { return r == '.' || r == '_' }) {
		x, _ := strconv.Atoi(p)
		n = n*100 + min(x, 99)
	}
	return n
}

// resolveDistro picks the distro release a spec stands on: the one the tag names,
// which must have been published while the line was, or the newest of its kind at
// the release's date.
func (s *spec) resolveDistro() error {
	d := s.distro
	if d == nil || d.distro == "scratch" || d.distro == "" {
		return nil
	}
	if d.missing {
		return errManifestUnknown
	}
	// When the tag's images were published: a line's whole life, an exact release's
	// months around its (estimated) date.
	var from, until time.Time
	if s.line != nil {
		from, until = day(s.line.first), snapshot
		if s.line.end != "" {
			until = day(s.line.end)
		}
		if s.exact() {
			at := s.releaseDate()
			from, until = at.AddDate(0, -6, 0), at.AddDate(0, 6, 0)
		}
	}
	if !d.unresolved {
		if s.line != nil && !d.overlaps(from, until) {
			return errManifestUnknown
		}
		return nil
	}
	at := s.releaseDate()
	if d.distro == "rpm" {
		r := rpmDefault(d.rpm, s)
		if r == nil {
			return errManifestUnknown
		}
		s.distro = r
		return nil
	}
	r := s.lineDistro(d.distro, at)
	if r == nil {
		return errManifestUnknown
	}
	if d.slim {
		r = r.slimOf()
	}
	s.distro = r
	return nil
}

// canonicalTag is the tag the spec's image is named by: the first form that renders it,
// with the line's name when the version is its latest.
func (s spec) canonicalTag() string {
	// The first pass wants a form that names the distro exactly when the tag must (not
	// the default); the second takes a pinned form for a default distro when the flavor
	// has no unpinned one (.NET's chiseled tags always name their Ubuntu).
	for _, strict := range []bool{true, false} {
		if t, ok := s.renderTag(strict); ok {
			return t
		}
	}
	return "latest"
}

// renderTag is canonicalTag's pass.
func (s spec) renderTag(strict bool) (string, bool) {
	ver := s.version
	if s.line != nil && !s.exact() && !s.fam.exactOnly {
		ver = s.line.ver
	}
	for _, form := range s.fam.forms {
		tf := parseForm(form)
		if tf.until != "" && (s.line == nil || compareVersions(s.line.ver, tf.until) >= 0) {
			continue
		}
		if fl := tf.flavor; fl == s.fam.bareFlavor {
			tf.flavor = ""
		}
		if tf.flavor != s.flavor && !strings.Contains(form, "{v:") {
			continue
		}
		if strings.Contains(form, "{v:") && s.flavor == "" {
			continue
		}
		if tf.kind != "" {
			kind := kindDistro(tf.kind)
			if !tf.pins() {
				kind = s.defaultKind(kind)
			}
			if kind != s.distroKind() {
				continue
			}
			if s.distro.distro == "debian" && strings.HasSuffix(tf.kind, "-slim") != s.distro.slim {
				continue
			}
		}
		def := s.isDefaultDistro()
		if tf.pins() == def && (strict || !tf.pins()) {
			continue
		}
		var probe spec
		suffix := tf.render(s)
		if suffix != "" && !tf.match(strings.Split(suffix, "-"), &probe) {
			continue
		}
		if suffix != "" && probe.flavor != s.flavor && !(probe.flavor == s.fam.bareFlavor && s.flavor == "") {
			continue
		}
		if !sameVars(probe.vars, s.vars, s.fam.defaultVars) {
			continue
		}
		switch {
		case ver == "" && suffix == "":
			return "latest", true
		case ver == "":
			if s.fam.latestSuffix {
				return "latest-" + suffix, true
			}
			return suffix, true
		case suffix == "":
			return ver, true
		}
		return ver + "-" + suffix, true
	}
	return "", false
}

// sameVars reports whether a rendered form kept the spec's placeholders (a form
// without {jdk} renders maven's default JDK only).
func sameVars(got, want, defaults map[string]string) bool {
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			g = defaults[k]
		}
		if g != v {
			return false
		}
	}
	return true
}

func (s spec) distroKind() string {
	if s.distro == nil {
		return ""
	}
	if s.distro.distro == "rpm" || s.distro.rpmName != "" {
		return "rpm"
	}
	return s.distro.distro
}

// isDefaultDistro reports whether an unpinned tag of the spec's line and flavor
// resolves to the spec's distro release.
func (s spec) isDefaultDistro() bool {
	if s.distro == nil || s.distro.distro == "scratch" || s.distroKind() == "rpm" {
		return true
	}
	d := s.lineDistro(s.distro.distro, s.releaseDate())
	if d != nil && d.distro == "debian" {
		d = d.slimOf()
		return d.codename == s.distro.codename
	}
	return d != nil && d.codename == s.distro.codename && d.version == s.distro.version
}

// lineDistro is the release an unpinned form of kind stands on at a date: the line's
// own base when it names one ("debian:bookworm": .NET 8 stays on bookworm), else the
// newest of the kind then.
func (s spec) lineDistro(kind string, at time.Time) *distro {
	if s.line != nil && kind == "debian" {
		if k, c, ok := strings.Cut(s.line.base, ":"); ok && k == "debian" {
			return distroByCodename(c)
		}
	}
	return defaultDistro(s.defaultKind(kind), at, s.fam.repo)
}

// defaultKind is the distro an unpinned form of kind stands on: the line's own base
// when it has one (.NET 10's unpinned tags are Ubuntu's), else the form's.
func (s spec) defaultKind(kind string) string {
	if s.line != nil && s.line.base != "" && kind == "debian" {
		k, _, _ := strings.Cut(s.line.base, ":")
		return k
	}
	return kind
}

// day parses a YYYY-MM-DD date.
func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(fmt.Sprintf("baseimage: bad date %q", s))
	}
	return t
}
