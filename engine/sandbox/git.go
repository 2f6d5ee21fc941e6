package sandbox

// git, as Dockerfiles use it: clone a repository, check out a tag, read HEAD for a
// version string, set config, init submodules.
//
// The playground has no network, so a clone cannot bring the repository's files. It
// writes a stand-in repository instead, as curl writes a placeholder: a .git whose
// HEAD is a made-up commit (a deterministic function of the URL and the ref, so a
// rebuild caches), the origin remote the command named, and one file,
// .layerlab-standin, that says what it stands for. The step log says so in plain
// words, so a later step that needs the repository's files (./configure, make,
// pip install -r) fails on a missing file with the reason already in the log, never
// with a clone that looked real. Commands that need git's object store (log, show,
// diff, archive) are refused by name; rev-parse and describe read HEAD and refs as
// git does, so a context's own .git copied in gives its real commit.

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

func init() { register(map[string]cmdFunc{"git": cmdGit}) }

// gitStandinFile marks a stand-in repository, in its work tree.
const gitStandinFile = ".layerlab-standin"

func cmdGit(p *proc) int {
	args := p.args
	// git's own options come before the subcommand.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch a := args[0]; {
		case a == "--version":
			p.outf("git version %s\n", p.gitVersion())
			return 0
		case a == "-C" && len(args) > 1:
			c := *p
			c.dir = p.abs(args[1])
			if !c.isDir(".") {
				fmt.Fprintf(p.errw, "fatal: cannot change to '%s': No such file or directory\n", args[1])
				return 128
			}
			p = &c
			args = args[2:]
		case a == "-c" && len(args) > 1:
			args = args[2:] // a config value for this run only: nothing here reads it
		case a == "--no-pager" || a == "--bare" || a == "-P":
			args = args[1:]
		default:
			fmt.Fprintf(p.errw, "unknown option: %s\n", a)
			return 129
		}
	}
	if len(args) == 0 {
		p.outf("usage: git [-v | --version] [-h | --help] [-C <path>] [-c <name>=<value>]\n           <command> [<args>]\n")
		return 1
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "version":
		p.outf("git version %s\n", p.gitVersion())
		return 0
	case "clone":
		return p.gitClone(rest)
	case "init":
		return p.gitInit(rest)
	case "config":
		return p.gitConfig(rest)
	case "rev-parse":
		return p.gitRevParse(rest)
	case "describe":
		return p.gitDescribe(rest)
	case "checkout", "switch":
		return p.gitCheckout(sub, rest)
	case "submodule":
		return p.gitSubmodule(rest)
	case "fetch", "pull":
		root, ok := p.gitRoot()
		if !ok {
			return p.gitNotRepo()
		}
		if p.isFile(path.Join(root, gitStandinFile)) {
			fmt.Fprintf(p.errw, "layerlab: the playground has no network: git %s changed nothing in the stand-in repository %s\n", sub, root)
			return 0
		}
		fmt.Fprintf(p.errw, "layerlab: the playground has no network: git %s cannot reach the remote of %s\n", sub, root)
		fmt.Fprintf(p.errw, "fatal: unable to access the remote: Could not resolve host\n")
		return 128
	}
	return p.notSimulated("git " + sub)
}

// gitVersion is the installed package's upstream version (Debian's 1:2.39.5-0+deb12u2
// is git 2.39.5), else a current one.
func (p *proc) gitVersion() string {
	v := p.debStatus()["git"]
	if v == "" {
		return "2.45.2"
	}
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.IndexAny(v, "-+~"); i > 0 {
		v = v[:i]
	}
	return v
}

