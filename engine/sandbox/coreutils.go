package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"layerlab/engine/rootfs"

	"mvdan.cc/sh/v3/expand"
)

type cmdFunc func(p *proc) int

// impls is every simulated command by name. The files that simulate a tool family
// (package managers, build tools, users) add theirs from their own init with register.
var impls = map[string]cmdFunc{}

// register adds commands to impls; a name registered twice is a programming error.
func register(m map[string]cmdFunc) {
	for k, v := range m {
		if _, dup := impls[k]; dup {
			panic("sandbox: command registered twice: " + k)
		}
		impls[k] = v
	}
}

func init() {
	register(map[string]cmdFunc{
		"sh": cmdSh, "bash": cmdSh, "dash": cmdSh, "ash": cmdSh,
		"echo": cmdEcho, "printf": cmdPrintf, "true": func(*proc) int { return 0 }, "false": func(*proc) int { return 1 },
		"cat": cmdCat, "ls": cmdLs, "mkdir": cmdMkdir, "touch": cmdTouch, "rm": cmdRm, "rmdir": cmdRmdir,
		"cp": cmdCp, "mv": cmdMv, "ln": cmdLn, "chmod": cmdChmod, "chown": cmdChown, "chgrp": cmdChown,
		"tee": cmdTee, "grep": cmdGrep, "egrep": cmdGrep, "wc": cmdWc, "head": cmdHead, "tail": cmdTail,
		"env": cmdEnv, "printenv": cmdPrintenv, "id": cmdID, "whoami": cmdWhoami, "sleep": cmdSleep,
		"sed": cmdSed, "sort": cmdSort, "uniq": cmdUniq, "cut": cmdCut, "dd": cmdDd, "mktemp": cmdMktemp,
		"basename": cmdBasename, "dirname": cmdDirname, "pwd": cmdPwd, "uname": cmdUname,
		"hostname": cmdHostname, "date": cmdDate, "find": cmdFind, "which": cmdWhich, "xargs": cmdXargs,
		"tr": cmdTr, "seq": cmdSeq, "stat": cmdStat, "du": cmdDu, "readlink": cmdReadlink, "realpath": cmdRealpath, "yes": cmdYes,
		"nproc": func(p *proc) int { p.outf("2\n"); return 0 }, "sync": func(*proc) int { return 0 },
	})
	addMoreCommands()
}

// lookupImpl finds the Go implementation for a command's basename.
func lookupImpl(name string) cmdFunc {
	if f, ok := impls[name]; ok {
		return f
	}
	switch {
	case strings.HasPrefix(name, "pip"):
		return impls["pip"]
	case strings.HasPrefix(name, "python"):
		return impls["python"]
	}
	return nil
}

// hostname is the default container hostname (Options.Hostname "").
const hostname = "buildkitsandbox"

// flags is a tiny getopt: single-letter flags (combinable), flags taking a value
// (listed in withVal), and "--" ending options. Long options are kept verbatim.
type flags struct {
	set  map[byte]bool
	val  map[byte]string
	long map[string]string
	args []string
}

