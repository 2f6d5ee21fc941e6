// Package baseimage serves the stand-ins for the public base images a Dockerfile
// starts FROM. layerlab has no network, so these take their place: each has the real
// image's config (Env, Cmd, Entrypoint, ports, volumes, user...) and history, and a
// filesystem skeleton that looks like the real one (the shell, coreutils, the package
// manager and its database, /etc/os-release, the users it creates, the runtime's
// commands on PATH) with large files whose content is generated filler
// (rootfs.Generated), so sizes are the real image's while memory stays small and no
// byte is produced until someone reads it.
//
// # An open world, as data
//
// Images are described as families (families.go, recipes.go, dotnet.go,
// distroless.go, rpm.go): a repository ("python", "mcr.microsoft.com/dotnet/sdk",
// "gcr.io/distroless/static-debian12"), its version lines (each with the release its
// tags resolve to, its dates and the newest release upstream published), its version
// words ("lts", "stable") and its tag forms ("slim-{deb}@debian-slim",
// "{v:cli,fpm,apache,zts}-{alp}@alpine"; see tagForm). A tag is parsed against the
// forms: python:3.8-slim-bullseye, node:18-alpine3.19, golang:1-alpine, php:8.2-fpm-alpine,
// eclipse-temurin:24.0.2_12-jdk-noble, lukemathwalker/cargo-chef:latest-rust-1.80.1. A
// distro release must have had official images while the line did (node:7-alpine3.19
// never existed); an unpinned tag stands on the newest release of its kind at the
// line's (or the exact release's, estimated) date, so python:3.9.2-alpine is Alpine 3.13.
// An exact release (python:3.9.2) is its line's image with its version in the config
// and history: the big layers are shared by all the releases of a line, which keeps
// the number of distinct layer contents bounded. The images of the families with a
// structure of their own (the distros, buildpack-deps, python, node, golang, nginx,
// distroless) have builders; the others are recipes, the official Dockerfile's steps
// as a list of ops.
//
// Lookup accepts Docker Hub under docker.io, index.docker.io, registry.docker.com and
// registry-1.docker.io, with or without library/; name:tag@sha256:... resolves by its
// tag (the stand-in cannot have the real digest), a digest alone does not. An unknown
// repository fails as Docker's pull does ("pull access denied for NAME, repository
// does not exist or may require 'docker login': ...", ErrPullDenied) and an unknown
// tag as a missing manifest ("manifest for NAME:TAG not found: manifest unknown:
// manifest unknown", ErrManifestUnknown), each with a layerlab line saying what to do;
// both wrap ErrUnknown.
//
// Catalog lists what is served, for a `docker search`-like listing and the images
// page: each repository with a one-line description, its version lines (newest first)
// and its variants with example tags (newest first), every one of which Lookup
// resolves. Names is those example tags as name:tag.
//
// The data describe Docker Hub as of 2026-12 (snapshot): the lines the stand-ins had
// before keep the releases of early 2025 their content and IDs were made with; later
// lines use the newest releases known, some of them estimated from the projects'
// release schedules.
//
// History rows are written as Docker's classic builder writes them
// ("/bin/sh -c #(nop)  ENV ...", "/bin/sh -c #(nop) ADD file:<sum> in / "), the form the
// rest of layerlab produces; the real images are built with BuildKit today, so their
// `docker history` reads "ENV ..." and "RUN /bin/sh -c ... # buildkit" instead. RUN texts
// follow the official Dockerfiles, abbreviated in places.
//
// Images are built on first use and kept in a bounded cache (they hold snapshots,
// never bytes, so an evicted one is rebuilt identically). Images derived from another
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
		return nil, &lookupError{errs: []error{ErrUnknown, ErrManifestUnknown}, msg: fmt.Sprintf("manifest for %s@%s not found: manifest unknown: manifest unknown\nlayerlab: the playground's stand-ins are not the real images and have other digests; name the image by its tag (%s:TAG)",
			r.familiar, r.digest, r.familiar)}
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
