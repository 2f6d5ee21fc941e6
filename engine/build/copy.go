package build

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"layerlab/engine/dockerfile"
	"layerlab/engine/image"
	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox"
)

// copySource is one resolved COPY/ADD source: a path in the source filesystem and the
// classic builder's hash of it.
type copySource struct {
	key  string // resolved key in the source filesystem
	name string // the path as the user sees it (context-relative)
	hash string // file:<sum> or dir:<sum>
	dir  bool
	fs   *rootfs.FS // where key lives when not the instruction's source (an ADD URL's download)
}

func (r *run) prepareCopy(st *stage, in *dockerfile.Instruction, next *image.ContainerConfig) (*dispatch, error) {
	c := in.Copy
	cmdName := in.Keyword
	if c.Chmod != "" {
		return nil, errors.New("the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled")
	}
	if c.Link {
		return nil, errors.New("the --link option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled")
	}
	if len(c.Heredocs) > 0 {
		return nil, fmt.Errorf("%s with a heredoc source requires BuildKit; the classic builder reads sources only from the build context", cmdName)
	}
	srcs := make([]string, len(c.Sources))
	for i, s := range c.Sources {
		v, err := r.word(st, s)
		if err != nil {
			return nil, err
		}
		srcs[i] = v
	}
	dest, err := r.word(st, c.Dest)
	if err != nil {
		return nil, err
	}
	chown, err := r.word(st, c.Chown)
	if err != nil {
		return nil, err
	}
	// The source filesystem: the build context, or a stage or image for --from.
	src := r.bctx.FS
	uname := ""
	if c.From != "" {
		if c.Add {
			return nil, errors.New("ADD does not support --from; use COPY --from")
		}
		from, err := r.word(st, c.From)
		if err != nil {
			return nil, err
		}
		f, err := r.fromSource(from)
		if err != nil {
			return nil, err
		}
		src, uname = f, "root"
	}
	var sources []copySource
	sums := map[string]string{}
	for _, s := range srcs {
		if c.Add && strings.HasPrefix(s, "git@") {
			return nil, fmt.Errorf("ADD %s: the playground has no network, so ADD cannot clone; put the repository into the build context and COPY it", s)
		}
		if c.Add && (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")) {
			got, err := r.downloadSource(s, dest)
			if err != nil {
				return nil, err
			}
			r.emit(Event{Type: EventStepLog, Step: in.Step, Text: "[layerlab] " + sandbox.DownloadNote(s)})
			sources = append(sources, got)
			continue
		}
		got, err := r.resolveSources(src, s, uname, c.From != "", sums)
		if err != nil {
			return nil, fmt.Errorf("%s failed: %w", cmdName, err)
		}
		sources = append(sources, got...)
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("%s failed: no source files were specified", cmdName)
	}
	if len(sources) > 1 && !strings.HasSuffix(dest, "/") {
		//lint:ignore ST1005 Docker 20.10's text, word for word
		return nil, fmt.Errorf("When using %s with more than one source file, the destination must be a directory and end with a /", cmdName)
	}
	var srcHash string
	if len(sources) == 1 {
		srcHash = sources[0].hash
	} else {
		hs := make([]string, len(sources))
		for i, s := range sources {
			hs[i] = s.hash
		}
		srcHash = hashList("multi", hs)
	}
	chownComment := ""
	if chown != "" {
		chownComment = "--chown=" + chown
	}
	comment := fmt.Sprintf("%s %s%s in %s ", cmdName, chownComment, srcHash, dest)
	cc := next.Clone()
	cc.Cmd = append(append([]string{}, shellOf(next)...), "#(nop) "+comment)
	target := joinDest(next.WorkingDir, dest)
	now := r.b.now()
	if c.From != "" {
		sums = nil // the learner-facing reasons talk about context files
	}
	return &dispatch{containerConfig: cc, apply: func(st *stage) { st.config = next }, sources: sums, commit: commitExport,
		run: func(fs *rootfs.FS, _ string) error {
			uid, gid := 0, 0
			if chown != "" {
				var err error
				if uid, gid, err = lookupOwner(fs, chown); err != nil {
					return err
				}
			}
			cp := copier{src: src, dst: fs, uid: uid, gid: gid, now: now, add: c.Add, unpack: r.unpack}
			multi := len(sources) > 1 || strings.HasSuffix(target, "/")
			for _, s := range sources {
				if err := cp.copy(s, target, multi); err != nil {
					return fmt.Errorf("%s failed: %w", cmdName, err)
				}
			}
			return nil
		}}, nil
}

