package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"sort"

	"layerlab/engine/rootfs"
)

// Outputs follow inputs. Every simulated build tool (go build, cargo, mvn, npm run
// build, tsc, gcc, dotnet publish, pip wheels, compileall, ...) writes artefacts whose
// bytes are a function of what the real tool would read: the source files, manifests
// and lockfiles under its roots, plus its flags and the environment variables that
// change its output. Edit one source byte and the artefact changes, so a later
// `COPY --from` of it misses the cache exactly where Docker's would; change nothing and
// the artefact is byte for byte the same, so it hits. This file is that one mechanism;
// the tools only say which roots and which extras they read.

// maxInputBytes bounds the file content one tool invocation hashes. Generated content
// (package payloads, earlier artefacts) is hashed by its recipe and costs nothing here.
const maxInputBytes = 256 << 20

// errInputsTooLarge is returned when a tool's sources exceed maxInputBytes.
var errInputsTooLarge = errors.New("the sources this build tool reads exceed the sandbox's 256 MiB input budget")

// inputsDigest returns the hex sha256 of everything under roots (files or directories,
// relative to the process's directory; missing roots count as absent, not as errors)
// and of extra (flags, environment). Paths, modes and contents are hashed in path
// order, so the digest is the same for the same files whatever order they were
// written in; directories listed in skip (by base name, e.g. ".git") are left out.
func (p *proc) inputsDigest(roots []string, skip []string, extra ...string) (string, error) {
	h := sha256.New()
	for _, x := range extra {
		writeField(h, "x", x)
	}
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	abs := make([]string, 0, len(roots))
	for _, r := range roots {
		abs = append(abs, rootfs.Clean(p.abs(r)))
	}
	sort.Strings(abs)
	var budget int64 = maxInputBytes
	err := p.s.withFS(func(f *rootfs.FS) error {
		for _, root := range abs {
			writeField(h, "root", root)
			e, key, err := f.Stat(root)
			if err != nil {
				writeField(h, "absent", root)
				continue
			}
			if e.Kind != rootfs.KindDir {
				if err := hashEntry(h, key, e, &budget); err != nil {
					return err
				}
				continue
			}
			if err := hashTree(f, h, key, "/", skipped, &budget); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashTree hashes the directory at key and everything under it, in sorted name order,
// visiting only that subtree (never the whole filesystem: a base image holds thousands
// of entries a build does not read). Symlinked directories are hashed as links, not
// followed, so a link cycle cannot loop.
func hashTree(f *rootfs.FS, h hash.Hash, key, rel string, skipped map[string]bool, budget *int64) error {
	names, err := f.ReadDir("/" + key)
	if err != nil {
		return fmt.Errorf("read directory /%s: %w", key, err)
	}
	for _, n := range names {
		if skipped[n] {
			continue
		}
		k := path.Join(key, n)
		e, ok := f.Lookup(k)
		if !ok {
			continue
		}
		r := path.Join(rel, n)
		if err := hashEntry(h, r, e, budget); err != nil {
			return err
		}
		if e.Kind == rootfs.KindDir {
			if err := hashTree(f, h, k, r, skipped, budget); err != nil {
				return err
			}
		}
	}
	return nil
}

// hashEntry adds one entry: its path relative to its root, kind, mode, link target and
// content. Owners and times are left out: a real compiler's output does not depend on them.
func hashEntry(h hash.Hash, rel string, e *rootfs.Entry, budget *int64) error {
	writeField(h, "path", rel)
	writeField(h, "meta", fmt.Sprintf("%d %o %s", e.Kind, e.Mode, e.Linkname))
	if e.Kind != rootfs.KindFile || e.Data == nil {
		return nil
	}
	if g, ok := e.Data.(rootfs.Generated); ok {
		writeField(h, "gen", fmt.Sprintf("%d %d", g.Seed, g.N))
		return nil
	}
	n := e.Data.Size()
	if n > *budget {
		return fmt.Errorf("%s: %w", rel, errInputsTooLarge)
	}
	*budget -= n
	var lenBuf [8]byte
	binary.BigEndian.PutUint64(lenBuf[:], uint64(n))
	h.Write([]byte("data"))
	h.Write(lenBuf[:])
	if _, err := io.Copy(h, e.Data.Open()); err != nil {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	return nil
}

// writeField writes a tagged, length-prefixed field, so no two field lists hash alike.
func writeField(h hash.Hash, tag, v string) {
	var lenBuf [8]byte
	binary.BigEndian.PutUint64(lenBuf[:], uint64(len(v)))
	h.Write([]byte(tag))
	h.Write(lenBuf[:])
	h.Write([]byte(v))
}

// artefact is the content of one output file of a build: its size is base plus a
// share of spread chosen by the inputs (real binaries grow and shrink with their
// sources), and its bytes are a function of the tool, the output's name and the inputs'
// digest.
func artefact(tool, name, digest string, base, spread int64) rootfs.Generated {
	seed := seedOf(tool, name, digest)
	n := base
	if spread > 0 {
		n += int64(seed % uint64(spread))
	}
	return rootfs.Generated{Seed: seed, N: n}
}