func parseFlags(args []string, withVal string) flags {
	f := flags{set: map[byte]bool{}, val: map[byte]string{}, long: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			f.args = append(f.args, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "--") {
			k, v, _ := strings.Cut(a[2:], "=")
			f.long[k] = v
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			f.args = append(f.args, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			if strings.IndexByte(withVal, c) >= 0 {
				if j+1 < len(a) {
					f.val[c] = a[j+1:]
				} else if i+1 < len(args) {
					i++
					f.val[c] = args[i]
				}
				f.set[c] = true
				break
			}
			f.set[c] = true
		}
	}
	return f
}

func (f flags) has(c byte, long ...string) bool {
	if f.set[c] {
		return true
	}
	for _, l := range long {
		if _, ok := f.long[l]; ok {
			return true
		}
	}
	return false
}

func cmdEcho(p *proc) int {
	args := p.args
	nl, esc := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, c := range args[0][1:] {
			switch c {
			case 'n':
				nl = false
			case 'e':
				esc = true
			case 'E':
				esc = false
			}
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if esc {
		s, _, _ = expand.Format(nil, strings.ReplaceAll(s, "%", "%%"), nil)
	}
	if nl {
		s += "\n"
	}
	io.WriteString(p.out, s)
	return 0
}

func cmdPrintf(p *proc) int {
	if len(p.args) == 0 {
		p.errf("usage: printf format [arguments]")
		return 2
	}
	format, args := p.args[0], p.args[1:]
	for {
		s, n, err := expand.Format(nil, format, args)
		if err != nil {
			p.errf("%v", err)
			return 1
		}
		io.WriteString(p.out, s)
		if n <= 0 || n >= len(args) {
			return 0
		}
		args = args[n:]
	}
}

func cmdCat(p *proc) int {
	files := parseFlags(p.args, "").args
	if len(files) == 0 {
		io.Copy(p.out, p.stdin())
		return 0
	}
	code := 0
	for _, f := range files {
		if f == "-" {
			io.Copy(p.out, p.stdin())
			continue
		}
		ap := p.abs(f)
		if pseudo(ap) {
			p.errf("%s", p.pick("can't open '"+f+"': Permission denied", f+": Permission denied"))
			code = 1
			continue
		}
		r, err := p.s.openRead(ap)
		if err != nil {
			p.errf("%s", p.pick("can't open '"+f+"': "+errno(err), f+": "+errno(err)))
			code = 1
			continue
		}
		if _, err := io.Copy(p.out, r); err != nil {
			return 1
		}
	}
	return code
}

// modeString renders "drwxr-xr-x" for ls -l and stat.
func modeString(e *rootfs.Entry) string {
	b := []byte("----------")
	switch e.Kind {
	case rootfs.KindDir:
		b[0] = 'd'
	case rootfs.KindSymlink:
		b[0] = 'l'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if e.Mode&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	if e.Mode&fs.ModeSetuid != 0 {
		b[3] = map[bool]byte{true: 's', false: 'S'}[b[3] == 'x']
	}
	if e.Mode&fs.ModeSetgid != 0 {
		b[6] = map[bool]byte{true: 's', false: 'S'}[b[6] == 'x']
	}
	if e.Mode&fs.ModeSticky != 0 {
		b[9] = map[bool]byte{true: 't', false: 'T'}[b[9] == 'x']
	}
	if e.Kind == rootfs.KindSymlink {
		return "lrwxrwxrwx"
	}
	return string(b)
}

func (p *proc) userName(uid int) string {
	if u, ok := p.s.userByID(uid); ok {
		return u.name
	}
	if uid == 0 {
		return "root"
	}
	return strconv.Itoa(uid)
}

func (p *proc) groupName(gid int) string {
	if g, ok := p.s.groupByID(gid); ok {
		return g.name
	}
	if gid == 0 {
		return "root"
	}
	return strconv.Itoa(gid)
}

func cmdLs(p *proc) int {
	f := parseFlags(p.args, "")
	long, all, rec, dirOnly := f.has('l'), f.has('a') || f.has('A'), f.has('R'), f.has('d')
	targets := f.args
	if len(targets) == 0 {
		targets = []string{"."}
	}
	code := 0
	var files, dirs []string
	for _, t := range targets {
		ap := p.abs(t)
		e, err := p.s.stat(ap)
		if err != nil {
			e, err = p.s.lstat(ap)
		}
		if err != nil || pseudo(ap) {
			if err == nil {
				err = rootfs.ErrNotExist
			}
			p.errf("%s", p.pick(t+": "+errno(err), "cannot access '"+t+"': "+errno(err)))
			code = 2 // GNU ls: "serious trouble"; busybox ls exits 1
			if p.s.busybox {
				code = 1
			}
			continue
		}
		if e.Kind == rootfs.KindDir && !dirOnly {
			dirs = append(dirs, t)
		} else {
			files = append(files, t)
		}
	}
	// ls sorts its operands, files first, then directories (busybox and GNU alike).
	sort.Strings(files)
	sort.Strings(dirs)
	lsLine := func(name, full string) {
		if !long {
			p.outf("%s\n", name)
			return
		}
		e, err := p.s.lstat(full)
		if err != nil {
			return
		}
		size := e.Size()
		if e.Kind == rootfs.KindDir {
			size = 4096
		} else if e.Kind == rootfs.KindSymlink {
			size = int64(len(e.Linkname))
		}
		extra := ""
		if e.Kind == rootfs.KindSymlink {
			extra = " -> " + e.Linkname
		}
		p.outf("%s %4d %-8s %-8s %8d %s %s%s\n", modeString(e), 1, p.userName(e.UID), p.groupName(e.GID),
			size, e.ModTime.UTC().Format("Jan _2 15:04"), name, extra)
	}
	for _, fl := range files {
		lsLine(fl, p.abs(fl))
	}
	var listDir func(t string, header bool)
	listDir = func(t string, header bool) {
		ap := p.abs(t)
		var names []string
		err := p.s.withFS(func(f *rootfs.FS) error {
			var err error
			names, err = f.ReadDir(ap)
			return err
		})
		if err != nil {
			p.errf("%s", p.pick("can't open '"+t+"': "+errno(err), "cannot open directory '"+t+"': "+errno(err)))
			code = 2
			return
		}
		if header {
			p.outf("%s:\n", t)
		}
		if long {
			var total int64
			for _, n := range names {
				if e, err := p.s.lstat(joinPath(ap, n)); err == nil {
					total += (e.Size() + 4095) / 4096 * 4
				}
			}
			p.outf("total %d\n", total)
		}
		if all {
			if !f.has('A') {
				lsLine(".", ap)
				lsLine("..", path.Dir(ap))
			}
		}
		var sub []string
		for _, n := range names {
			if !all && strings.HasPrefix(n, ".") {
				continue
			}
			lsLine(n, joinPath(ap, n))
			if rec {
				if e, err := p.s.lstat(joinPath(ap, n)); err == nil && e.Kind == rootfs.KindDir {
					sub = append(sub, strings.TrimSuffix(t, "/")+"/"+n)
				}
			}
		}
		for _, sd := range sub {
			p.outf("\n")
			listDir(sd, true)
		}
	}
	for i, d := range dirs {
		if i > 0 || len(files) > 0 {
			p.outf("\n")
		}
		listDir(d, len(targets) > 1 || rec)
	}
	return code
}

func cmdMkdir(p *proc) int {
	f := parseFlags(p.args, "m")
	mode := fs.FileMode(0o755)
	if m, ok := f.val['m']; ok {
		if n, err := strconv.ParseUint(m, 8, 32); err == nil {
			mode = fs.FileMode(n)
		}
	}
	parents := f.has('p', "parents")
	if len(f.args) == 0 {
		p.errf("missing operand")
		return 1
	}
	code := 0
	for _, d := range f.args {
		ap := p.abs(d)
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			if e, _, err := fsys.Stat(ap); err == nil {
				if parents && e.Kind == rootfs.KindDir {
					return nil
				}
				return rootfs.ErrExist
			}
			if !parents {
				if _, _, err := fsys.Stat(path.Dir(ap)); err != nil {
					return err
				}
			}
			if err := p.s.checkCreate(fsys, ap); err != nil {
				if !parents {
					return err
				}
			}
			return fsys.MkdirAll(ap, mode, p.s.uid, p.s.gid, p.s.now())
		})
		if err != nil {
			p.errf("%s", p.pick("can't create directory '"+d+"': "+errno(err), "cannot create directory '"+d+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

func cmdTouch(p *proc) int {
	f := parseFlags(p.args, "dtr")
	code := 0
	for _, name := range f.args {
		ap := p.abs(name)
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			e, k, err := fsys.Stat(ap)
			if err == nil {
				c := e.Clone()
				c.ModTime = p.s.now()
				return fsys.Put(k, c)
			}
			if f.has('c') {
				return nil
			}
			if err := p.s.checkCreate(fsys, ap); err != nil {
				return err
			}
			return fsys.WriteFile(ap, rootfs.Bytes(nil), 0o644, p.s.uid, p.s.gid, p.s.now())
		})
		if err != nil {
			p.errf("%s", p.pick(name+": "+errno(err), "cannot touch '"+name+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

func cmdRm(p *proc) int {
	f := parseFlags(p.args, "")
	force, rec := f.has('f', "force"), f.has('r', "recursive") || f.has('R')
	if len(f.args) == 0 && !force {
		p.errf("missing operand")
		return 1
	}
	code := 0
	for _, name := range f.args {
		ap := p.abs(name)
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			e, _, err := fsys.Lstat(ap)
			if err != nil {
				if force {
					return nil
				}
				return err
			}
			if err := p.s.checkRemove(fsys, ap); err != nil {
				return err
			}
			if e.Kind == rootfs.KindDir {
				if !rec {
					return rootfs.ErrIsDir
				}
				if ap == "/" {
					// GNU rm refuses "/" without --no-preserve-root; busybox removes everything.
					if !p.s.busybox {
						if _, ok := f.long["no-preserve-root"]; !ok {
							return errPreserveRoot
						}
					}
				}
				return fsys.RemoveAll(ap)
			}
			return fsys.Remove(ap)
		})
		if err == errPreserveRoot {
			p.errf("it is dangerous to operate recursively on '/'")
			p.errf("use --no-preserve-root to override this failsafe")
			code = 1
			continue
		}
		if err != nil {
			p.errf("%s", p.pick("can't remove '"+name+"': "+errno(err), "cannot remove '"+name+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

var errPreserveRoot = fmt.Errorf("preserve root")

func cmdRmdir(p *proc) int {
	code := 0
	for _, name := range parseFlags(p.args, "").args {
		ap := p.abs(name)
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			e, _, err := fsys.Lstat(ap)
			if err != nil {
				return err
			}
			if e.Kind != rootfs.KindDir {
				return rootfs.ErrNotDir
			}
			return fsys.Remove(ap)
		})
		if err != nil {
			p.errf("'%s': %s", name, errno(err))
			code = 1
		}
	}
	return code
}

// copyTree copies src to dst (both absolute); preserve keeps modes, owners and times.
func (p *proc) copyTree(fsys *rootfs.FS, src, dst string, rec, preserve, deref bool) error {
	var e *rootfs.Entry
	var err error
	if deref {
		e, _, err = fsys.Stat(src)
	} else {
		e, _, err = fsys.Lstat(src)
	}
	if err != nil {
		return err
	}
	if pseudo(src) {
		return errPerm
	}
	if err := p.s.checkCreate(fsys, dst); err != nil {
		return err
	}
	if de, _, err := fsys.Stat(dst); err == nil && de.Kind == rootfs.KindDir && e.Kind != rootfs.KindDir {
		return rootfs.ErrIsDir
	}
	dk, err := fsys.Resolve(dst)
	if err != nil {
		return err
	}
	c := e.Clone()
	if !preserve {
		c.UID, c.GID, c.ModTime = p.s.uid, p.s.gid, p.s.now()
	}
	switch e.Kind {
	case rootfs.KindDir:
		if !rec {
			return errOmitDir
		}
		if strings.HasPrefix(dk+"/", rootfs.Clean(src)+"/") {
			return fmt.Errorf("cannot copy a directory into itself")
		}
		if de, _, err := fsys.Stat(dst); err != nil || de.Kind != rootfs.KindDir {
			if err := fsys.Put(dk, c); err != nil {
				return err
			}
		}
		names, err := fsys.ReadDir(src)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := p.copyTree(fsys, joinPath(src, n), joinPath(dst, n), rec, preserve, false); err != nil {
				return err
			}
		}
		return nil
	case rootfs.KindFile, rootfs.KindHardlink:
		if err := p.s.account(e.Size()); err != nil {
			return err
		}
		if old, ok := fsys.Lookup(dk); ok && old.Kind == rootfs.KindFile && !preserve {
			c.Mode, c.UID, c.GID = old.Mode, old.UID, old.GID
		}
		c.Kind, c.Linkname = rootfs.KindFile, ""
		return fsys.Put(dk, c)
	default:
		return fsys.Put(dk, c)
	}
}

var errOmitDir = fmt.Errorf("omitting directory")

func cmdCp(p *proc) int {
	f := parseFlags(p.args, "t")
	rec := f.has('r', "recursive") || f.has('R') || f.has('a', "archive")
	preserve := f.has('a', "archive") || f.has('p', "preserve")
	if len(f.args) < 2 {
		p.errf("missing file operand")
		return 1
	}
	srcs, dst := f.args[:len(f.args)-1], f.args[len(f.args)-1]
	dstAbs := p.abs(dst)
	de, derr := p.s.stat(dstAbs)
	dstDir := derr == nil && de.Kind == rootfs.KindDir
	if len(srcs) > 1 && !dstDir {
		p.errf("target '%s' is not a directory", dst)
		return 1
	}
	code := 0
	for _, src := range srcs {
		target := dstAbs
		if dstDir {
			target = joinPath(dstAbs, path.Base(p.abs(src)))
		}
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			return p.copyTree(fsys, p.abs(src), target, rec, preserve, !f.has('P') && !f.has('a'))
		})
		if err == errOmitDir {
			p.errf("%s", p.pick("omitting directory '"+src+"'", "-r not specified; omitting directory '"+src+"'"))
			code = 1
		} else if err != nil {
			p.errf("%s", p.pick("can't stat '"+src+"': "+errno(err), "cannot stat '"+src+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

func cmdMv(p *proc) int {
	f := parseFlags(p.args, "t")
	if len(f.args) < 2 {
		p.errf("missing file operand")
		return 1
	}
	srcs, dst := f.args[:len(f.args)-1], f.args[len(f.args)-1]
	dstAbs := p.abs(dst)
	de, derr := p.s.stat(dstAbs)
	dstDir := derr == nil && de.Kind == rootfs.KindDir
	code := 0
	for _, src := range srcs {
		target := dstAbs
		if dstDir {
			target = joinPath(dstAbs, path.Base(p.abs(src)))
		}
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			if err := p.s.checkRemove(fsys, p.abs(src)); err != nil {
				return err
			}
			if err := p.s.checkCreate(fsys, target); err != nil {
				return err
			}
			return fsys.Rename(p.abs(src), target)
		})
		if err != nil {
			p.errf("%s", p.pick("can't rename '"+src+"': "+errno(err), "cannot stat '"+src+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

func cmdLn(p *proc) int {
	f := parseFlags(p.args, "")
	if len(f.args) < 1 {
		p.errf("missing file operand")
		return 1
	}
	target := f.args[0]
	link := path.Base(target)
	if len(f.args) > 1 {
		link = f.args[1]
	}
	la := p.abs(link)
	if e, err := p.s.stat(la); err == nil && e.Kind == rootfs.KindDir && !f.has('n') && !f.has('T') {
		la = joinPath(la, path.Base(target))
	}
	err := p.s.withFS(func(fsys *rootfs.FS) error {
		if _, _, err := fsys.Lstat(la); err == nil {
			if !f.has('f', "force") {
				return rootfs.ErrExist
			}
			if err := fsys.Remove(la); err != nil {
				return err
			}
		}
		if err := p.s.checkCreate(fsys, la); err != nil {
			return err
		}
		k, err := fsys.ResolveParent(la)
		if err != nil {
			return err
		}
		if f.has('s', "symbolic") {
			return fsys.Put(k, &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, UID: p.s.uid, GID: p.s.gid, ModTime: p.s.now(), Linkname: target})
		}
		te, tk, err := fsys.Stat(p.abs(target))
		if err != nil {
			return err
		}
		if te.Kind == rootfs.KindDir {
			return errPerm
		}
		if orig, ok := fsys.Lookup(tk); ok && orig.Kind == rootfs.KindHardlink {
			tk = orig.Linkname
		}
		return fsys.Put(k, &rootfs.Entry{Kind: rootfs.KindHardlink, Linkname: tk, Mode: te.Mode, UID: te.UID, GID: te.GID, ModTime: te.ModTime})
	})
	if err != nil {
		p.errf("%s", p.pick(link+": "+errno(err), "failed to create link '"+link+"': "+errno(err)))
		return 1
	}
	return 0
}

// applyMode parses "755", "u+x", "a-w,g+r", "+x" against the current mode.
func applyMode(spec string, cur fs.FileMode, isDir bool) (fs.FileMode, bool) {
	if n, err := strconv.ParseUint(spec, 8, 32); err == nil {
		m := fs.FileMode(n & 0o777)
		if n&0o4000 != 0 {
			m |= fs.ModeSetuid
		}
		if n&0o2000 != 0 {
			m |= fs.ModeSetgid
		}
		if n&0o1000 != 0 {
			m |= fs.ModeSticky
		}
		return m, true
	}
	m := cur
	for _, clause := range strings.Split(spec, ",") {
		i := 0
		who := fs.FileMode(0)
		for i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0 {
			switch clause[i] {
			case 'u':
				who |= 0o700
			case 'g':
				who |= 0o070
			case 'o':
				who |= 0o007
			case 'a':
				who |= 0o777
			}
			i++
		}
		if who == 0 {
			who = 0o777
		}
		if i >= len(clause) || strings.IndexByte("+-=", clause[i]) < 0 {
			return cur, false
		}
		op := clause[i]
		i++
		bits := fs.FileMode(0)
		var special fs.FileMode
		for ; i < len(clause); i++ {
			switch clause[i] {
			case 'r':
				bits |= 0o444
			case 'w':
				bits |= 0o222
			case 'x':
				bits |= 0o111
			case 'X':
				if isDir || cur&0o111 != 0 {
					bits |= 0o111
				}
			case 's':
				if who&0o700 != 0 {
					special |= fs.ModeSetuid
				}
				if who&0o070 != 0 {
					special |= fs.ModeSetgid
				}
			case 't':
				special |= fs.ModeSticky
			default:
				return cur, false
			}
		}
		bits &= who
		switch op {
		case '+':
			m |= bits | special
		case '-':
			m &^= bits | special
		case '=':
			m = m&^who | bits
		}
	}
	return m, true
}

func (p *proc) walkApply(fsys *rootfs.FS, ap string, rec bool, fn func(k string, e *rootfs.Entry) error) error {
	e, k, err := fsys.Stat(ap)
	if err != nil {
		return err
	}
	if err := fn(k, e); err != nil {
		return err
	}
	if !rec || e.Kind != rootfs.KindDir {
		return nil
	}
	names, _ := fsys.ReadDir(k)
	for _, n := range names {
		sub := joinPath("/"+k, n)
		se, _, err := fsys.Lstat(sub)
		if err != nil {
			continue
		}
		if se.Kind == rootfs.KindSymlink {
			continue
		}
		if err := p.walkApply(fsys, sub, rec, fn); err != nil {
			return err
		}
	}
	return nil
}

func cmdChmod(p *proc) int {
	var rec bool
	var rest []string
	for _, a := range p.args {
		if a == "-R" || a == "--recursive" {
			rec = true
		} else if a == "-v" || a == "-f" || a == "-c" {
		} else {
			rest = append(rest, a)
		}
	}
	if len(rest) < 2 {
		p.errf("missing operand")
		return 1
	}
	spec := rest[0]
	code := 0
	for _, name := range rest[1:] {
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			return p.walkApply(fsys, p.abs(name), rec, func(k string, e *rootfs.Entry) error {
				if p.s.uid != 0 && e.UID != p.s.uid {
					return errNotPermitted
				}
				m, ok := applyMode(spec, e.Mode, e.Kind == rootfs.KindDir)
				if !ok {
					return errBadMode
				}
				c := e.Clone()
				c.Mode = m
				return fsys.Put(k, c)
			})
		})
		switch {
		case err == errBadMode:
			p.errf("invalid mode '%s'", spec)
			return 1
		case err == errNotPermitted:
			p.errf("changing permissions of '%s': Operation not permitted", name)
			code = 1
		case err != nil:
			p.errf("%s", p.pick(name+": "+errno(err), "cannot access '"+name+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

var (
	errBadMode      = fmt.Errorf("bad mode")
	errNotPermitted = fmt.Errorf("operation not permitted")
)

func cmdChown(p *proc) int {
	var rec bool
	var rest []string
	for _, a := range p.args {
		switch a {
		case "-R", "--recursive":
			rec = true
		case "-h", "-v", "-f", "-c", "-L", "-H", "-P":
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) < 2 {
		p.errf("missing operand")
		return 1
	}
	spec := rest[0]
	uid, gid := -1, -1
	var user, group string
	if p.name == "chgrp" {
		group = spec
	} else {
		var ok bool
		user, group, ok = strings.Cut(spec, ":")
		if !ok {
			user, group, _ = strings.Cut(spec, ".")
		}
	}
	if user != "" {
		if n, err := strconv.Atoi(user); err == nil {
			uid = n
		} else if u, ok := p.s.userByName(user); ok {
			uid = u.uid
			if group == "" && strings.Contains(spec, ":") {
				gid = u.gid
			}
		} else {
			p.errf("%s", p.pick("unknown user "+user, "invalid user: '"+spec+"'"))
			return 1
		}
	}
	if group != "" {
		if n, err := strconv.Atoi(group); err == nil {
			gid = n
		} else if g, ok := p.s.groupByName(group); ok {
			gid = g.gid
		} else {
			p.errf("%s", p.pick("unknown group "+group, "invalid group: '"+spec+"'"))
			return 1
		}
	}
	code := 0
	for _, name := range rest[1:] {
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			return p.walkApply(fsys, p.abs(name), rec, func(k string, e *rootfs.Entry) error {
				if p.s.uid != 0 {
					return errNotPermitted
				}
				c := e.Clone()
				if uid >= 0 {
					c.UID = uid
				}
				if gid >= 0 {
					c.GID = gid
				}
				return fsys.Put(k, c)
			})
		})
		switch {
		case err == errNotPermitted:
			p.errf("changing ownership of '%s': Operation not permitted", name)
			code = 1
		case err != nil:
			p.errf("%s", p.pick(name+": "+errno(err), "cannot access '"+name+"': "+errno(err)))
			code = 1
		}
	}
	return code
}

// cmdTee copies standard input to stdout and its files as it streams. The files'
// content is held in memory until the input ends (as a redirect's is until it closes):
// each chunk is counted against the write budget for every file, and once against the
// memory budget, before it is kept, so tee has the bounds of `> file`, no other.
func cmdTee(p *proc) int {
	f := parseFlags(p.args, "")
	appendMode := f.has('a', "append")
	var buf bytes.Buffer
	chunk := make([]byte, streamChunk)
	in := p.stdin()
	for {
		n, err := in.Read(chunk)
		if n > 0 {
			p.out.Write(chunk[:n])
			if len(f.args) > 0 {
				if p.s.account(int64(n)*int64(len(f.args))) != nil {
					return 1
				}
				buf.Write(chunk[:n])
			}
		}
		if err != nil {
			break
		}
	}
	if p.stopped() {
		return 1
	}
	code := 0
	for _, name := range f.args {
		ap := p.abs(name)
		data := bytes.Clone(buf.Bytes())
		if appendMode {
			old, err := p.readFile(name)
			if errors.Is(err, errTooLarge) {
				return 1
			}
			data = append(old, data...)
		}
		if err := p.s.storeFile(ap, rootfs.Bytes(data), 0o644); err != nil {
			p.errf("%s", p.pick(name+": "+errno(err), name+": "+errno(err)))
			code = 1
		}
	}
	return code
}

func cmdEnv(p *proc) int {
	args := p.args
	var sets []string
	clear := false
	for len(args) > 0 {
		a := args[0]
		if a == "-i" || a == "-" {
			clear = true
		} else if a == "-u" && len(args) > 1 {
			args = args[1:]
		} else if strings.Contains(a, "=") && !strings.HasPrefix(a, "-") {
			sets = append(sets, a)
		} else {
			break
		}
		args = args[1:]
	}
	list := p.environ()
	if clear {
		list = nil
	}
	list = append(list, sets...)
	if len(args) == 0 {
		env := expand.ListEnviron(list...)
		var out []string
		env.Each(func(name string, vr expand.Variable) bool {
			out = append(out, name+"="+vr.String())
			return true
		})
		for _, kv := range out {
			p.outf("%s\n", kv)
		}
		return 0
	}
	c := *p
	c.env = expand.ListEnviron(list...)
	c.name, c.args = args[0], args[1:]
	return c.dispatchChild()
}

// dispatchChild runs a child command (from env, xargs, find -exec): builtins the
// shell would have run are available as their coreutils stand-ins.
func (p *proc) dispatchChild() int {
	if _, ok := p.s.lookPath(p.getenv("PATH"), p.dir, p.name); !ok {
		if impl := lookupImpl(p.name); impl != nil && (p.name == "echo" || p.name == "printf" || p.name == "true" || p.name == "false") {
			return impl(p)
		}
	}
	return p.dispatch()
}

func cmdPrintenv(p *proc) int {
	if len(p.args) == 0 {
		for _, kv := range p.environ() {
			p.outf("%s\n", kv)
		}
		return 0
	}
	code := 0
	for _, k := range p.args {
		v := p.env.Get(k)
		if !v.IsSet() {
			code = 1
			continue
		}
		p.outf("%s\n", v.String())
	}
	return code
}

func cmdSleep(p *proc) int {
	var total time.Duration
	for _, a := range p.args {
		d, ok := parseDuration(a)
		if !ok {
			p.errf("invalid time interval '%s'", a)
			return 1
		}
		total += d
	}
	if len(p.args) == 0 {
		p.errf("missing operand")
		return 1
	}
	return p.vsleep(total)
}

func cmdDd(p *proc) int {
	var in, out string
	bs, count := int64(512), int64(-1)
	for _, a := range p.args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "if":
			in = v
		case "of":
			out = v
		case "bs":
			bs = parseSize(v)
		case "count":
			count, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	var r io.Reader = p.stdin()
	if in != "" {
		var err error
		r, err = p.s.openRead(p.abs(in))
		if err != nil {
			p.errf("failed to open '%s': %s", in, errno(err))
			return 1
		}
	}
	device := in != "" && isDevice(p.abs(in))
	if device && count < 0 && out != "" {
		// Real dd copies an endless device into a file until the disk is full (to a
		// pipe it streams until its reader goes away).
		p.limitf("the sandbox's %s never ends and dd was given no count=: the copy would fill the disk", in)
		return 1
	}
	var n int64
	switch {
	case out == "":
		// To stdout, streamed: any length, bounded by the step's output limit.
		if count >= 0 {
			n, _ = io.CopyN(p.out, r, bs*count)
		} else {
			n, _ = io.Copy(p.out, r)
		}
	case in == "/dev/zero":
		// A file of zeros: accounted before it is made.
		n = bs * count
		if err := p.s.account(n); err != nil {
			return 1
		}
		p.s.written.Add(-n)
		if n > 1<<30 {
			p.limitf("the sandbox makes a file of zeros of at most 1 GiB; asked for %d bytes", n)
			return 1
		}
		if err := p.s.writeFile(p.abs(out), rootfs.Bytes(make([]byte, n)), 0o644); err != nil {
			p.errf("failed to open '%s': %s", out, errno(err))
			return 1
		}
	default:
		// To a file, held in memory until stored, as a redirect's buffer is: counted
		// against the write budget as it is read, no other bound.
		var buf bytes.Buffer
		w := &budgetWriter{s: p.s, buf: &buf}
		var err error
		if count >= 0 {
			_, err = io.CopyN(w, r, bs*count)
		} else {
			_, err = io.Copy(w, r)
		}
		if err != nil && err != io.EOF || p.stopped() {
			return 1
		}
		n = int64(buf.Len())
		if err := p.s.storeFile(p.abs(out), rootfs.Bytes(buf.Bytes()), 0o644); err != nil {
			p.errf("failed to open '%s': %s", out, errno(err))
			return 1
		}
	}
	blocks := n / max(bs, 1)
	fmt.Fprintf(p.errw, "%d+0 records in\n%d+0 records out\n", blocks, blocks)
	if !p.s.busybox {
		// GNU dd's third line; busybox as built for Debian and Alpine prints only two
		// (recorded from Docker, scenario s25).
		fmt.Fprintf(p.errw, "%d bytes (%s) copied, 0.01 s, 1.0 GB/s\n", n, humanBytes(n))
	}
	return 0
}

// budgetWriter keeps what a tool writes to a file in memory until it stores it,
// counting it against the write budget first, as a redirect's buffer is.
type budgetWriter struct {
	s   *session
	buf *bytes.Buffer
}

func (w *budgetWriter) Write(b []byte) (int, error) {
	if err := w.s.account(int64(len(b))); err != nil {
		return 0, err
	}
	return w.buf.Write(b)
}

func parseSize(v string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(v, "K"), strings.HasSuffix(v, "k"):
		mult, v = 1<<10, v[:len(v)-1]
	case strings.HasSuffix(v, "M"):
		mult, v = 1<<20, v[:len(v)-1]
	case strings.HasSuffix(v, "G"):
		mult, v = 1<<30, v[:len(v)-1]
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n * mult
}

func cmdMktemp(p *proc) int {
	f := parseFlags(p.args, "p")
	dir := "/tmp"
	if v := p.getenv("TMPDIR"); v != "" {
		dir = v
	}
	if v, ok := f.val['p']; ok {
		dir = v
	}
	tmpl := "tmp.XXXXXXXXXX"
	if len(f.args) > 0 {
		tmpl = f.args[0]
		if strings.Contains(tmpl, "/") {
			dir = ""
		}
	}
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	seed := uint64(p.s.written.Load()) + uint64(p.s.outN.Load()) + 88172645463325252
	for try := 0; try < 100; try++ {
		b := []byte(tmpl)
		for i := len(b) - 1; i >= 0 && b[i] == 'X'; i-- {
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
			b[i] = letters[seed%uint64(len(letters))]
		}
		name := string(b)
		if dir != "" {
			name = dir + "/" + name
		}
		ap := p.abs(name)
		if p.s.exists(ap) {
			continue
		}
		var err error
		if f.has('d') {
			err = p.s.withFS(func(fsys *rootfs.FS) error {
				if err := p.s.checkCreate(fsys, ap); err != nil {
					return err
				}
				return fsys.MkdirAll(ap, 0o700, p.s.uid, p.s.gid, p.s.now())
			})
		} else {
			err = p.s.writeFile(ap, nil, 0o600)
		}
		if err != nil {
			p.errf("failed to create file via template '%s': %s", name, errno(err))
			return 1
		}
		p.outf("%s\n", name)
		return 0
	}
	return 1
}

func cmdBasename(p *proc) int {
	if len(p.args) == 0 {
		p.errf("missing operand")
		return 1
	}
	b := path.Base(p.args[0])
	if len(p.args) > 1 && b != p.args[1] {
		b = strings.TrimSuffix(b, p.args[1])
	}
	p.outf("%s\n", b)
	return 0
}

func cmdDirname(p *proc) int {
	if len(p.args) == 0 {
		p.errf("missing operand")
		return 1
	}
	for _, a := range p.args {
		p.outf("%s\n", path.Dir(a))
	}
	return 0
}

func cmdPwd(p *proc) int { p.outf("%s\n", p.dir); return 0 }

func cmdUname(p *proc) int {
	f := parseFlags(p.args, "")
	const kernel, release, ver, machine = "Linux", "5.15.0-layerlab", "#1 SMP PREEMPT_DYNAMIC", "x86_64"
	if f.has('a') {
		p.outf("%s %s %s %s %s GNU/Linux\n", kernel, p.s.hostname, release, ver, machine)
		return 0
	}
	var parts []string
	if f.has('s') || len(f.set) == 0 {
		parts = append(parts, kernel)
	}
	if f.has('n') {
		parts = append(parts, p.s.hostname)
	}
	if f.has('r') {
		parts = append(parts, release)
	}
	if f.has('v') {
		parts = append(parts, ver)
	}
	if f.has('m') || f.has('p') || f.has('i') {
		parts = append(parts, machine)
	}
	if f.has('o') {
		parts = append(parts, "GNU/Linux")
	}
	p.outf("%s\n", strings.Join(parts, " "))
	return 0
}

func cmdHostname(p *proc) int { return cmdHostnameOpts(p) }

func cmdDate(p *proc) int {
	t := p.s.now().UTC()
	for _, a := range p.args {
		if strings.HasPrefix(a, "+") {
			p.outf("%s\n", strftime(a[1:], t))
			return 0
		}
	}
	p.outf("%s\n", t.Format("Mon Jan _2 15:04:05 UTC 2006"))
	return 0
}

func strftime(f string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b.WriteString(t.Format("2006"))
		case 'm':
			b.WriteString(t.Format("01"))
		case 'd':
			b.WriteString(t.Format("02"))
		case 'H':
			b.WriteString(t.Format("15"))
		case 'M':
			b.WriteString(t.Format("04"))
		case 'S':
			b.WriteString(t.Format("05"))
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'Z':
			b.WriteString("UTC")
		case 'z':
			b.WriteString("+0000")
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'b':
			b.WriteString(t.Format("Jan"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

func cmdWhich(p *proc) int {
	code := 0
	for _, a := range parseFlags(p.args, "").args {
		if path, ok := p.s.lookPath(p.getenv("PATH"), p.dir, a); ok {
			p.outf("%s\n", path)
		} else {
			code = 1
		}
	}
	return code
}

func cmdXargs(p *proc) int {
	f := parseFlags(p.args, "nIdL")
	// the command starts at the first non-option argument
	var cmd []string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		if a == "-n" || a == "-I" || a == "-d" || a == "-L" {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") && cmd == nil {
			continue
		}
		cmd = p.args[i:]
		break
	}
	if len(cmd) == 0 {
		cmd = []string{"echo"}
	}
	in, _ := p.readStdin()
	var items []string
	if f.has('0') {
		items = strings.Split(strings.TrimRight(string(in), "\x00"), "\x00")
	} else if repl, ok := f.val['I']; ok {
		items = strings.Split(strings.TrimRight(string(in), "\n"), "\n")
		code := 0
		for _, it := range items {
			if it == "" {
				continue
			}
			var args []string
			for _, a := range cmd {
				args = append(args, strings.ReplaceAll(a, repl, it))
			}
			c := *p
			c.name, c.args, c.in = args[0], args[1:], nil
			if r := c.dispatchChild(); r != 0 {
				code = 123
			}
		}
		return code
	} else {
		items = strings.Fields(string(in))
	}
	n := len(items)
	if v, ok := f.val['n']; ok {
		n, _ = strconv.Atoi(v)
	}
	if n <= 0 {
		n = max(len(items), 1)
	}
	if len(items) == 0 && f.has('r') {
		return 0
	}
	code := 0
	for i := 0; i == 0 || i < len(items); i += n {
		end := min(i+n, len(items))
		c := *p
		c.name, c.args, c.in = cmd[0], append(append([]string(nil), cmd[1:]...), items[i:end]...), nil
		if r := c.dispatchChild(); r != 0 {
			code = 123
		}
		if p.ctx.Err() != nil {
			return 1
		}
	}
	return code
}

func cmdSeq(p *proc) int {
	var nums []float64
	for _, a := range p.args {
		f, err := strconv.ParseFloat(a, 64)
		if err != nil {
			p.errf("invalid floating point argument: '%s'", a)
			return 1
		}
		nums = append(nums, f)
	}
	first, inc, last := 1.0, 1.0, 0.0
	switch len(nums) {
	case 1:
		last = nums[0]
	case 2:
		first, last = nums[0], nums[1]
	case 3:
		first, inc, last = nums[0], nums[1], nums[2]
	default:
		p.errf("missing operand")
		return 1
	}
	if inc == 0 {
		return 1
	}
	// seq prints with the most decimals of FIRST and INCREMENT (seq 0 0.1 1: 0.0, 0.1,
	// ... 1.0) and computes each number as FIRST + i*INCREMENT, not by adding, so that
	// 0.1+0.2 is not printed as 0.30000000000000004.
	prec := 0
	for i, a := range p.args {
		if i == len(p.args)-1 && len(p.args) > 1 {
			break // LAST's decimals do not count
		}
		if _, frac, ok := strings.Cut(a, "."); ok && !strings.ContainsAny(a, "eE") {
			prec = max(prec, len(frac))
		}
	}
	// Written in chunks, not a line at a time: `seq 1 100000000 | tail -1` is a pipe of
	// 900 MB, which line by line would take a system call per line.
	buf := make([]byte, 0, streamChunk+64)
	eps := math.Abs(inc) * 1e-9 // 0.1*3 may land a hair past LAST = 0.3
	for i := 0.0; ; i++ {
		x := first + i*inc
		if (inc > 0 && x > last+eps) || (inc < 0 && x < last-eps) {
			break
		}
		buf = strconv.AppendFloat(buf, x, 'f', prec, 64)
		buf = append(buf, '\n')
		if len(buf) >= streamChunk {
			if _, err := p.out.Write(buf); err != nil || p.ctx.Err() != nil {
				return 1
			}
			buf = buf[:0]
		}
	}
	if _, err := p.out.Write(buf); err != nil {
		return 1
	}
	return 0
}

func cmdStat(p *proc) int {
	f := parseFlags(p.args, "c")
	code := 0
	for _, name := range f.args {
		ap := p.abs(name)
		e, err := p.s.lstat(ap)
		if err != nil || pseudo(ap) {
			if err == nil {
				err = rootfs.ErrNotExist
			}
			p.errf("%s", p.pick("can't stat '"+name+"': "+errno(err), "cannot stat '"+name+"': "+errno(err)))
			code = 1
			continue
		}
		if format, ok := f.val['c']; ok {
			r := strings.NewReplacer("%n", name, "%s", strconv.FormatInt(e.Size(), 10),
				"%a", strconv.FormatUint(uint64(e.Mode.Perm()), 8), "%A", modeString(e),
				"%u", strconv.Itoa(e.UID), "%g", strconv.Itoa(e.GID), "%U", p.userName(e.UID),
				"%G", p.groupName(e.GID), "%F", kindName(e), "%Y", strconv.FormatInt(e.ModTime.Unix(), 10))
			p.outf("%s\n", r.Replace(format))
			continue
		}
		p.outf("  File: %s\n  Size: %-10d\tBlocks: %-10d IO Block: 4096   %s\n", name, e.Size(), (e.Size()+511)/512, kindName(e))
		p.outf("Access: (%04o/%s)  Uid: (%5d/%8s)   Gid: (%5d/%8s)\n", e.Mode.Perm(), modeString(e), e.UID, p.userName(e.UID), e.GID, p.groupName(e.GID))
		p.outf("Modify: %s\n", e.ModTime.UTC().Format("2006-01-02 15:04:05.000000000 -0700"))
	}
	return code
}

func kindName(e *rootfs.Entry) string {
	switch e.Kind {
	case rootfs.KindDir:
		return "directory"
	case rootfs.KindSymlink:
		return "symbolic link"
	}
	if e.Size() == 0 {
		return "regular empty file"
	}
	return "regular file"
}

func cmdDu(p *proc) int {
	f := parseFlags(p.args, "d")
	targets := f.args
	if len(targets) == 0 {
		targets = []string{"."}
	}
	for _, t := range targets {
		ap := rootfs.Clean(p.abs(t))
		var total int64
		p.s.withFS(func(fsys *rootfs.FS) error {
			return fsys.Walk(func(k string, e *rootfs.Entry) error {
				if ap == "" || k == ap || strings.HasPrefix(k, ap+"/") {
					total += e.Size()
				}
				return nil
			})
		})
		if f.has('h') {
			p.outf("%s\t%s\n", humanSize(total), t)
		} else {
			p.outf("%d\t%s\n", (total+1023)/1024, t)
		}
	}
	return 0
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	}
	return strconv.FormatInt(n, 10)
}

func cmdReadlink(p *proc) int {
	f := parseFlags(p.args, "")
	if f.has('f') || f.has('e') || f.has('m') {
		return cmdRealpath(p)
	}
	code := 0
	for _, a := range f.args {
		e, err := p.s.lstat(p.abs(a))
		if err != nil || e.Kind != rootfs.KindSymlink {
			code = 1
			continue
		}
		p.outf("%s\n", e.Linkname)
	}
	return code
}

func cmdRealpath(p *proc) int {
	code := 0
	for _, a := range parseFlags(p.args, "").args {
		var k string
		err := p.s.withFS(func(fsys *rootfs.FS) error {
			var err error
			k, err = fsys.Resolve(p.abs(a))
			return err
		})
		if err != nil {
			code = 1
			continue
		}
		p.outf("/%s\n", k)
	}
	return code
}

// cmdYes repeats a line until its reader goes away or a limit stops it. It writes in
// 64 KiB chunks and charges each chunk to the virtual clock (at about 4 GB/s), so
// `yes > /dev/null` ends at the time limit promptly instead of spinning.
func cmdYes(p *proc) int {
	s := "y"
	if len(p.args) > 0 {
		s = strings.Join(p.args, " ")
	}
	line := s + "\n"
	chunk := []byte(strings.Repeat(line, max(1, (64<<10)/len(line))))
	for p.ctx.Err() == nil && p.s.limitErr() == nil {
		if _, err := p.out.Write(chunk); err != nil {
			return 1
		}
		if p.vsleep(time.Duration(len(chunk)/4)) != 0 {
			return 1
		}
	}
	return 1
}

func (p *proc) sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