// downloadSource is an ADD of a URL. The playground has no network, so the file is the
// sandbox's placeholder for that URL (the same bytes every time). As the classic builder
// does, the file is named by the URL's last path element when the destination is a
// directory, gets mode 0600, and is hashed by its content, so a rebuild hits the cache
// while the URL stays the same.
func (r *run) downloadSource(src, dest string) (copySource, error) {
	u, err := url.Parse(src)
	if err != nil {
		return copySource{}, fmt.Errorf("ADD %s: %w", src, err)
	}
	name := path.Base(u.Path)
	if u.Path == "" || strings.HasSuffix(u.Path, "/") {
		if strings.HasSuffix(dest, "/") {
			return copySource{}, fmt.Errorf("cannot determine filename from url: %s", src)
		}
		name = "download"
	}
	fs := rootfs.New()
	e := &rootfs.Entry{Kind: rootfs.KindFile, Mode: 0o600, ModTime: r.b.now(), Data: rootfs.Bytes(sandbox.Download(src))}
	if err := fs.Put(name, e); err != nil {
		return copySource{}, fmt.Errorf("ADD %s: %w", src, err)
	}
	return copySource{key: name, name: name, hash: "file:" + fileSum(name, e, "", ""), fs: fs}, nil
}

// fromSource is the filesystem of COPY --from: a stage by name or index, or an image.
func (r *run) fromSource(from string) (*rootfs.FS, error) {
	var st *stage
	if n, err := strconv.Atoi(from); err == nil {
		if n < 0 || n >= len(r.stages) {
			return nil, fmt.Errorf("invalid from flag value %s: refers to current build stage or a stage after it", from)
		}
		st = r.stages[n]
	} else {
		st = r.stageByName(from)
	}
	if st != nil {
		return r.filesystem(st)
	}
	rec, _, err := r.resolveImage(from)
	if err != nil {
		return nil, fmt.Errorf("invalid from flag value %s: %w", from, err)
	}
	return r.b.snapshot(r.ctx, r.store, rec)
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?[") }

// resolveSources expands one source argument into sources with their hashes, following
// the classic builder: a wildcard matches context paths in walk order; a directory's
// hash covers every entry below it (and itself, unless it is the context root).
func (r *run) resolveSources(src *rootfs.FS, s, uname string, fromImage bool, sums map[string]string) ([]copySource, error) {
	clean := path.Clean("/" + s)
	if !fromImage {
		if rel := path.Clean(s); rel == ".." || strings.HasPrefix(rel, "../") || (path.IsAbs(s) && false) {
			return nil, fmt.Errorf("forbidden path outside the build context: %s ()", s)
		}
	}
	key := strings.TrimPrefix(clean, "/")
	if hasWildcard(key) {
		var out []copySource
		err := src.Walk(func(k string, e *rootfs.Entry) error {
			if ok, _ := path.Match(key, k); !ok {
				return nil
			}
			got, err := r.sourceAt(src, k, k, uname, sums)
			if err != nil {
				return err
			}
			out = append(out, got)
			return nil
		})
		return out, err
	}
	e, _, err := src.Lstat(key)
	if err == nil && e.Kind == rootfs.KindSymlink {
		if _, rk, rerr := src.Stat(key); rerr != nil || rk == "" {
			if !fromImage && escapes(key, e.Linkname) {
				return nil, fmt.Errorf("file not found in build context or excluded by .dockerignore: stat %s: file does not exist (it is a symlink to %s, outside the build context)", s, e.Linkname)
			}
		}
	}
	_, rk, err := src.Stat(key)
	if err != nil || (rk == "" && key != "") {
		if fromImage {
			return nil, fmt.Errorf("stat %s: file does not exist", clean)
		}
		return nil, fmt.Errorf("file not found in build context or excluded by .dockerignore: stat %s: file does not exist", strings.TrimPrefix(path.Clean(s), "/"))
	}
	got, err := r.sourceAt(src, rk, key, uname, sums)
	if err != nil {
		return nil, err
	}
	return []copySource{got}, nil
}

func escapes(key, link string) bool {
	if path.IsAbs(link) {
		return true
	}
	p := path.Join(path.Dir("/"+key), link)
	return strings.HasPrefix(path.Clean(p), "/..") || path.Clean("/"+path.Dir(key)+"/"+link) != p
}

// sourceAt hashes one source (file or directory). A symlink is followed: the classic
// builder hashes "the followed path, not the possible symlink", and copies the target's
// content under the link's own name.
func (r *run) sourceAt(src *rootfs.FS, key, name, uname string, sums map[string]string) (copySource, error) {
	e, rk, err := src.Stat(key)
	if err != nil {
		return copySource{}, err
	}
	key = rk
	if e.Kind != rootfs.KindDir {
		h := r.sum(src, key, e, uname)
		sums[key] = h
		return copySource{key: key, name: name, hash: "file:" + h}, nil
	}
	var list []string
	if key != "" {
		list = append(list, r.sum(src, key, e, uname))
	}
	prefix := key + "/"
	_ = src.Walk(func(k string, ce *rootfs.Entry) error {
		if key != "" && !strings.HasPrefix(k, prefix) {
			return nil
		}
		var h string
		if ce.Kind == rootfs.KindSymlink {
			// Hash follows the link; a target outside the context has no sum, and
			// Docker then uses the path itself.
			if te, tk, err := src.Stat(k); err == nil && tk != "" {
				h = r.sum(src, tk, te, uname)
			} else {
				h = k
			}
		} else {
			h = r.sum(src, k, ce, uname)
		}
		list = append(list, h)
		if ce.Kind != rootfs.KindDir {
			sums[k] = h
		}
		return nil
	})
	sortStrings(list)
	return copySource{key: key, name: name, hash: hashList("dir", list), dir: true}, nil
}

// sum is one entry's tarsum, computed once per build for context files.
func (r *run) sum(src *rootfs.FS, key string, e *rootfs.Entry, uname string) string {
	cacheable := src == r.bctx.FS
	if cacheable {
		if h, ok := r.srcHash[key]; ok {
			return h
		}
		if r.bctx.implicit[key] {
			return key // no tarsum entry: the daemon's Hash returns the path itself
		}
	}
	name := key
	if e.Kind == rootfs.KindDir {
		name += "/"
	}
	un, gn := "", ""
	if uname != "" {
		if e.UID == 0 {
			un = "root"
		}
		if e.GID == 0 {
			gn = "root"
		}
	}
	h := fileSumMode(name, e, un, gn, !(cacheable && r.bctx.bareMode[key]))
	if cacheable {
		r.srcHash[key] = h
	}
	return h
}

// copier performs COPY/ADD into a filesystem.
type copier struct {
	src, dst *rootfs.FS
	uid, gid int
	now      time.Time
	add      bool
	unpack   *unpackBudget // the build's: what its ADD archives may still unpack to
}

func (c *copier) copy(s copySource, target string, intoDir bool) error {
	if s.fs != nil {
		from := *c
		from.src, from.add = s.fs, false // a download is never unpacked
		s.fs = nil
		return from.copy(s, target, intoDir)
	}
	e, _, err := c.src.Stat(s.key)
	if err != nil {
		return err
	}
	if e.Kind == rootfs.KindDir {
		if err := c.mkdirs(target); err != nil {
			return err
		}
		prefix := s.key + "/"
		return c.src.Walk(func(k string, ce *rootfs.Entry) error {
			if s.key != "" && !strings.HasPrefix(k, prefix) {
				return nil
			}
			rel := strings.TrimPrefix(k, prefix)
			if s.key == "" {
				rel = k
			}
			return c.put(path.Join(target, rel), ce)
		})
	}
	dst := target
	if intoDir || c.isDir(target) {
		// The name as written: a copied symlink's target content takes the link's name.
		dst = path.Join(target, path.Base("/"+s.name))
	}
	if c.add {
		if data, err := e.Data.Bytes(); err == nil {
			r, g, err := archiveReader(data, c.unpack)
			if err != nil {
				return fmt.Errorf("extract %s: %w", s.name, err)
			}
			if r != nil {
				dir := target
				if err := c.dst.MkdirAll(dir, 0o755, 0, 0, c.now); err != nil {
					return err
				}
				// An extracted archive keeps its own owners: the classic builder untars
				// without the --chown identity (recorded, scenario x50). What is left of
				// the build's allowance bounds each entry before its content is read.
				lim := rootfs.Limits{MaxBytes: c.unpack.left(), MaxEntries: rootfs.DefaultLimits.MaxEntries}
				err := rootfs.Apply(c.dst, r, rootfs.ApplyOptions{Dest: dir, Limits: lim})
				c.unpack.used += g.out
				if errors.Is(err, rootfs.ErrTooLarge) && !errors.Is(err, ErrBudget) && !strings.Contains(err.Error(), " entries") {
					// An entry's header announced more content than the build has left.
					err = fmt.Errorf("%w (%v)", c.unpack.exceeded(), err)
				}
				if err != nil {
					return fmt.Errorf("extract %s: %w", s.name, err)
				}
				return nil
			}
		}
	}
	if err := c.mkdirs(path.Dir(dst)); err != nil {
		return err
	}
	return c.put(dst, e)
}

func (c *copier) isDir(p string) bool {
	e, _, err := c.dst.Stat(p)
	return err == nil && e.Kind == rootfs.KindDir
}

func (c *copier) mkdirs(p string) error {
	return c.dst.MkdirAll(p, 0o755, c.uid, c.gid, c.now)
}

func (c *copier) put(dst string, e *rootfs.Entry) error {
	n := e.Clone()
	n.UID, n.GID = c.uid, c.gid
	if n.Kind == rootfs.KindHardlink {
		t, _, err := c.src.Stat(n.Linkname)
		if err != nil {
			return err
		}
		n = t.Clone()
		n.UID, n.GID = c.uid, c.gid
	}
	k, err := c.dst.ResolveParent(dst)
	if err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	if old, ok := c.dst.Lookup(k); ok && old.Kind == rootfs.KindDir {
		if n.Kind == rootfs.KindDir {
			return c.dst.Put(k, n)
		}
		if err := c.dst.RemoveAll(k); err != nil {
			return err
		}
	}
	if err := c.dst.Put(k, n); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return nil
}

// archiveReader recognises a local tar archive (plain, gzip, bzip2 or xz: what Docker
// 20.10's ADD extracts; see xz.go) and reads it through a guard that spends the build's
// unpack budget: nil when data is no archive (ADD then copies it as a file), an error
// when a limit stops it before that can be told, rather than a silent copy.
func archiveReader(data []byte, u *unpackBudget) (io.Reader, *unpackGuard, error) {
	in := &countingReader{r: bytes.NewReader(data)}
	g := &unpackGuard{r: in, u: u}
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(in)
		if err != nil {
			return nil, nil, nil
		}
		g.r, g.in, g.kind = gz, in, "gzip"
	case bytes.HasPrefix(data, []byte("BZh")):
		g.r, g.in, g.kind = bzip2.NewReader(in), in, "bzip2"
	case bytes.HasPrefix(data, xzMagic):
		xr, err := xzReader(data, in, u)
		if err != nil {
			return nil, nil, err
		}
		g.r, g.in, g.kind = xr, in, "xz"
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(g, head)
	if errors.Is(err, ErrBudget) {
		return nil, nil, err
	}
	if n < 512 || string(head[257:262]) != "ustar" {
		return nil, nil, nil
	}
	return io.MultiReader(bytes.NewReader(head[:n]), g), g, nil
}

// maybeDecompress lets stored layers be gzip or plain tar.
func maybeDecompress(r io.Reader) (io.Reader, error) {
	br := bufioReader(r)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}

// lookupOwner resolves a --chown value (names through the image's /etc/passwd and
// /etc/group), as the classic builder does.
func lookupOwner(fs *rootfs.FS, spec string) (int, int, error) {
	u, g, hasGroup := strings.Cut(spec, ":")
	uid, gid := -1, -1
	var err error
	if n, e := strconv.Atoi(u); e == nil {
		uid = n
	} else if uid, gid, err = lookupName(fs, "/etc/passwd", u, 2, 3); err != nil {
		return 0, 0, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find uid for user %s: no such user: %s", u, u)
	}
	if !hasGroup {
		if gid < 0 {
			gid = uid
		}
		return uid, gid, nil
	}
	if n, e := strconv.Atoi(g); e == nil {
		return uid, n, nil
	}
	if _, gid, err = lookupName(fs, "/etc/group", g, -1, 2); err != nil {
		return 0, 0, fmt.Errorf("unable to convert uid/gid chown string to host mapping: can't find gid for group %s: no such group: %s", g, g)
	}
	return uid, gid, nil
}

func lookupName(fs *rootfs.FS, file, name string, idField, gidField int) (int, int, error) {
	data, err := fs.ReadFile(file)
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) <= gidField || f[0] != name {
			continue
		}
		id := -1
		if idField >= 0 {
			if id, err = strconv.Atoi(f[idField]); err != nil {
				return 0, 0, err
			}
		}
		g, err := strconv.Atoi(f[gidField])
		if err != nil {
			return 0, 0, err
		}
		return id, g, nil
	}
	return 0, 0, fmt.Errorf("no such entry %s in %s", name, file)
}
