package baseimage

import (
	"fmt"
	"sort"
	"strings"

	"layerlab/engine/image"
)

// hubAliases are the host names of Docker Hub that references use besides docker.io:
// the daemon's own normalisation only knows index.docker.io; registry.docker.com and
// registry-1.docker.io serve the same repositories.
var hubAliases = map[string]bool{"docker.io": true, "index.docker.io": true, "registry.docker.com": true, "registry-1.docker.io": true}

// parsedRef is a reference as the families know it.
type parsedRef struct {
	repo     string // family key: "python", "continuumio/miniconda3", "mcr.microsoft.com/dotnet/sdk"
	tag      string // "" for a digest-only reference
	digest   string
	familiar string // the name as Docker prints it ("python", "mcr.microsoft.com/dotnet/sdk")
}

// parseRef normalises a reference: Docker Hub under any of its host names, library/
// for official images.
func parseRef(s string) (parsedRef, error) {
	r, err := image.ParseRef(s)
	if err != nil {
		return parsedRef{}, fmt.Errorf("%w: %w", ErrUnknown, err)
	}
	p := parsedRef{tag: r.Tag(), digest: r.Digest()}
	if hubAliases[r.Domain()] {
		p.repo = strings.TrimPrefix(r.Path(), "library/")
		p.familiar = p.repo
	} else {
		p.repo = r.Domain() + "/" + r.Path()
		p.familiar = p.repo
	}
	return p, nil
}

// pullDenied is Docker's error for a repository it cannot pull, and how to bring it.
func pullDenied(r parsedRef) error {
	return &lookupError{errs: []error{ErrUnknown, ErrPullDenied}, msg: fmt.Sprintf("pull access denied for %s, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n"+
		"layerlab: %s is not one of the playground's built-in images (it has no network); on a machine with Docker, `docker pull %s` and `docker save -o image.tar %s`, then `layerlab load -i image.tar` here",
		r.familiar, r.familiar, r.familiar+":"+orLatest(r.tag), r.familiar+":"+orLatest(r.tag))}
}

// manifestUnknown is Docker's error for a tag the repository does not have, with the
// tags of the family closest to it.
func manifestUnknown(f *family, r parsedRef) error {
	return &lookupError{errs: []error{ErrUnknown, ErrManifestUnknown}, msg: fmt.Sprintf("manifest for %s:%s not found: manifest unknown: manifest unknown\nlayerlab: %s has no tag %q; tags that exist include %s",
		r.familiar, r.tag, r.familiar, r.tag, strings.Join(closeTags(f, r.tag, 6), ", "))}
}

// lookupError is a Lookup failure with Docker's text alone, classified by the
// sentinels it wraps.
type lookupError struct {
	msg  string
	errs []error
}

func (e *lookupError) Error() string   { return e.msg }
func (e *lookupError) Unwrap() []error { return e.errs }

func orLatest(t string) string {
	if t == "" {
		return "latest"
	}
	return t
}

// closeTags are up to n example tags of f, those sharing the longest prefix with tag first.
func closeTags(f *family, tag string, n int) []string {
	var all []string
	for _, v := range catalogOf(f).Variants {
		all = append(all, v.Tags...)
	}
	common := func(a string) int {
		i := 0
		for i < len(a) && i < len(tag) && a[i] == tag[i] {
			i++
		}
		return i
	}
	sort.SliceStable(all, func(i, j int) bool { return common(all[i]) > common(all[j]) })
	seen := map[string]bool{}
	var out []string
	for _, t := range all {
		if !seen[t] && len(out) < n {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
