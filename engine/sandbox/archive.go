package sandbox

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"layerlab/engine/rootfs"
)

// maxUnpacked bounds what one decompression may produce in memory.
const maxUnpacked = maxBuffer * 8

var errTooBig = errors.New("archive too large for the sandbox")

// maxTarEntries bounds the members tar extracts or lists from one archive.
const maxTarEntries = 200000

// readAllCapped reads r up to maxUnpacked bytes; past that the step fails (limitf),
// naming the bound.
func (p *proc) readAllCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxUnpacked+1))
	if err != nil {
		return b, err
	}
	if len(b) > maxUnpacked {
		p.limitf("the sandbox holds at most %s of an archive or compressed stream in memory, and this one is larger", humanBytes(maxUnpacked))
		return nil, errTooBig
	}
	return b, nil
}

// capWriter collects what a tool writes to a file, which the sandbox holds in memory
// until it stores it: past max it fails the step (limitf) naming the bound.
type capWriter struct {
	p    *proc
	buf  *bytes.Buffer
	max  int
	name string
}

func (c *capWriter) Write(b []byte) (int, error) {
	if c.buf.Len()+len(b) > c.max {
		c.p.limitf("the sandbox holds at most %s of a file it writes in memory, and what %s makes of %s is larger", humanBytes(int64(c.max)), c.p.name, c.name)
		return 0, errTooBig
	}
	// counted against the write budget as it grows, as a redirect's buffer is: the file
	// is then stored without counting it again (storeFile)
	if err := c.p.s.account(int64(len(b))); err != nil {
		return 0, err
	}
	return c.buf.Write(b)
}

// tarOpts are the parsed options of one tar command.
type tarOpts struct {
	mode       byte // c, x, t
	file       string
	dir        string
	gz, bz, xz bool
	verbose    bool
	toStdout   bool
	keepOld    bool
	noOwner    bool
	noMtime    bool
	strip      int
	excludes   []string
	names      []string
}

func parseTar(args []string) (tarOpts, error) {
	o := tarOpts{}
	var pending []byte // bundled flags waiting for their value
	take := func(c byte, v string) error {
		switch c {
		case 'f':
			o.file = v
		case 'C':
			o.dir = v
		}
		return nil
	}
	setFlag := func(c byte) error {
		switch c {
		case 'c', 'x', 't':
			if o.mode != 0 && o.mode != c {
				//lint:ignore ST1005 GNU tar's own message, word for word
				return errors.New("You may not specify more than one '-Acdtrux', '--delete' or  '--test-label' option")
			}
			o.mode = c
		case 'f', 'C':
			pending = append(pending, c)
		case 'z':
			o.gz = true
		case 'j':
			o.bz = true
		case 'J':
			o.xz = true
		case 'v':
			o.verbose = true
		case 'O':
			o.toStdout = true
		case 'k':
			o.keepOld = true
		case 'o':
			o.noOwner = true
		case 'm':
			o.noMtime = true
		case 'p', 'h', 'a', 'P', 'S':
		default:
			return fmt.Errorf("invalid option -- '%c'", c)
		}
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case i == 0 && a != "" && a[0] != '-':
			for j := 0; j < len(a); j++ {
				if err := setFlag(a[j]); err != nil {
					return o, err
				}
			}
		case strings.HasPrefix(a, "--"):
			k, v, hasV := strings.Cut(a[2:], "=")
			needV := func() (string, error) {
				if hasV {
					return v, nil
				}
				if i+1 < len(args) {
					i++
					return args[i], nil
				}
				return "", fmt.Errorf("option '--%s' requires an argument", k)
			}
			var err error
			switch k {
			case "create":
				err = setFlag('c')
			case "extract", "get":
				err = setFlag('x')
			case "list":
				err = setFlag('t')
			case "file":
				o.file, err = needV()
			case "directory":
				o.dir, err = needV()
			case "gzip", "gunzip", "ungzip":
				o.gz = true
			case "bzip2":
				o.bz = true
			case "xz":
				o.xz = true
			case "verbose":
				o.verbose = true
			case "to-stdout":
				o.toStdout = true
			case "no-same-owner":
				o.noOwner = true
			case "touch":
				o.noMtime = true
			case "keep-old-files", "skip-old-files":
				o.keepOld = true
			case "strip-components":
				var s string
				if s, err = needV(); err == nil {
					if o.strip, err = strconv.Atoi(s); err != nil || o.strip < 0 {
						err = fmt.Errorf("invalid number of elements: '%s'", s)
					}
				}
			case "exclude":
				var s string
				if s, err = needV(); err == nil {
					o.excludes = append(o.excludes, s)
				}
			case "owner", "group", "mode", "mtime", "sort", "format":
				_, err = needV()
			case "numeric-owner", "same-owner", "preserve-permissions", "same-permissions", "no-recursion",
				"overwrite", "warning", "no-xattrs", "no-acls", "no-selinux", "xattrs", "totals", "recursive-unlink",
				"auto-compress", "dereference":
			default:
				err = fmt.Errorf("unrecognized option '%s'", a)
			}
			if err != nil {
				return o, err
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j]
				if c == 'f' || c == 'C' {
					if j+1 < len(a) {
						take(c, a[j+1:])
					} else if i+1 < len(args) {
						i++
						take(c, args[i])
					} else {
						return o, fmt.Errorf("option requires an argument -- '%c'", c)
					}
					break
				}
				if err := setFlag(c); err != nil {
					return o, err
				}
			}
		default:
			if len(pending) > 0 {
				take(pending[0], a)
				pending = pending[1:]
				continue
			}
			o.names = append(o.names, a)
		}
	}
	if len(pending) > 0 {
		return o, fmt.Errorf("option requires an argument -- '%c'", pending[0])
	}
	if o.mode == 0 {
		//lint:ignore ST1005 GNU tar's own message, word for word
		return o, errors.New("You must specify one of the '-Acdtrux', '--delete' or '--test-label' options")
	}
	return o, nil
}

