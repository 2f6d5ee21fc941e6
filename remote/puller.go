package remote

import (
	"context"
	"errors"
	"fmt"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/image"
	"layerlab/engine/rootfs"
)

// Puller is what a build pulls a missing FROM image with, as `docker build` pulls from
// its registry: a name without a registry address comes from the built-in hub when the
// hub has it (the workspace's own namespace, a classmate's NS/NAME, library/), else
// from Fallback (the built-in stand-ins of the official images). Names with an address
// are left to Fallback, which refuses them: a build does not reach the network.
type Puller struct {
	Store    *db.Store
	Fallback build.Puller
}

// Pull implements build.Puller.
func (p Puller) Pull(ctx context.Context, s build.Store, ref image.Ref) (*image.Record, *rootfs.FS, error) {
	st, ok := s.(Store)
	named, hasName := s.(interface{ Name() string })
	if p.Store != nil && ok && hasName && ref.Domain() == "docker.io" {
		// The stand-ins come straight from Fallback (generated, with their filesystems),
		// not through library/, whose first use compresses a gigabyte.
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
