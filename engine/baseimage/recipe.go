package baseimage

import (
	"fmt"
	"strings"
)

// recipe is a family's image described as data: the official Dockerfile's steps on
// top of its base, each an op. Builders of their own (python, node, golang, nginx and
// the distros) exist only where the image's structure is not a list of steps.
type recipe struct {
	base    string              // "buildpack", "buildpack-scm", "buildpack-curl" on Debian for the full flavor; else the distro itself
	baseFor func(s spec) string // the base image by name, for families built on another family (maven on eclipse-temurin)
	ops     []op
}

// op is one step of a recipe. when limits it to some images: space-separated words,
// each the distro kind ("alpine", "debian", "ubuntu", "rpm"), the flavor, "slim"
// (a Debian slim base), or "<8.0" / ">=8.0" (the line's version against that one:
// images change their config between lines); "!word" negates; every word must hold.
type op struct {
	when string

	env    string // "KEY=value": an ENV row
	user   string // "name:uid:gid:home:shell": the account the image creates (passwd, group, home)
	file   string // "path": a small file with text (mode 0644, or 0755 for exec)
	exec   bool
	text   string
	link   string // "path>target"
	dir    string // a directory (mode 0755)
	fill   string // "path weight [x]" lines: the big files of the layer, sized to size
	size   int64  // bytes the layer's files add in all (on Alpine: sizeA when set)
	sizeA  int64
	run    string // commit the layer as RUN run
	copyTo string // commit the layer as COPY file in copyTo

	entrypoint []string
	cmd        []string
	expose     string // "5432" or "53/udp"
	volume     string
	workdir    string
	stopSignal string
	asUser     string // USER
	label      string // "key=value"
	shell      []string
}

// holds reports whether the op applies to s.
func (o op) holds(s spec) bool {
	for _, w := range strings.Fields(o.when) {
		neg := strings.HasPrefix(w, "!")
		w = strings.TrimPrefix(w, "!")
		var ok bool
		switch {
		case strings.HasPrefix(w, ">="):
			ok = s.line != nil && compareVersions(s.line.ver, w[2:]) >= 0
		case strings.HasPrefix(w, "<"):
			ok = s.line != nil && compareVersions(s.line.ver, w[1:]) < 0
		default:
			ok = w == s.distroKind() || w == s.flavor || (w == "slim" && s.distro != nil && s.distro.slim)
		}
		if ok == neg {
			return false
		}
	}
	return true
}

// vars are the placeholders a recipe's texts use: {version} (exact), {line}, {major},
// {minor} ("3.11" of 3.11.4), {codename}, {alpine}, and the tag's own ({jdk}, {rust}).
func (s spec) templateVars() *strings.Replacer {
	v := s.version
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '_' })
	major, minor := v, v
	if len(parts) > 0 {
		// OpenJDK 8's releases are "8u342": the major is the leading number.
		major = parts[0]
		if i := strings.IndexFunc(major, func(r rune) bool { return r < '0' || r > '9' }); i > 0 {
			major = major[:i]
		}
	}
	if len(parts) > 1 {
		minor = parts[0] + "." + parts[1]
	}
	lineVer := ""
	if s.line != nil {
		lineVer = s.line.ver
	}
	pairs := []string{"{version}", v, "{line}", lineVer, "{major}", major, "{minor}", minor}
	if s.distro != nil {
		pairs = append(pairs, "{codename}", s.distro.codename, "{alpine}", s.distro.version)
	}
	for k, val := range s.vars {
		pairs = append(pairs, "{"+k+"}", val)
	}
	return strings.NewReplacer(pairs...)
}

// recipeBase is the stand-in a recipe's image derives from.
func recipeBase(s spec, r recipe) string {
	if r.baseFor != nil {
		return r.baseFor(s)
	}
	d := s.distro
	if d == nil || d.distro == "scratch" {
		return "scratch"
	}
	if (d.distro == "debian" || d.distro == "ubuntu") && !d.slim && r.base != "" && d.distro == "debian" {
		switch r.base {
		case "buildpack":
			return buildpackName(d, "")
		case "buildpack-scm":
			return buildpackName(d, "scm")
		case "buildpack-curl":
			return buildpackName(d, "curl")
		}
	}
	return d.baseName()
}

// buildRecipe assembles a recipe family's image for s.
func buildRecipe(s spec, r recipe) (*Image, error) {
	name := s.fam.repo + ":" + s.canonicalTag()
	created := day(s.line0Date())
	var b *builder
	if base := recipeBase(s, r); base == "scratch" {
		b = newBuilder(name, created)
	} else {
		var err error
		if b, err = deriveFrom(base, name, created); err != nil {
			return nil, err
		}
	}
	// Seeded by the line, flavor and distro kind, not the exact version, so the big
	// layers are shared by every release of the line.
	b.seed = s.fam.repo + ":" + s.lineVer() + "-" + s.flavor + "-" + s.distroKind()
	rep := s.templateVars()
	for _, o := range r.ops {
		if !o.holds(s) {
			continue
		}
		b.apply(o, rep, s)
	}
	return b.done()
}