// cmdTar creates (-c), extracts (-x) and lists (-t) tar archives, optionally gzipped
// (-z; extraction also detects gzip by its magic bytes, and reads bzip2 with -j).
func cmdTar(p *proc) int {
	code := tarMain(p)
	if code == 2 && p.s.busybox {
		return 1 // busybox applets fail with 1
	}
	return code
}

func tarMain(p *proc) int {
	o, err := parseTar(p.args)
	if err != nil {
		p.errf("%s", err.Error())
		if !p.s.busybox {
			fmt.Fprintf(p.errw, "Try 'tar --help' or 'tar --usage' for more information.\n")
		}
		return 2
	}
	if o.xz {
		p.errf("xz compression is not supported by the layerlab sandbox (use -z)")
		return 2
	}
	if o.file == "" {
		o.file = "-"
	}
	base := p.dir
	if o.dir != "" {
		base = p.abs(o.dir)
		if e, err := p.s.stat(base); err != nil || e.Kind != rootfs.KindDir {
			if err == nil {
				err = rootfs.ErrNotDir
			}
			p.errf("%s", p.pick("can't change directory to '"+o.dir+"': "+errno(err), "Cannot open: "+errno(err)))
			if !p.s.busybox {
				p.errf("Error is not recoverable: exiting now")
			}
			return 2
		}
	}
	if o.mode == 'c' {
		return p.tarCreate(o, base)
	}
	// The archive streams through the decompressor into the tar reader: its length has
	// no bound but what extracting writes (the write budget, and maxUnpacked per member).
	var in io.Reader
	if o.file == "-" {
		in = p.stdin()
	} else {
		in, err = p.openInput(o.file)
	}
	if err != nil {
		p.errf("%s", p.pick("can't open '"+o.file+"': "+errno(err), o.file+": Cannot open: "+errno(err)))
		if !p.s.busybox {
			p.errf("Error is not recoverable: exiting now")
		}
		return 2
	}
	br := bufio.NewReaderSize(in, streamChunk)
	magic, _ := br.Peek(3)
	var r io.Reader = br
	switch {
	case o.gz || bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			if p.s.busybox {
				p.errf("invalid magic")
			} else {
				fmt.Fprintf(p.errw, "\ngzip: stdin: not in gzip format\ntar: Child returned status 1\ntar: Error is not recoverable: exiting now\n")
			}
			return 2
		}
		r = zr
	case o.bz || bytes.HasPrefix(magic, []byte("BZh")):
		r = bzip2.NewReader(br)
	}
	return p.tarRead(o, base, r)
}