// gitClone writes a stand-in repository where `git clone` would write the real one.
func (p *proc) gitClone(args []string) int {
	var pos []string
	branch, depth := "", 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-b" || a == "--branch":
			branch = next()
		case strings.HasPrefix(a, "--branch="):
			branch = strings.TrimPrefix(a, "--branch=")
		case a == "--depth":
			depth, _ = strconv.Atoi(next())
		case strings.HasPrefix(a, "--depth="):
			depth, _ = strconv.Atoi(strings.TrimPrefix(a, "--depth="))
		case a == "-c" || a == "--config" || a == "-o" || a == "--origin" || a == "--reference" || a == "-j" || a == "--jobs" || a == "--separate-git-dir" || a == "--template":
			next()
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-"):
			// --single-branch, --recursive, --recurse-submodules, -q, --quiet,
			// --shallow-submodules, --filter=..., --no-tags: they change what would be
			// downloaded, and nothing is.
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) == 0 {
		fmt.Fprintf(p.errw, "fatal: You must specify a repository to clone.\n")
		return 129
	}
	url := pos[0]
	dir := ""
	if len(pos) > 1 {
		dir = pos[1]
	} else {
		dir = strings.TrimSuffix(path.Base(strings.TrimRight(strings.ReplaceAll(url, ":", "/"), "/")), ".git")
	}
	if p.isFile(dir) || (p.isDir(dir) && len(p.listDir(dir)) > 0) {
		fmt.Fprintf(p.errw, "fatal: destination path '%s' already exists and is not an empty directory.\n", dir)
		return 128
	}
	fmt.Fprintf(p.errw, "Cloning into '%s'...\n", dir)
	if gitSSH(url) {
		// No key and no known_hosts in a build step: what git over ssh prints then.
		fmt.Fprintf(p.errw, "Host key verification failed.\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n")
		return 128
	}
	if !strings.Contains(url, "://") {
		fmt.Fprintf(p.errw, "fatal: repository '%s' does not exist\n", url)
		fmt.Fprintf(p.errw, "layerlab: a clone of a local path is not simulated by the layerlab sandbox\n")
		return 128
	}
	ref := branch
	if ref == "" {
		ref = "main"
	}
	root := p.abs(dir)
	if err := p.gitWriteRepo(root, url, ref, depth); err != nil {
		fmt.Fprintf(p.errw, "fatal: could not create work tree dir '%s': %s\n", dir, errno(err))
		return 128
	}
	note := fmt.Sprintf("# layerlab stand-in for a clone of %s (%s)\n# The playground has no network: this directory holds a .git whose HEAD is a\n# made-up commit, not the repository's files.\n", url, ref)
	if err := p.put(path.Join(root, gitStandinFile), rootfs.Bytes(note), 0o644, p.s.uid, p.s.gid); err != nil {
		fmt.Fprintf(p.errw, "fatal: %s\n", errno(err))
		return 128
	}
	fmt.Fprintf(p.errw, "layerlab: the playground has no network: %s is a stand-in repository for %s (a .git with HEAD at a made-up commit and one file, %s), not its real files; a later step that reads them will not find them\n", dir, url, gitStandinFile)
	return 0
}

// gitSSH reports an scp-like (git@host:path) or ssh:// URL.
func gitSSH(url string) bool {
	if strings.HasPrefix(url, "ssh://") || strings.HasPrefix(url, "git+ssh://") {
		return true
	}
	at, colon := strings.Index(url, "@"), strings.Index(url, ":")
	return !strings.Contains(url, "://") && at > 0 && colon > at
}

// gitCommit is the stand-in commit of url at ref: the same on every build.
func gitCommit(url, ref string) string {
	h := sha1.Sum([]byte("layerlab-standin\x00" + url + "\x00" + ref))
	return hex.EncodeToString(h[:])
}

