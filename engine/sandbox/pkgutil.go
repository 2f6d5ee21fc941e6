package sandbox

import (
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"strings"

	"layerlab/engine/rootfs"
)

func init() {
	register(map[string]cmdFunc{"curl": cmdCurl, "wget": cmdWget})
}

func seedOf(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// put writes generated content (a package's files) as root, with parents, charging the budget.
func (p *proc) put(file string, c rootfs.Content, mode fs.FileMode, uid, gid int) error {
	if err := p.s.account(c.Size()); err != nil {
		return err
	}
	return p.s.withFS(func(f *rootfs.FS) error {
		if err := f.MkdirAll(path.Dir(file), 0o755, uid, gid, p.s.now()); err != nil {
			return err
		}
		if e, _, err := f.Stat(file); err == nil && e.Kind == rootfs.KindDir {
			return nil
		}
		k, err := f.ResolveParent(file)
		if err != nil {
			return err
		}
		return f.Put(k, &rootfs.Entry{Kind: rootfs.KindFile, Mode: mode, UID: uid, GID: gid, ModTime: p.s.now(), Data: c})
	})
}

func (p *proc) putText(file, text string) error {
	return p.put(file, rootfs.Bytes(text), 0o644, p.s.uid, p.s.gid)
}

func (p *proc) removeAll(file string) {
	p.s.withFS(func(f *rootfs.FS) error { return f.RemoveAll(file) })
}

// osRelease reads a field of /etc/os-release.
func (p *proc) osRelease(key, def string) string {
	b, _ := p.s.readRaw("/etc/os-release")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && k == key {
			return strings.Trim(v, `"`)
		}
	}
	return def
}

func kb(n int64) string {
	if n >= 1000*1000 {
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d kB", (n+999)/1000)
}

// placeholder is the deterministic stand-in for anything downloaded: valid shell
// (all comments), so `curl ... | sh` does nothing; a well-known installer's URL gets
// its stand-in script instead (installers.go).
func placeholder(url string) rootfs.Bytes {
	if b, ok := installerScript(url); ok {
		return b
	}
	size := 512 + int(seedOf(url)%(24<<10))
	var b strings.Builder
	fmt.Fprintf(&b, "# layerlab placeholder for %s\n# the playground has no network: this file stands in for the download\n", url)
	line := "# " + strings.Repeat("x", 61) + "\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	return rootfs.Bytes(b.String())
}

func (p *proc) netNote(url string) {
	fmt.Fprintf(p.errw, "layerlab: the playground has no network; wrote a placeholder for %s\n", url)
}

func cmdCurl(p *proc) int {
	f := parseFlags(p.args, "oHdXAuwemrTzxU")
	var url string
	for _, a := range f.args {
		if strings.Contains(a, "://") || url == "" {
			url = a
		}
	}
	if url == "" {
		p.errf("try 'curl --help' or 'curl --manual' for more information")
		return 2
	}
	out, ok := f.val['o']
	if v, has := f.long["output"]; has {
		out, ok = v, true
	}
	if f.has('O', "remote-name") {
		out, ok = path.Base(url), true
	}
	data := placeholder(url)
	if !ok || out == "-" {
		p.netNote(url)
		p.out.Write(data)
		return 0
	}
	if err := p.s.writeFile(p.abs(out), data, 0o644); err != nil {
		p.errf("(23) Failure writing output to destination")
		return 23
	}
	p.netNote(url)
	return 0
}

func cmdWget(p *proc) int {
	f := parseFlags(p.args, "OPUTte")
	var url string
	for _, a := range f.args {
		if strings.Contains(a, "://") || url == "" {
			url = a
		}
	}
	if url == "" {
		p.errf("missing URL")
		return 1
	}
	out, ok := f.val['O']
	if !ok {
		out = path.Base(strings.SplitN(strings.SplitN(url, "://", 2)[len(strings.SplitN(url, "://", 2))-1], "?", 2)[0])
		if out == "" || !strings.Contains(strings.TrimPrefix(url, "https://"), "/") || strings.HasSuffix(url, "/") {
			out = "index.html"
		}
		if dir, ok := f.val['P']; ok {
			out = dir + "/" + out
		}
	}
	data := placeholder(url)
	if out == "-" {
		p.netNote(url)
		p.out.Write(data)
		return 0
	}
	if err := p.s.writeFile(p.abs(out), data, 0o644); err != nil {
		p.errf("%s: %s", out, errno(err))
		return 1
	}
	p.netNote(url)
	return 0
}