// tarEntry is one member to write.
type tarEntry struct {
	name string // archive name
	abs  string // path in the image
	e    *rootfs.Entry
}

func (p *proc) tarCreate(o tarOpts, base string) int {
	if len(o.names) == 0 {
		p.errf("%s", p.pick("empty archive", "Cowardly refusing to create an empty archive"))
		if !p.s.busybox {
			fmt.Fprintf(p.errw, "Try 'tar --help' or 'tar --usage' for more information.\n")
		}
		return 2
	}
	var ents []tarEntry
	code := 0
	warned := false
	excluded := func(name string) bool {
		for _, pat := range o.excludes {
			if ok, _ := path.Match(pat, path.Base(name)); ok {
				return true
			}
			if ok, _ := path.Match(pat, name); ok {
				return true
			}
		}
		return false
	}
	var walk func(name, abs string)
	walk = func(name, abs string) {
		if excluded(name) {
			return
		}
		e, err := p.s.lstat(abs)
		if err != nil {
			return
		}
		ents = append(ents, tarEntry{name: name, abs: abs, e: e})
		if e.Kind != rootfs.KindDir {
			return
		}
		var kids []string
		p.s.withFS(func(f *rootfs.FS) error {
			kids, _ = f.ReadDir(abs)
			return nil
		})
		for _, k := range kids {
			walk(strings.TrimSuffix(name, "/")+"/"+k, joinPath(abs, k))
		}
	}
	for _, n := range o.names {
		abs := joinPath(base, n)
		if pseudo(abs) {
			p.errf("%s: Cannot stat: Permission denied", n)
			code = 2
			continue
		}
		if _, err := p.s.lstat(abs); err != nil {
			p.errf("%s", p.pick("can't stat '"+n+"': "+errno(err), n+": Cannot stat: "+errno(err)))
			code = 2
			continue
		}
		name := n
		if strings.HasPrefix(name, "/") {
			name = strings.TrimLeft(name, "/")
			if !warned {
				p.errf("%s", p.pick("removing leading '/' from member names", "Removing leading `/' from member names"))
				warned = true
			}
			if name == "" {
				name = "."
			}
		}
		walk(path.Clean(name), abs)
	}
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if o.gz {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	if o.bz {
		p.errf("bzip2 compression is not supported by the layerlab sandbox (use -z)")
		return 2
	}
	tw := tar.NewWriter(w)
	verbose := p.out
	if o.file == "-" {
		verbose = p.errw
	}
	total := int64(0)
	for _, te := range ents {
		e := te.e
		h := &tar.Header{Name: te.name, Uid: e.UID, Gid: e.GID, Mode: rootfs.ModeBits(e.Mode),
			ModTime: e.ModTime.UTC().Truncate(time.Second), Uname: p.userName(e.UID), Gname: p.groupName(e.GID), Format: tar.FormatGNU}
		switch e.Kind {
		case rootfs.KindDir:
			h.Typeflag = tar.TypeDir
			h.Name = strings.TrimSuffix(h.Name, "/") + "/"
		case rootfs.KindSymlink:
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Linkname
		default:
			h.Typeflag = tar.TypeReg
			if fe, err := p.s.stat(te.abs); err == nil {
				e = fe
			}
			h.Size = e.Size()
		}
		total += h.Size
		if total > maxUnpacked {
			p.limitf("the sandbox makes archives of at most %s in memory, and this one is larger", humanBytes(maxUnpacked))
			return 2
		}
		if err := tw.WriteHeader(h); err != nil {
			p.errf("%s: %v", te.name, err)
			return 2
		}
		if h.Size > 0 && e.Data != nil {
			io.Copy(tw, e.Data.Open())
		}
		if o.verbose {
			fmt.Fprintf(verbose, "%s\n", h.Name)
		}
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	if o.file == "-" {
		p.out.Write(buf.Bytes())
		return code
	}
	if err := p.s.writeFile(p.abs(o.file), rootfs.Bytes(buf.Bytes()), 0o644); err != nil {
		p.errf("%s", p.pick("can't open '"+o.file+"': "+errno(err), o.file+": Cannot open: "+errno(err)))
		return 2
	}
	return code
}

func (p *proc) tarRead(o tarOpts, base string, data io.Reader) int {
	tr := tar.NewReader(data)
	want := map[string]bool{}
	for _, n := range o.names {
		want[strings.TrimSuffix(strings.TrimPrefix(n, "./"), "/")] = false
	}
	selected := func(name string) bool {
		if len(want) == 0 {
			return true
		}
		n := strings.TrimSuffix(strings.TrimPrefix(name, "./"), "/")
		for w := range want {
			if n == w || strings.HasPrefix(n, w+"/") {
				want[w] = true
				return true
			}
		}
		return false
	}
	code := 0
	count := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if p.stopped() {
				return 2
			}
			if count == 0 {
				p.errf("%s", p.pick("short read", "This does not look like a tar archive"))
				if !p.s.busybox {
					p.errf("Exiting with failure status due to previous errors")
				}
			} else {
				p.errf("%s", p.pick("short read", "Unexpected EOF in archive"))
			}
			return 2
		}
		count++
		if count > maxTarEntries {
			p.limitf("the sandbox extracts at most %d entries from one archive, and this one has more", maxTarEntries)
			return 2
		}
		if !selected(h.Name) {
			continue
		}
		if o.mode == 't' {
			p.tarList(h, o.verbose)
			continue
		}
		if code2 := p.tarExtractOne(o, base, h, tr); code2 != 0 {
			code = code2
		}
		if p.s.limitErr() != nil {
			return 2
		}
	}
	for _, n := range o.names {
		if !want[strings.TrimSuffix(strings.TrimPrefix(n, "./"), "/")] {
			p.errf("%s", p.pick(n+": not found in archive", n+": Not found in archive"))
			code = 2
		}
	}
	if code != 0 && !p.s.busybox && len(o.names) > 0 {
		p.errf("Exiting with failure status due to previous errors")
	}
	return code
}