// gitWriteRepo writes the .git of a stand-in clone of url at ref.
func (p *proc) gitWriteRepo(root, url, ref string, depth int) error {
	commit := gitCommit(url, ref)
	g := path.Join(root, ".git")
	files := map[string]string{
		"HEAD":                     "ref: refs/heads/" + ref + "\n",
		"config":                   "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n[remote \"origin\"]\n\turl = " + url + "\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"" + ref + "\"]\n\tremote = origin\n\tmerge = refs/heads/" + ref + "\n",
		"description":              "Unnamed repository; edit this file 'description' to name the repository.\n",
		"packed-refs":              "# pack-refs with: peeled fully-peeled sorted \n" + commit + " refs/remotes/origin/" + ref + "\n",
		"refs/heads/" + ref:        commit + "\n",
		"refs/remotes/origin/HEAD": "ref: refs/remotes/origin/" + ref + "\n",
		"objects/info/packs":       "\n",
		"info/exclude":             "# git ls-files --others --exclude-from=.git/info/exclude\n",
		"logs/HEAD":                strings.Repeat("0", 40) + " " + commit + " layerlab <layerlab@sandbox> 0 +0000\tclone: from " + url + "\n",
		"logs/refs/heads/" + ref:   strings.Repeat("0", 40) + " " + commit + " layerlab <layerlab@sandbox> 0 +0000\tclone: from " + url + "\n",
	}
	if depth > 0 {
		files["shallow"] = commit + "\n"
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := p.put(path.Join(g, n), rootfs.Bytes(files[n]), 0o644, p.s.uid, p.s.gid); err != nil {
			return err
		}
	}
	return p.s.withFS(func(f *rootfs.FS) error {
		for _, d := range []string{"refs/tags", "objects/pack", "branches", "hooks"} {
			if err := f.MkdirAll(path.Join(g, d), 0o755, p.s.uid, p.s.gid, p.s.now()); err != nil {
				return err
			}
		}
		return nil
	})
}

// gitInit makes an empty repository.
func (p *proc) gitInit(args []string) int {
	dir, branch, quiet := ".", "", false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-q" || a == "--quiet":
			quiet = true
		case (a == "-b" || a == "--initial-branch") && i+1 < len(args):
			branch = args[i+1]
			i++
		case strings.HasPrefix(a, "--initial-branch="):
			branch = strings.TrimPrefix(a, "--initial-branch=")
		case strings.HasPrefix(a, "-"):
		default:
			dir = a
		}
	}
	if branch == "" {
		branch = p.gitConfigGet("init.defaultBranch")
	}
	if branch == "" {
		branch = "master"
	}
	g := path.Join(p.abs(dir), ".git")
	files := map[string]string{
		"HEAD":        "ref: refs/heads/" + branch + "\n",
		"config":      "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n",
		"description": "Unnamed repository; edit this file 'description' to name the repository.\n",
	}
	for _, n := range []string{"HEAD", "config", "description"} {
		if err := p.put(path.Join(g, n), rootfs.Bytes(files[n]), 0o644, p.s.uid, p.s.gid); err != nil {
			fmt.Fprintf(p.errw, "fatal: %s\n", errno(err))
			return 128
		}
	}
	p.s.withFS(func(f *rootfs.FS) error {
		for _, d := range []string{"refs/heads", "refs/tags", "objects/info", "objects/pack", "hooks", "info"} {
			f.MkdirAll(path.Join(g, d), 0o755, p.s.uid, p.s.gid, p.s.now())
		}
		return nil
	})
	if !quiet {
		p.outf("Initialized empty Git repository in %s/\n", g)
	}
	return 0
}

// gitRoot finds the work tree above the process's directory, as git does.
func (p *proc) gitRoot() (string, bool) {
	dir := p.abs(".")
	for {
		if p.isDir(path.Join(dir, ".git")) {
			return dir, true
		}
		if dir == "/" {
			return "", false
		}
		dir = path.Dir(dir)
	}
}

func (p *proc) gitNotRepo() int {
	fmt.Fprintf(p.errw, "fatal: not a git repository (or any of the parent directories): .git\n")
	return 128
}

var errNoRef = errors.New("unknown revision")

// gitResolve turns a ref name (HEAD, a branch, a tag, refs/...) into a commit by
// reading .git as git does: symbolic refs, loose refs, then packed-refs.
func (p *proc) gitResolve(g, name string) (string, error) {
	for range 8 {
		if len(name) == 40 && isHex(name) {
			return name, nil
		}
		var candidates []string
		if name == "HEAD" || strings.HasPrefix(name, "refs/") {
			candidates = []string{name}
		} else {
			candidates = []string{"refs/tags/" + name, "refs/heads/" + name, "refs/remotes/" + name, "refs/remotes/" + name + "/HEAD"}
		}
		found := ""
		for _, c := range candidates {
			if b, err := p.readFile(path.Join(g, c)); err == nil {
				found = strings.TrimSpace(string(b))
				break
			}
			if packed, ok := p.gitPacked(g)[c]; ok {
				found = packed
				break
			}
		}
		if found == "" {
			return "", errNoRef
		}
		if r, ok := strings.CutPrefix(found, "ref: "); ok {
			name = r
			continue
		}
		return found, nil
	}
	return "", errNoRef
}

