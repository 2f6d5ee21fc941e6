// Package baseimage serves the built-in stand-ins for the public base images a
// Dockerfile starts FROM (busybox, alpine, debian, ubuntu, python, node, golang,
// nginx, buildpack-deps). layerlab has no network, so these take their place: each has
// the real image's config (Env, Cmd, Entrypoint, ...) and history, and a small
// filesystem skeleton that looks like the real one (the shell, coreutils, the package
// manager and its database, /etc/os-release, the language runtime) with large files
// whose content is generated filler, so sizes are the real image's sizes while memory
// stays small.
//
// History rows are written as Docker's classic builder writes them
// ("/bin/sh -c #(nop)  ENV ...", "/bin/sh -c #(nop) ADD file:<sum> in / "), the form the
// rest of layerlab produces; the real images are built with BuildKit today, so their
// `docker history` reads "ENV ..." and "RUN /bin/sh -c ... # buildkit" instead. RUN texts
// follow the official Dockerfiles, abbreviated in places.
//
// Images are built once, on first use, and shared. Images derived from another
// (python:3.12 from buildpack-deps:bookworm from debian:bookworm) share its layer
// snapshots, as the real images share their base layers, so the same layer has the
// same diffID in both.
package baseimage

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"layerlab/engine/image"
	"layerlab/engine/rootfs"
)

// Image is a stand-in base image: its config and history as the real image's, and its
// layers as cumulative filesystem snapshots.
//
// An Image returned by Lookup is shared by every caller and must not be changed, nor
// its Config, History or Layers (clone a snapshot with rootfs.FS.Clone before changing it).
type Image struct {
	Name         string                // canonical familiar name, e.g. "python:3.11-slim"
	Config       image.ContainerConfig // Env (PATH etc.), Cmd, Entrypoint, WorkingDir, Labels... as the real image
	History      []image.History       // as the real image's `docker history` (oldest first), EmptyLayer set on metadata rows; exactly one non-empty row per layer
	Layers       []*rootfs.FS          // Layers[i] = filesystem after applying layer i (cumulative); len == number of non-empty history rows
	Created      time.Time             // fixed, plausible date of the real image
	Architecture string                // "amd64"
	OS           string                // "linux"
}

// entry is one image: built on first use, then shared.
type entry struct {
	name  string
	build func() (*Image, error)
	once  sync.Once
	img   *Image
	err   error
}

func (e *entry) get() (*Image, error) {
	e.once.Do(func() {
		e.img, e.err = e.build()
		if e.err != nil {
			e.err = fmt.Errorf("build base image %s: %w", e.name, e.err)
		}
	})
	return e.img, e.err
}

// maxCached bounds the images kept built. The world is open (every patch release and
// distro of every family), so the cache keeps the most recently used; an evicted image
// is rebuilt identically (it holds no bytes, only snapshots of generated entries).
const maxCached = 96

var (
	cacheMu sync.Mutex
	cache   = map[string]*entry{}
	recent  []string // keys, least recently used first
)

// cached returns the entry of key, creating it with build; it marks key as used.
func cached(key, name string, build func() (*Image, error)) *entry {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	e, ok := cache[key]
	if !ok {
		e = &entry{name: name, build: build}
		cache[key] = e
	}
	for i, k := range recent {
		if k == key {
			recent = append(recent[:i], recent[i+1:]...)
			break
		}
	}
	recent = append(recent, key)
	for len(recent) > maxCached {
		delete(cache, recent[0])
		recent = recent[1:]
	}
	return e
}

// get returns a stand-in by reference; builders use it for their bases.
func get(name string) (*Image, error) { return Lookup(name) }

// Lookup returns the stand-in for a reference: name[:tag] in familiar or normalised form
// ("python:3.11", "docker.io/library/python:3.11", "library/python",
// "mcr.microsoft.com/dotnet/sdk:8.0"). A missing tag means latest; a tag pinned to a
// digest (name:tag@sha256:...) resolves by its tag, as the stand-in cannot have the
// real image's digest. An unknown repository fails as Docker's pull does ("pull access
// denied ..."), an unknown tag of a known one with Docker's "manifest unknown"; both
// wrap ErrUnknown and add a layerlab line saying what to do. The returned Image is
// shared: do not change it.
func Lookup(ref string) (*Image, error) {
	r, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	f := familyOf(r.repo)
	if f == nil {
		return nil, pullDenied(r)
	}
	if r.tag == "" {
		return nil, fmt.Errorf("%w: %w: manifest for %s@%s not found: manifest unknown: manifest unknown\nlayerlab: the playground's stand-ins are not the real images and have other digests; name the image by its tag (%s:TAG)",
			ErrUnknown, ErrManifestUnknown, r.familiar, r.digest, r.familiar)
	}
	s, err := f.resolve(r.tag)
	if err != nil {
		return nil, manifestUnknown(f, r)
	}
	name := f.repo + ":" + s.canonicalTag()
	if s.exact() && !f.exactBuild {
		// An exact release is its line's image with its own version in the config:
		// the big layers are shared by every release of the line.
		ls := s
		ls.version = s.line.latest
		lineName := f.repo + ":" + ls.canonicalTag()
		return cached(s.key(), name, func() (*Image, error) {
			base, err := cached(ls.key(), lineName, func() (*Image, error) { return f.build(ls) }).get()
			if err != nil {
				return nil, err
			}
			return withVersion(base, s), nil
		}).get()
	}
	return cached(s.key(), name, func() (*Image, error) { return f.build(s) }).get()
}

// Names lists an example name:tag of every variant of every family (the catalog's
// example tags), sorted. The world is open, so this is not every name Lookup serves.
func Names() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range Catalog() {
		for _, v := range c.Variants {
			for _, t := range v.Tags {
				if n := c.Name + ":" + t; !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