func (p *proc) tarList(h *tar.Header, verbose bool) {
	if !verbose {
		p.outf("%s\n", h.Name)
		return
	}
	e := &rootfs.Entry{Mode: fs.FileMode(h.Mode & 0o777)}
	switch h.Typeflag {
	case tar.TypeDir:
		e.Kind = rootfs.KindDir
	case tar.TypeSymlink:
		e.Kind = rootfs.KindSymlink
	}
	if h.Mode&0o4000 != 0 {
		e.Mode |= fs.ModeSetuid
	}
	if h.Mode&0o2000 != 0 {
		e.Mode |= fs.ModeSetgid
	}
	if h.Mode&0o1000 != 0 {
		e.Mode |= fs.ModeSticky
	}
	ms := modeString(e)
	if h.Typeflag == tar.TypeSymlink {
		ms = "l" + modeString(&rootfs.Entry{Mode: e.Mode})[1:]
	}
	u, g := h.Uname, h.Gname
	if u == "" {
		u = strconv.Itoa(h.Uid)
	}
	if g == "" {
		g = strconv.Itoa(h.Gid)
	}
	suffix := ""
	switch h.Typeflag {
	case tar.TypeSymlink:
		suffix = " -> " + h.Linkname
	case tar.TypeLink:
		suffix = " link to " + h.Linkname
	}
	mt := h.ModTime.UTC()
	if p.s.busybox {
		p.outf("%s %s/%s %9d %s %s%s\n", ms, u, g, h.Size, mt.Format("2006-01-02 15:04:05"), h.Name, suffix)
		return
	}
	ug := u + "/" + g
	p.outf("%s %s %*d %s %s%s\n", ms, ug, max(18-len(ug), 1), h.Size, mt.Format("2006-01-02 15:04"), h.Name, suffix)
}