// gitPacked reads .git/packed-refs: ref name to commit.
func (p *proc) gitPacked(g string) map[string]string {
	out := map[string]string{}
	b, err := p.readFile(path.Join(g, "packed-refs"))
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		if sha, ref, ok := strings.Cut(l, " "); ok && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "^") {
			out[ref] = sha
		}
	}
	return out
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// gitRevParse answers HEAD, --short, --abbrev-ref and the work-tree questions.
func (p *proc) gitRevParse(args []string) int {
	root, ok := p.gitRoot()
	if !ok {
		return p.gitNotRepo()
	}
	g := path.Join(root, ".git")
	short, abbrev := 0, false
	var revs []string
	for _, a := range args {
		switch {
		case a == "--short":
			short = 7
		case strings.HasPrefix(a, "--short="):
			short, _ = strconv.Atoi(strings.TrimPrefix(a, "--short="))
		case a == "--abbrev-ref":
			abbrev = true
		case a == "--verify" || a == "-q" || a == "--quiet":
		case a == "--is-inside-work-tree":
			p.outf("true\n")
		case a == "--show-toplevel":
			p.outf("%s\n", root)
		case a == "--git-dir":
			p.outf("%s\n", g)
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(p.errw, "layerlab: git rev-parse %s is not simulated by the layerlab sandbox\n", a)
			return 127
		default:
			revs = append(revs, a)
		}
	}
	for _, r := range revs {
		if abbrev {
			head, _ := p.readFile(path.Join(g, r))
			if ref, ok := strings.CutPrefix(strings.TrimSpace(string(head)), "ref: refs/heads/"); ok && r == "HEAD" {
				p.outf("%s\n", ref)
			} else {
				p.outf("%s\n", r)
			}
			continue
		}
		sha, err := p.gitResolve(g, r)
		if err != nil {
			fmt.Fprintf(p.errw, "fatal: ambiguous argument '%s': unknown revision or path not in the working tree.\n", r)
			return 128
		}
		if short > 0 && short < len(sha) {
			sha = sha[:max(short, 4)]
		}
		p.outf("%s\n", sha)
	}
	return 0
}

// gitDescribe names HEAD by a lightweight tag at that commit; --always falls back to
// the short commit. Annotated tags live in the object store, which the sandbox does
// not read: the step log says so when it gives up.
func (p *proc) gitDescribe(args []string) int {
	root, ok := p.gitRoot()
	if !ok {
		return p.gitNotRepo()
	}
	g := path.Join(root, ".git")
	// --dirty adds nothing: the sandbox cannot compare the work tree with the index,
	// and a clean tree is what a build context copied in usually is.
	always := false
	for _, a := range args {
		if a == "--always" {
			always = true
		}
	}
	head, err := p.gitResolve(g, "HEAD")
	if err != nil {
		fmt.Fprintf(p.errw, "fatal: Not a valid object name HEAD\n")
		return 128
	}
	tags := map[string]string{}
	for ref, sha := range p.gitPacked(g) {
		if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
			tags[t] = sha
		}
	}
	for _, t := range p.listDir(path.Join(g, "refs/tags")) {
		if b, err := p.readFile(path.Join(g, "refs/tags", t)); err == nil {
			tags[t] = strings.TrimSpace(string(b))
		}
	}
	var names []string
	for t, sha := range tags {
		if sha == head {
			names = append(names, t)
		}
	}
	sort.Strings(names)
	switch {
	case len(names) > 0:
		p.outf("%s\n", names[len(names)-1])
	case always:
		p.outf("%s\n", head[:7])
	default:
		fmt.Fprintf(p.errw, "fatal: No names found, cannot describe anything.\n")
		if len(tags) > 0 {
			fmt.Fprintf(p.errw, "layerlab: git describe reads lightweight tags at HEAD only; tags further back and annotated tags need git's object store, which the sandbox does not read\n")
		}
		return 128
	}
	return 0
}

