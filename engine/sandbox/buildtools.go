package sandbox

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
)

// Build tools: what they share. Each tool family lives in its own file
// (golang.go, buildtools_rust.go, buildtools_java.go, buildtools_dotnet.go,
// buildtools_c.go, buildtools_node.go) and registers its commands from its own init.
// A tool runs only where the image has it: the sandbox finds a command on PATH inside
// the image first (a base image's /usr/local/go/bin/go, a package's
// node_modules/.bin/vite written by npm) and only then dispatches by the file's base
// name to the Go code registered here. So `cargo` fails with "not found" on an image
// without Rust, as it would in Docker.
//
// Every artefact a tool writes goes through inputsDigest and artefact (outputs.go):
// the tool names the files the real tool would read (sources, manifests, lockfiles)
// and the flags and environment that change its output, and the artefact's bytes are
// a function of exactly those.

// envPairs returns "KEY=value" for each key, set or not, so an unset variable and an
// empty one hash alike, as they behave alike for the tools.
func (p *proc) envPairs(keys ...string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+p.getenv(k))
	}
	return out
}

// digestOf is inputsDigest that reports its error as the tool would, as a failed read.
func (p *proc) digestOf(roots, skip []string, extra ...string) (string, bool) {
	d, err := p.inputsDigest(roots, skip, extra...)
	if err != nil {
		p.errf("%v", err)
		return "", false
	}
	return d, true
}

// writeArtefact writes one output file of a build (parents created, owned by the
// process's user) and reports a failure as the tool's error.
func (p *proc) writeArtefact(file string, c rootfs.Content, mode fs.FileMode) bool {
	if err := p.put(p.abs(file), c, mode, p.s.uid, p.s.gid); err != nil {
		p.errf("write %s: %s", file, errno(err))
		return false
	}
	return true
}

// unsupported fails a tool for an option or subcommand the simulation does not
// implement, naming it, so nothing is ever silently ignored.
func (p *proc) unsupported(what string) int {
	fmt.Fprintf(p.errw, "%s: %s: not supported by the layerlab sandbox's simulated %s\n", p.name, what, p.name)
	return 2
}

// listDir lists a directory of the image (sorted names); nil when it is not one.
func (p *proc) listDir(dir string) []string {
	var names []string
	p.s.withFS(func(f *rootfs.FS) error {
		names, _ = f.ReadDir(p.abs(dir))
		return nil
	})
	return names
}

// isDir reports whether name is a directory (symlinks followed).
func (p *proc) isDir(name string) bool {
	e, err := p.s.stat(p.abs(name))
	return err == nil && e.Kind == rootfs.KindDir
}

// isFile reports whether name is a regular file (symlinks followed).
func (p *proc) isFile(name string) bool {
	e, err := p.s.stat(p.abs(name))
	return err == nil && e.Kind == rootfs.KindFile
}

// findFiles lists the regular files under dir (relative to it, sorted) whose names
// keep returns true for, skipping the directories named in skip.
func (p *proc) findFiles(dir string, skip map[string]bool, keep func(name string) bool) []string {
	var out []string
	var walk func(rel string)
	walk = func(rel string) {
		for _, n := range p.listDir(path.Join(dir, rel)) {
			r := path.Join(rel, n)
			e, err := p.s.lstat(p.abs(path.Join(dir, r)))
			if err != nil {
				continue
			}
			switch {
			case e.Kind == rootfs.KindDir:
				if !skip[n] {
					walk(r)
				}
			case e.Kind == rootfs.KindFile && keep(n):
				out = append(out, r)
			}
		}
	}
	walk("")
	sort.Strings(out)
	return out
}

// toolVersion reads a version from the environment the official images set
// (GOLANG_VERSION, RUST_VERSION, JAVA_VERSION, ...), else def.
func (p *proc) toolVersion(env, def string) string {
	if v := strings.TrimSpace(p.getenv(env)); v != "" {
		return v
	}
	return def
}

// sizeOf scales a nominal size by a factor (binaries grow with their dependencies).
func sizeOf(n int64, factor float64) int64 { return int64(float64(n) * factor) }

// mib and kib are sizes in bytes.
const (
	kib = int64(1) << 10
	mib = int64(1) << 20
)