// tarExtractOne writes one member under base.
func (p *proc) tarExtractOne(o tarOpts, base string, h *tar.Header, r io.Reader) int {
	name := h.Name
	parts := strings.Split(strings.Trim(path.Clean("/"+name), "/"), "/")
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			p.errf("%s", p.pick("skipping member '"+name+"': path contains '..'", name+": Member name contains '..'"))
			return 2
		}
	}
	if o.strip > 0 {
		if len(parts) <= o.strip {
			return 0
		}
		parts = parts[o.strip:]
	}
	rel := strings.Join(parts, "/")
	if rel == "" || rel == "." {
		if h.Typeflag == tar.TypeDir {
			return 0
		}
	}
	if o.verbose && !o.toStdout {
		p.outf("%s\n", h.Name)
	}
	if o.toStdout {
		if h.Typeflag == tar.TypeReg {
			io.Copy(p.out, r) // streamed: bounded by the step's output limit
		}
		return 0
	}
	dst := joinPath(base, rel)
	uid, gid := h.Uid, h.Gid
	if p.s.uid != 0 || o.noOwner {
		uid, gid = p.s.uid, p.s.gid
	}
	mtime := h.ModTime.UTC()
	if o.noMtime {
		mtime = p.s.now()
	}
	mode := fs.FileMode(h.Mode & 0o777)
	if h.Mode&0o4000 != 0 && p.s.uid == 0 {
		mode |= fs.ModeSetuid
	}
	if h.Mode&0o2000 != 0 && p.s.uid == 0 {
		mode |= fs.ModeSetgid
	}
	if h.Mode&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	var content []byte
	if h.Typeflag == tar.TypeReg {
		// A member is held in memory until stored: its size, known from its header, is
		// checked before any of it is read, and its bytes count against the write
		// budget as they are read (capWriter).
		if h.Size > maxUnpacked {
			p.limitf("the sandbox holds at most %s of a file it writes in memory, and %s in the archive has %d bytes", humanBytes(maxUnpacked), name, h.Size)
			return 2
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&capWriter{p: p, buf: &buf, max: maxUnpacked, name: name}, r); err != nil {
			if !p.stopped() {
				p.errf("%s", p.pick("short read", "Unexpected EOF in archive"))
			}
			return 2
		}
		content = buf.Bytes()
	}
	err := p.s.withFS(func(f *rootfs.FS) error {
		if err := f.MkdirAll(path.Dir(dst), 0o755, uid, gid, p.s.now()); err != nil {
			return err
		}
		if err := p.s.checkCreate(f, dst); err != nil {
			return err
		}
		k, err := f.ResolveParent(dst)
		if err != nil {
			return err
		}
		old, exists := f.Lookup(k)
		if exists && o.keepOld && old.Kind != rootfs.KindDir {
			return nil
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if exists && old.Kind == rootfs.KindDir {
				c := old.Clone()
				c.Mode, c.UID, c.GID, c.ModTime = mode, uid, gid, mtime
				return f.Put(k, c)
			}
			if exists {
				if err := f.RemoveAll(dst); err != nil {
					return err
				}
			}
			return f.Put(k, &rootfs.Entry{Kind: rootfs.KindDir, Mode: mode, UID: uid, GID: gid, ModTime: mtime})
		case tar.TypeSymlink:
			if exists && old.Kind == rootfs.KindDir {
				return rootfs.ErrIsDir
			}
			return f.Put(k, &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, UID: uid, GID: gid, ModTime: mtime, Linkname: h.Linkname})
		case tar.TypeLink:
			target := joinPath(base, strings.Join(stripN(h.Linkname, o.strip), "/"))
			te, tk, err := f.Stat(target)
			if err != nil || te.Kind == rootfs.KindDir {
				return fmt.Errorf("cannot hard link to '%s': %w", h.Linkname, rootfs.ErrNotExist)
			}
			if orig, ok := f.Lookup(tk); ok && orig.Kind == rootfs.KindHardlink {
				tk = orig.Linkname
			}
			return f.Put(k, &rootfs.Entry{Kind: rootfs.KindHardlink, Linkname: tk, Mode: te.Mode, UID: te.UID, GID: te.GID, ModTime: te.ModTime})
		case tar.TypeReg: // tar.Reader reports the legacy TypeRegA as TypeReg
			if exists && old.Kind == rootfs.KindDir {
				return rootfs.ErrIsDir
			}
			return f.Put(k, &rootfs.Entry{Kind: rootfs.KindFile, Mode: mode, UID: uid, GID: gid, ModTime: mtime, Data: rootfs.Bytes(content)})
		case tar.TypeXGlobalHeader, tar.TypeXHeader:
			return nil
		}
		return errUnsupportedMember
	})
	if errors.Is(err, errUnsupportedMember) {
		p.errf("%s: special files (devices, fifos) are not extracted by the layerlab sandbox", name)
		return 0
	}
	if err != nil {
		p.errf("%s", p.pick("can't create '"+rel+"': "+errno(err), rel+": Cannot open: "+errno(err)))
		return 2
	}
	return 0
}