// gitCheckout moves a stand-in clone to another ref (a made-up commit again); a real
// repository's files would come from its object store, which the sandbox does not read.
func (p *proc) gitCheckout(sub string, args []string) int {
	root, ok := p.gitRoot()
	if !ok {
		return p.gitNotRepo()
	}
	var ref string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			ref = a
			break
		}
	}
	if ref == "" {
		fmt.Fprintf(p.errw, "layerlab: git %s without a ref is not simulated by the layerlab sandbox\n", sub)
		return 127
	}
	if !p.isFile(path.Join(root, gitStandinFile)) {
		fmt.Fprintf(p.errw, "layerlab: git %s of a real repository needs its object store, which the sandbox does not read\n", sub)
		return p.notSimulated("git " + sub)
	}
	g := path.Join(root, ".git")
	url := p.gitConfigIn(path.Join(g, "config"), "remote.origin.url")
	commit := gitCommit(url, ref)
	if err := p.put(path.Join(g, "HEAD"), rootfs.Bytes(commit+"\n"), 0o644, p.s.uid, p.s.gid); err != nil {
		fmt.Fprintf(p.errw, "fatal: %s\n", errno(err))
		return 128
	}
	fmt.Fprintf(p.errw, "Note: switching to '%s'.\n\nYou are in 'detached HEAD' state.\n\nHEAD is now at %s\n", ref, commit[:7])
	fmt.Fprintf(p.errw, "layerlab: the playground has no network: %s stays a stand-in repository, now at a made-up commit for %s\n", root, ref)
	return 0
}

// gitSubmodule initialises the submodules .gitmodules lists as stand-in clones.
func (p *proc) gitSubmodule(args []string) int {
	root, ok := p.gitRoot()
	if !ok {
		return p.gitNotRepo()
	}
	if len(args) > 0 && args[0] != "update" && args[0] != "init" && args[0] != "sync" {
		return p.notSimulated("git submodule " + args[0])
	}
	b, err := p.readFile(path.Join(root, ".gitmodules"))
	if err != nil {
		return 0 // no submodules: git prints nothing
	}
	var subPath, url string
	flush := func() int {
		if subPath == "" || url == "" {
			return 0
		}
		dir := path.Join(root, subPath)
		if p.isDir(path.Join(dir, ".git")) || p.isFile(path.Join(dir, ".git")) {
			return 0
		}
		fmt.Fprintf(p.errw, "Submodule '%s' (%s) registered for path '%s'\nCloning into '%s'...\n", subPath, url, subPath, dir)
		if err := p.gitWriteRepo(dir, url, "main", 0); err != nil {
			fmt.Fprintf(p.errw, "fatal: %s\n", errno(err))
			return 128
		}
		p.put(path.Join(dir, gitStandinFile), rootfs.Bytes("# layerlab stand-in for the submodule "+url+"\n"), 0o644, p.s.uid, p.s.gid)
		fmt.Fprintf(p.errw, "layerlab: the playground has no network: submodule %s is a stand-in repository for %s, not its real files\n", subPath, url)
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[submodule") {
			if rc := flush(); rc != 0 {
				return rc
			}
			subPath, url = "", ""
		}
		if k, v, ok := strings.Cut(l, "="); ok {
			switch strings.TrimSpace(k) {
			case "path":
				subPath = strings.TrimSpace(v)
			case "url":
				url = strings.TrimSpace(v)
			}
		}
	}
	return flush()
}

