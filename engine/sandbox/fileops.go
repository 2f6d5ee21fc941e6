package sandbox

// File commands beyond coreutils.go's: install, truncate, link, unlink, and mkfifo and
// mknod, which are refused (the sandbox has no named pipes or device files).

import (
	"io/fs"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

// cmdMkfifo refuses named pipes and device nodes: the sandbox's filesystem has none.
func cmdMkfifo(p *proc) int {
	f := parseFlags(p.args, "mZ")
	if len(f.args) == 0 {
		p.errf("missing operand")
		return 1
	}
	what := "fifo"
	if p.name == "mknod" {
		what = "special file"
	}
	p.errf("cannot create %s '%s': Operation not supported (the playground sandbox has no named pipes or device files)", what, f.args[0])
	return 1
}

// cmdInstall copies files with a mode and owner, or creates directories (-d).
func cmdInstall(p *proc) int {
	f := parseFlags(p.args, "mogtSZ")
	mode := fs.FileMode(0o755)
	if v, ok := f.val['m']; ok {
		m, ok := applyMode(v, 0o755, false)
		if !ok {
			p.errf("invalid mode '%s'", v)
			return 1
		}
		mode = m
	}
	uid, gid := p.s.uid, p.s.gid
	if v, ok := f.val['o']; ok {
		if n, err := strconv.Atoi(v); err == nil {
			uid = n
		} else if u, ok := p.s.userByName(v); ok {
			uid = u.uid
		} else {
			p.errf("%s", p.pick("unknown user "+v, "invalid user '"+v+"'"))
			return 1
		}
	}
	if v, ok := f.val['g']; ok {
		if n, err := strconv.Atoi(v); err == nil {
			gid = n
		} else if g, ok := p.s.groupByName(v); ok {
			gid = g.gid
		} else {
			p.errf("%s", p.pick("unknown group "+v, "invalid group '"+v+"'"))
			return 1
		}
	}
	if (uid != p.s.uid || gid != p.s.gid) && p.s.uid != 0 {
		p.errf("cannot change ownership: Operation not permitted")
		return 1
	}
	if f.has('d', "directory") {
		if len(f.args) == 0 {
			p.errf("missing operand")
			return 1
		}
		code := 0
		for _, d := range f.args {
			ap := p.abs(d)
			err := p.s.withFS(func(fsys *rootfs.FS) error {
				if err := p.s.checkCreate(fsys, ap); err != nil {
					if e, _, serr := fsys.Stat(ap); serr != nil || e.Kind != rootfs.KindDir {
						return err
					}
				}
				if err := fsys.MkdirAll(ap, 0o755, uid, gid, p.s.now()); err != nil {
					return err
				}
				e, k, err := fsys.Stat(ap)
				if err != nil {
					return err
				}
				c := e.Clone()
				c.Mode, c.UID, c.GID = mode, uid, gid
				return fsys.Put(k, c)
			})
			if err != nil {
				p.errf("%s", p.pick("can't create directory '"+d+"': "+errno(err), "cannot create directory '"+d+"': "+errno(err)))
				code = 1
			}
		}
		return code
	}
	files := f.args
	target, hasT := f.val['t']
	if !hasT {
		if len(files) < 2 {
			if len(files) == 0 {
				p.errf("missing file operand")
			} else {
				p.errf("missing destination file operand after '%s'", files[0])
			}
			return 1
		}
		target, files = files[len(files)-1], files[:len(files)-1]
	}
	tabs := p.abs(target)
	if f.has('D') {
		dir := tabs
		if !hasT && len(files) == 1 {
			dir = tabs[:strings.LastIndex(tabs, "/")+1]
		}
		p.s.withFS(func(fsys *rootfs.FS) error { return fsys.MkdirAll(dir, 0o755, p.s.uid, p.s.gid, p.s.now()) })
	}
	te, terr := p.s.stat(tabs)
	isDir := terr == nil && te.Kind == rootfs.KindDir
	if len(files) > 1 && !isDir {
		p.errf("target '%s' is not a directory", target)
		return 1
	}
	code := 0
	for _, src := range files {
		data, err := p.readFile(src)
		if err != nil {
			p.errf("%s", p.pick("can't open '"+src+"': "+errno(err), "cannot stat '"+src+"': "+errno(err)))
			code = 1
			continue
		}
		dst := tabs
		if isDir {
			dst = joinPath(tabs, pathBase(src))
		}
		if err := p.s.account(int64(len(data))); err != nil {
			return 1
		}
		err = p.s.withFS(func(fsys *rootfs.FS) error {
			if err := p.s.checkCreate(fsys, dst); err != nil {
				return err
			}
			if e, _, err := fsys.Lstat(dst); err == nil && e.Kind != rootfs.KindDir {
				fsys.Remove(dst)
			}
			return fsys.WriteFile(dst, rootfs.Bytes(data), mode, uid, gid, p.s.now())
		})
		if err != nil {
			p.errf("%s", p.pick("can't create '"+dst+"': "+errno(err), "cannot create regular file '"+dst+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

// cmdTruncate sets file sizes (-s N, +N, -N); missing files are created unless -c.
func cmdTruncate(p *proc) int {
	f := parseFlags(p.args, "sr")
	spec, ok := f.val['s']
	if v, ok2 := f.long["size"]; ok2 {
		spec, ok = v, true
	}
	if !ok {
		p.errf("you must specify either '--size' or '--reference'")
		return 1
	}
	if len(f.args) == 0 {
		p.errf("missing file operand")
		return 1
	}
	rel := byte(0)
	if spec != "" && (spec[0] == '+' || spec[0] == '-') {
		rel, spec = spec[0], spec[1:]
	}
	n, valid := parseSizeStrict(spec)
	if !valid {
		p.errf("invalid number: '%s'", spec)
		return 1
	}
	code := 0
	for _, name := range f.args {
		ap := p.abs(name)
		old, err := p.readFile(name)
		if err != nil && !isNotExist(err) {
			p.errf("%s", p.pick("'"+name+"': "+errno(err), "cannot open '"+name+"' for writing: "+errno(err)))
			code = 1
			continue
		}
		if err != nil && f.has('c', "no-create") {
			continue
		}
		size := n
		switch rel {
		case '+':
			size = int64(len(old)) + n
		case '-':
			size = max(int64(len(old))-n, 0)
		}
		if size > p.s.lim.MaxWrite {
			p.s.setLimit(writeLimit(p.s.lim.MaxWrite))
			return 1
		}
		data := make([]byte, size)
		copy(data, old)
		mode := fs.FileMode(0o644)
		if e, err := p.s.stat(ap); err == nil {
			mode = e.Mode
		}
		if err := p.s.writeFile(ap, rootfs.Bytes(data), mode); err != nil {
			p.errf("%s", p.pick("'"+name+"': "+errno(err), "cannot open '"+name+"' for writing: "+errno(err)))
			code = 1
		}
	}
	return code
}

func isNotExist(err error) bool { return err != nil && errno(err) == "No such file or directory" }

// parseSizeStrict reads 10, 1K, 2M, 1G, 512KB, 1KiB.
func parseSizeStrict(v string) (int64, bool) {
	mult := int64(1)
	v = strings.TrimSuffix(strings.TrimSuffix(v, "iB"), "B")
	if v != "" {
		switch v[len(v)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'b':
			mult = 512
		}
		if mult != 1 {
			v = v[:len(v)-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, false
	}
	return n * mult, true
}

// cmdUnlink removes one file (never a directory).
func cmdUnlink(p *proc) int {
	if len(p.args) != 1 {
		if len(p.args) == 0 {
			p.errf("missing operand")
		} else {
			p.errf("extra operand '%s'", p.args[1])
		}
		return 1
	}
	name := p.args[0]
	ap := p.abs(name)
	err := p.s.withFS(func(fsys *rootfs.FS) error {
		e, _, err := fsys.Lstat(ap)
		if err != nil {
			return err
		}
		if e.Kind == rootfs.KindDir {
			return rootfs.ErrIsDir
		}
		if err := p.s.checkRemove(fsys, ap); err != nil {
			return err
		}
		return fsys.Remove(ap)
	})
	if err != nil {
		p.errf("%s", p.pick("can't remove '"+name+"': "+errno(err), "cannot unlink '"+name+"': "+errno(err)))
		return 1
	}
	return 0
}

// cmdLink makes a hard link: link FILE1 FILE2.
func cmdLink(p *proc) int {
	if len(p.args) != 2 {
		if len(p.args) < 2 {
			p.errf("missing operand")
		} else {
			p.errf("extra operand '%s'", p.args[2])
		}
		return 1
	}
	if e, err := p.s.lstat(p.abs(p.args[1])); err == nil && e != nil {
		p.errf("cannot create link '%s' to '%s': File exists", p.args[1], p.args[0])
		return 1
	}
	if _, err := p.s.stat(p.abs(p.args[0])); err != nil {
		p.errf("cannot create link '%s' to '%s': %s", p.args[1], p.args[0], errno(err))
		return 1
	}
	c := *p
	c.name, c.args = "ln", []string{p.args[0], p.args[1]}
	var sink strings.Builder
	c.errw = &sink
	if code := cmdLn(&c); code != 0 {
		p.errf("cannot create link '%s' to '%s': %s", p.args[1], p.args[0], strings.TrimSpace(sink.String()[strings.LastIndex(sink.String(), ": ")+2:]))
		return 1
	}
	return 0
}
