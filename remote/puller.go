package remote

import (
	"context"
	"errors"
	"fmt"

	"layerlab/db"
	"layerlab/engine/baseimage"
	"layerlab/engine/build"
	"layerlab/engine/image"
	"layerlab/engine/rootfs"
)

// Puller is what a build pulls a missing FROM image with, as `docker build` pulls from
// its registry: an official name the stand-ins serve comes from Fallback (the stand-ins,
// which are what the hub's library/ holds); any other name without a registry address
// from the built-in hub (the workspace's own namespace, then library/, or a classmate's
// NS/NAME). Names with an address
// are left to Fallback, which refuses them: a build does not reach the network.
type Puller struct {
	Store    *db.Store
	Fallback build.Puller
}

// Pull implements build.Puller.
func (p Puller) Pull(ctx context.Context, s build.Store, ref image.Ref) (*image.Record, *rootfs.FS, error) {
	// An official name the stand-ins serve is what the hub's library/ holds: take it
	// from them directly (generated, with its filesystems), with no hub lookups on the
	// path of a class's first builds.
	if _, err := baseimage.Lookup(ref.String()); err == nil && p.Fallback != nil {
		return p.Fallback.Pull(ctx, s, ref)
	}
	st, ok := s.(Store)
	named, hasName := s.(interface{ Name() string })
	if p.Store != nil && ok && hasName && ref.Domain() == "docker.io" {
		// library/ is not made here either: its first use compresses a gigabyte.
		hub := &Hub{Store: p.Store, Namespace: db.HubNamespace(named.Name()), noLibrary: true}
		res, err := Pull(ctx, st, hub, ref, PullOptions{})
		switch {
		case err == nil:
			rec, err := s.Image(ctx, res.ID)
			if err != nil {
				return nil, nil, fmt.Errorf("pull %s from the hub: %w", ref.Familiar(), err)
			}
			return rec, nil, nil
		case !errors.Is(err, ErrManifestUnknown):
			return nil, nil, fmt.Errorf("pull %s from the hub: %w", ref.Familiar(), err)
		}
	}
	if p.Fallback == nil {
		return nil, nil, fmt.Errorf("pull access denied for %s, repository does not exist or may require 'docker login'", ref.Repository())
	}
	return p.Fallback.Pull(ctx, s, ref)
}

// Restore hands the builder the stand-ins' generated filesystems (build.Restorer), so
// wrapping StandIns costs nothing when a snapshot is rebuilt.
func (p Puller) Restore(name string) ([]*rootfs.FS, bool) {
	if r, ok := p.Fallback.(build.Restorer); ok {
		return r.Restore(name)
	}
	return nil, false
}
