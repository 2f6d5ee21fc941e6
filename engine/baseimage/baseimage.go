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
	"strings"
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

// entry is one served image: built on first use, then shared.
type entry struct {
	canonical string
	build     func() (*Image, error)
	once      sync.Once
	img       *Image
	err       error
}

func (e *entry) get() (*Image, error) {
	e.once.Do(func() {
		e.img, e.err = e.build()
		if e.err != nil {
			e.err = fmt.Errorf("build base image %s: %w", e.canonical, e.err)
		}
	})
	return e.img, e.err
}

var (
	regOnce sync.Once
	byName  map[string]*entry // every served "name:tag", aliases included
)

// registry returns the table of served images. It is filled once; the builders it
// names run only when their image is first looked up.
func registry() map[string]*entry {
	regOnce.Do(func() {
		byName = map[string]*entry{}
		for _, d := range definitions() {
			e := &entry{canonical: d.names[0], build: d.build}
			for _, n := range d.names {
				if _, dup := byName[n]; dup {
					panic("baseimage: name served twice: " + n)
				}
				byName[n] = e
			}
		}
	})
	return byName
}

// definition is one image and every name:tag it is served under; names[0] is its
// canonical name.
type definition struct {
	names []string
	build func() (*Image, error)
}

// get returns a served image by its exact name:tag; builders use it for their bases.
func get(name string) (*Image, error) {
	e, ok := registry()[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknown, name)
	}
	return e.get()
}

// Lookup returns the stand-in for a reference: name[:tag] in familiar or normalised form
// ("python:3.11", "docker.io/library/python:3.11", "library/python"). A missing tag
// means latest. An unknown reference gives an error wrapping ErrUnknown that names the
// reference and what is available. The returned Image is shared: do not change it.
func Lookup(ref string) (*Image, error) {
	r, err := image.ParseRef(ref)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknown, err)
	}
	if r.Digest() != "" {
		return nil, fmt.Errorf("%w: image %q: the built-in base images of the layerlab playground are named by tag, not digest (it has no network); available: %s",
			ErrUnknown, ref, strings.Join(repositories(), ", "))
	}
	name := r.Repository() + ":" + r.Tag()
	if r.Domain() != "docker.io" || !strings.HasPrefix(r.Path(), "library/") {
		return nil, unknown(r.Familiar(), "")
	}
	e, ok := registry()[name]
	if !ok {
		return nil, unknown(r.Familiar(), r.Repository())
	}
	return e.get()
}

// unknown explains that ref is not served: with the tags of repo when the repository
// exists, else with every repository.
func unknown(ref, repo string) error {
	// Only canonical tags: every alias (3.11.11, 3.11-bookworm, latest) would be too many.
	seen := map[string]bool{}
	var tags []string
	for _, e := range registry() {
		if r, t, _ := strings.Cut(e.canonical, ":"); r == repo && !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	if len(tags) > 0 {
		return fmt.Errorf("%w: image %q is not a built-in base image of the layerlab playground (it has no network); %s tags: %s (and aliases such as %s:latest)",
			ErrUnknown, ref, repo, strings.Join(tags, ", "), repo)
	}
	return fmt.Errorf("%w: image %q is not a built-in base image of the layerlab playground (it has no network); available: %s",
		ErrUnknown, ref, strings.Join(repositories(), ", "))
}

// repositories lists the served repository names, sorted.
func repositories() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range Names() {
		r, _, _ := strings.Cut(n, ":")
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// Names lists every name:tag served, aliases included, sorted.
func Names() []string {
	reg := registry()
	out := make([]string, 0, len(reg))
	for n := range reg {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