var errUnsupportedMember = errors.New("unsupported member")

func stripN(name string, n int) []string {
	parts := strings.Split(strings.Trim(path.Clean("/"+name), "/"), "/")
	if n >= len(parts) {
		return nil
	}
	return parts[n:]
}

// cmdGzip is gzip, gunzip and zcat: -c to stdout, -d decompress, -k keep, -f force.
func cmdGzip(p *proc) int {
	code := gzipMain(p)
	if code == 2 && p.s.busybox {
		return 1 // busybox applets fail with 1
	}
	return code
}

func gzipMain(p *proc) int {
	f := parseFlags(p.args, "S")
	decompress := f.has('d', "decompress", "uncompress") || p.name == "gunzip" || p.name == "zcat"
	toStdout := f.has('c', "stdout", "to-stdout") || p.name == "zcat"
	keep, force, test := f.has('k', "keep"), f.has('f', "force"), f.has('t', "test")
	for c := range f.set {
		if !strings.ContainsRune("cdkfqvnNrt123456789S", rune(c)) {
			p.errf("invalid option -- '%c'", c)
			return 1
		}
	}
	suffix := ".gz"
	if v, ok := f.val['S']; ok && v != "" {
		suffix = v
	}
	tool := "gzip"
	if p.s.busybox {
		tool = p.name
	}
	fail := func(format string, a ...any) {
		fmt.Fprintf(p.errw, tool+": "+format+"\n", a...)
	}
	// unpack decompresses r (every gzip member in it, as gzip -d does) into w as it
	// streams; to stdout its length has no bound but the step's output and time.
	unpack := func(w io.Writer, r io.Reader, name string) bool {
		zr, err := gzip.NewReader(r)
		if err != nil {
			if p.s.busybox {
				fail("invalid magic")
			} else {
				fail("%s: not in gzip format", name)
			}
			return false
		}
		if _, err := io.CopyBuffer(w, zr, make([]byte, streamChunk)); err != nil {
			switch {
			case errors.Is(err, errTooBig), p.stopped():
			case p.s.busybox:
				fail("corrupted data")
			default:
				fail("%s: unexpected end of file", name)
			}
			return false
		}
		return true
	}
	pack := func(w io.Writer, r io.Reader, name string, mtime time.Time) bool {
		zw, _ := gzip.NewWriterLevel(w, gzip.DefaultCompression)
		if name != "" && !p.s.busybox && !f.has('n', "no-name") {
			zw.Name = name
			zw.ModTime = mtime
		}
		if _, err := io.CopyBuffer(zw, r, make([]byte, streamChunk)); err != nil {
			return false
		}
		return zw.Close() == nil
	}
	if len(f.args) == 0 || (len(f.args) == 1 && f.args[0] == "-") {
		switch {
		case test:
			if !unpack(io.Discard, p.stdin(), "stdin") {
				return 1
			}
		case decompress:
			if !unpack(p.out, p.stdin(), "stdin") {
				return 1
			}
		default:
			if !pack(p.out, p.stdin(), "", time.Time{}) {
				return 1
			}
		}
		if p.stopped() {
			return 1
		}
		return 0
	}
	code := 0
	for _, name := range f.args {
		ap := p.abs(name)
		e, err := p.s.stat(ap)
		if err != nil {
			if p.s.busybox {
				fail("can't open '%s': %s", name, errno(err))
			} else {
				fail("%s: %s", name, errno(err))
			}
			code = 1
			continue
		}
		if e.Kind == rootfs.KindDir {
			fail("%s is a directory -- ignored", name)
			code = max(code, 2)
			continue
		}
		in, err := p.openInput(name)
		if err != nil {
			fail("%s: %s", name, errno(err))
			code = 1
			continue
		}
		// To stdout (or -t) the result streams; to a file it is held in memory until
		// written, up to maxUnpacked (capWriter fails the step naming it).
		var out bytes.Buffer
		var w io.Writer = &capWriter{p: p, buf: &out, max: maxUnpacked, name: name}
		if toStdout {
			w = p.out
		}
		if test {
			w = io.Discard
		}
		var target string
		if decompress || test {
			if !toStdout && !test && !strings.HasSuffix(name, suffix) && !strings.HasSuffix(name, ".tgz") {
				fail("%s: unknown suffix %s ignored", name, p.pick("-", "--"))
				code = max(code, 2)
				continue
			}
			if !unpack(w, in, name) {
				code = 1
				if p.stopped() {
					return code
				}
				continue
			}
			if test {
				continue
			}
			target = strings.TrimSuffix(name, suffix)
			if strings.HasSuffix(name, ".tgz") {
				target = strings.TrimSuffix(name, ".tgz") + ".tar"
			}
		} else {
			if strings.HasSuffix(name, suffix) && !toStdout {
				fail("%s already has %s suffix -- unchanged", name, suffix)
				code = max(code, 2)
				continue
			}
			if !pack(w, in, pathBase(name), e.ModTime) {
				return 1
			}
			target = name + suffix
		}
		if toStdout {
			continue
		}
		tabs := p.abs(target)
		if _, err := p.s.lstat(tabs); err == nil && !force {
			if p.s.busybox {
				fail("can't open '%s': File exists", target)
			} else {
				fail("%s already exists; not overwritten", target)
			}
			code = max(code, 2)
			continue
		}
		err = p.s.withFS(func(fsys *rootfs.FS) error {
			if _, _, err := fsys.Lstat(tabs); err == nil {
				if err := fsys.Remove(tabs); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			err = p.s.storeFile(tabs, rootfs.Bytes(out.Bytes()), e.Mode)
		}
		if err == nil {
			// the new file keeps the original's mode, owner and mtime, as gzip does
			p.s.withFS(func(fsys *rootfs.FS) error {
				ne, k, err := fsys.Stat(tabs)
				if err != nil {
					return err
				}
				c := ne.Clone()
				c.Mode, c.ModTime = e.Mode, e.ModTime
				if p.s.uid == 0 {
					c.UID, c.GID = e.UID, e.GID
				}
				return fsys.Put(k, c)
			})
		}
		if err != nil {
			fail("%s: %s", target, errno(err))
			code = 1
			continue
		}
		if !keep {
			p.s.withFS(func(fsys *rootfs.FS) error { return fsys.Remove(ap) })
		}
	}
	return code
}
