package remote

import (
	"context"
	"strings"

	"layerlab/engine/baseimage"
	"layerlab/engine/build"
)

// ServedByStandIn reports whether n names an image on a public registry other than the
// hub (mcr.microsoft.com, gcr.io, ghcr.io, registry.docker.com, ...) that the built-in
// stand-ins serve. The playground has no network, so such a pull is the stand-in a
// build FROM that name uses, never a request to that host.
func ServedByStandIn(n Name) bool {
	if !n.HasHost || n.Ref.Digest() != "" {
		return false
	}
	_, err := baseimage.Lookup(n.Ref.String())
	return err == nil
}

// PullStandIn pulls such an image from the stand-ins into st, reporting as a pull
// does (the repository, one "Pull complete" per layer, the status line), with a
// [layerlab] line that says the host was not asked.
func PullStandIn(ctx context.Context, st build.Store, n Name, opt PullOptions) (*PullResult, error) {
	p := newProgress(opt.Out, opt.Progress)
	p.send(Message{ID: n.Ref.Tag(), Status: "Pulling from " + strings.TrimPrefix(n.Ref.Path(), "library/")})
	p.line("[layerlab] " + n.Ref.Domain() + " is not reachable from the playground (no network): this is its built-in stand-in")
	had, _ := st.Lookup(ctx, n.Ref.String())
	rec, _, err := build.StandIns{}.Pull(ctx, st, n.Ref)
	if err != nil {
		return nil, &DaemonError{Err: err}
	}
	for _, l := range rec.Layers {
		p.layer(shortID(l.DiffID), "Pull complete")
	}
	res := &PullResult{ID: rec.ID, UpToDate: had != nil && had.ID == rec.ID, Downloaded: len(rec.Layers)}
	if res.UpToDate {
		p.line("Status: Image is up to date for " + n.Ref.String())
	} else {
		p.line("Status: Downloaded newer image for " + n.Ref.String())
	}
	return res, nil
}

// LibraryWorkspace is the store workspace the hub's library/ stand-ins are built in
// before they are pushed there: the server fills it itself, so no student quota
// applies to it (the stand-in budget bounds it instead), and it never expires.
const LibraryWorkspace = libraryWorkspace