// line0Date is the date the image of the spec's line was built.
func (s spec) line0Date() string {
	if s.line == nil {
		return "2026-11-03"
	}
	return s.line.date
}

func (s spec) lineVer() string {
	if s.line == nil {
		return ""
	}
	return s.line.ver
}

// apply runs one op.
func (b *builder) apply(o op, rep *strings.Replacer, s spec) {
	if o.env != "" {
		k, v, _ := strings.Cut(rep.Replace(o.env), "=")
		if strings.Contains(v, "$PATH") {
			p, _ := b.img.Config.GetEnv("PATH")
			if p == "" {
				p = defaultPath
			}
			v = strings.ReplaceAll(v, "$PATH", p)
		}
		b.env(k, v)
	}
	if o.label != "" {
		k, v, _ := strings.Cut(rep.Replace(o.label), "=")
		b.label(k, v)
	}
	if o.user != "" {
		f := strings.Split(o.user, ":")
		b.addUser(f[0], f[1], f[2], f[3], f[4])
	}
	if o.dir != "" {
		b.dir(modeDir, rep.Replace(o.dir))
	}
	if o.file != "" {
		mode := modeFile
		if o.exec {
			mode = modeExec
		}
		b.file(rep.Replace(o.file), mode, rep.Replace(o.text))
	}
	if o.link != "" {
		p, t, _ := strings.Cut(rep.Replace(o.link), ">")
		b.link(p, t)
	}
	if o.fill != "" {
		n := o.size
		if o.sizeA != 0 && s.distroKind() == "alpine" {
			n = o.sizeA
		}
		b.fill(n, rep.Replace(o.fill))
	}
	if o.run != "" {
		b.run(rep.Replace(o.run))
	}
	if o.copyTo != "" {
		b.copyIn("file", rep.Replace(o.copyTo))
	}
	if o.volume != "" {
		b.volume(rep.Replace(o.volume))
	}
	if o.workdir != "" {
		b.dir(modeDir, o.workdir)
		b.workdir(o.workdir)
	}
	if o.expose != "" {
		p := o.expose
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		b.expose(p)
	}
	if o.stopSignal != "" {
		b.stopSignal(o.stopSignal)
	}
	if o.asUser != "" {
		b.img.Config.User = o.asUser
		b.meta("/bin/sh -c #(nop)  USER " + o.asUser)
	}
	if o.shell != nil {
		b.img.Config.Shell = o.shell
		b.meta(fmt.Sprintf("/bin/sh -c #(nop)  SHELL %q", o.shell))
	}
	if o.entrypoint != nil {
		b.entrypoint(o.entrypoint...)
	}
	if o.cmd != nil {
		b.cmd(o.cmd...)
	}
}

// addUser adds an account and its group, as groupadd/useradd (addgroup/adduser) do,
// and creates its home when it is under /home or /var/lib.
func (b *builder) addUser(name, uid, gid, home, shell string) {
	if b.err != nil {
		return
	}
	passwd, err := b.cur.ReadFile("/etc/passwd")
	if err != nil {
		b.fail(fmt.Errorf("add user %s: %w", name, err))
		return
	}
	group, err := b.cur.ReadFile("/etc/group")
	if err != nil {
		b.fail(fmt.Errorf("add user %s: %w", name, err))
		return
	}
	if !strings.Contains("\n"+string(group), "\n"+name+":") {
		b.file("/etc/group", modeFile, string(group)+name+":x:"+gid+":\n")
	}
	if !strings.Contains("\n"+string(passwd), "\n"+name+":") {
		b.file("/etc/passwd", modeFile, string(passwd)+name+":x:"+uid+":"+gid+"::"+home+":"+shell+"\n")
	}
	if strings.HasPrefix(home, "/home/") || strings.HasPrefix(home, "/var/lib/") {
		b.dir(modeDir, home)
		var u, g int
		fmt.Sscan(uid, &u)
		fmt.Sscan(gid, &g)
		b.chown(home, u, g)
	}
}

// volume declares a volume.
func (b *builder) volume(p string) {
	if b.img.Config.Volumes == nil {
		b.img.Config.Volumes = map[string]struct{}{}
	}
	b.img.Config.Volumes[p] = struct{}{}
	b.meta("/bin/sh -c #(nop)  VOLUME [" + p + "]")
}

// withVersion is the line image base as the exact release s names: the same layers,
// its version in the config and history (PYTHON_VERSION=3.9.2). Upstream each patch
// release has its own layers; sharing the line's keeps the distinct layers bounded.
func withVersion(base *Image, s spec) *Image {
	rep := strings.NewReplacer(s.line.latest, s.version)
	img := *base
	img.Name = s.fam.repo + ":" + s.canonicalTag()
	img.Config = *base.Config.Clone()
	for i, kv := range img.Config.Env {
		img.Config.Env[i] = rep.Replace(kv)
	}
	img.History = append(img.History[:0:0], base.History...)
	for i := range img.History {
		img.History[i].CreatedBy = rep.Replace(img.History[i].CreatedBy)
	}
	return &img
}