// gitConfig sets or reads one key in the global (~/.gitconfig), system
// (/etc/gitconfig) or repository (.git/config) file.
func (p *proc) gitConfig(args []string) int {
	scope, add := "", false
	var pos []string
	for _, a := range args {
		switch a {
		case "--global", "--system", "--local":
			scope = a
		case "--add":
			add = true
		case "--get", "--replace-all":
		default:
			if strings.HasPrefix(a, "-") {
				fmt.Fprintf(p.errw, "layerlab: git config %s is not simulated by the layerlab sandbox\n", a)
				return 127
			}
			pos = append(pos, a)
		}
	}
	file := ""
	switch scope {
	case "--global":
		home := p.getenv("HOME")
		if home == "" {
			home = "/root"
		}
		file = path.Join(home, ".gitconfig")
	case "--system":
		file = "/etc/gitconfig"
	default:
		root, ok := p.gitRoot()
		if !ok {
			if len(pos) == 1 {
				return 1
			}
			fmt.Fprintf(p.errw, "fatal: not in a git directory\n")
			return 128
		}
		file = path.Join(root, ".git", "config")
	}
	switch len(pos) {
	case 1:
		v := p.gitConfigIn(file, pos[0])
		if v == "" {
			return 1
		}
		p.outf("%s\n", v)
		return 0
	case 2:
	default:
		fmt.Fprintf(p.errw, "error: wrong number of arguments, should be from 1 to 2\n")
		return 129
	}
	section, key, ok := gitSplitKey(pos[0])
	if !ok {
		fmt.Fprintf(p.errw, "error: key does not contain a section: %s\n", pos[0])
		return 2
	}
	b, _ := p.readFile(file)
	text := gitSetKey(string(b), section, key, pos[1], add)
	if err := p.put(file, rootfs.Bytes(text), 0o644, p.s.uid, p.s.gid); err != nil {
		fmt.Fprintf(p.errw, "error: could not lock config file %s: %s\n", file, errno(err))
		return 255
	}
	return 0
}

// gitSplitKey splits "remote.origin.url" into the section header's words
// ("remote \"origin\"") and the key ("url"), as typed: git writes them so and
// compares the section and key names without case.
func gitSplitKey(k string) (section, key string, ok bool) {
	i, j := strings.Index(k, "."), strings.LastIndex(k, ".")
	if i <= 0 || j == len(k)-1 {
		return "", "", false
	}
	if i == j {
		return k[:i], k[j+1:], true
	}
	return k[:i] + " \"" + k[i+1:j] + "\"", k[j+1:], true
}

// gitSetKey sets key in [section] of an ini text (appending a section when there is
// none); with add, another value is appended even if the key is set.
func gitSetKey(text, section, key, value string, add bool) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	header := "[" + section + "]"
	in, at := false, -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			in = strings.EqualFold(t, header)
			if in {
				at = i
			}
			continue
		}
		if in {
			if k, _, ok := strings.Cut(t, "="); ok && strings.EqualFold(strings.TrimSpace(k), key) {
				if !add {
					lines[i] = "\t" + key + " = " + value
					return strings.Join(lines, "\n") + "\n"
				}
				at = i
			}
		}
	}
	entry := "\t" + key + " = " + value
	if at < 0 {
		lines = append(lines, header, entry)
	} else {
		lines = append(lines[:at+1], append([]string{entry}, lines[at+1:]...)...)
	}
	return strings.Join(lines, "\n") + "\n"
}

// gitConfigIn reads one key ("init.defaultBranch") from an ini file; the last value wins.
func (p *proc) gitConfigIn(file, k string) string {
	section, key, ok := gitSplitKey(k)
	if !ok {
		return ""
	}
	b, err := p.readFile(file)
	if err != nil {
		return ""
	}
	in, val := false, ""
	for _, l := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			in = strings.EqualFold(t, "["+section+"]")
			continue
		}
		if k2, v, ok := strings.Cut(t, "="); in && ok && strings.EqualFold(strings.TrimSpace(k2), key) {
			val = strings.TrimSpace(v)
		}
	}
	return val
}

// gitConfigGet reads a key from the global, then the system, configuration.
func (p *proc) gitConfigGet(k string) string {
	home := p.getenv("HOME")
	if home == "" {
		home = "/root"
	}
	if v := p.gitConfigIn(path.Join(home, ".gitconfig"), k); v != "" {
		return v
	}
	return p.gitConfigIn("/etc/gitconfig", k)
}
