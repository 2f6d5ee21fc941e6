package build

import (
	"context"
	"fmt"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/baseimage"
	"layerlab/engine/image"
	"layerlab/engine/rootfs"
	"layerlab/engine/standin"
)

// StandIns pulls the built-in stand-in base images (engine/baseimage) into a store, as
// `docker pull` would fetch them from Docker Hub: real layer tars, real digests, the
// real images' config and history.
type StandIns struct{}

// Pull implements Puller.
func (StandIns) Pull(ctx context.Context, s Store, ref image.Ref) (*image.Record, *rootfs.FS, error) {
	// baseimage knows which registries it serves (Docker Hub under its host names,
	// mcr.microsoft.com/dotnet, gcr.io/distroless, ghcr.io/astral-sh/uv) and refuses the
	// rest with Docker's "pull access denied" and how to bring the image.
	base, err := baseimage.Lookup(ref.String())
	if err != nil {
		return nil, nil, err
	}
	rec, err := importBase(ctx, s, base)
	if err != nil {
		return nil, nil, fmt.Errorf("pull %s: %w", ref.Familiar(), err)
	}
	if err := s.Tag(ctx, ref, rec.ID); err != nil {
		return nil, nil, fmt.Errorf("pull %s: %w", ref.Familiar(), err)
	}
	return rec, base.Layers[len(base.Layers)-1], nil
}

// importBase stores a stand-in's layers and config. A store that can hold generated
// content (GeneratedStore) gets each layer as a recipe, known by digest and size from
// its fingerprint, with no bytes made; any other store gets the bytes.
func importBase(ctx context.Context, s Store, base *baseimage.Image) (*image.Record, error) {
	img := &image.Image{
		Created:      base.Created,
		Config:       base.Config.Clone(),
		Architecture: base.Architecture,
		OS:           base.OS,
		RootFS:       image.RootFS{Type: "layers"},
		History:      append([]image.History(nil), base.History...),
	}
	gs, generated := s.(GeneratedStore)
	prev := rootfs.New()
	var layers []image.Layer
	for i, fs := range base.Layers {
		changes := rootfs.Diff(prev, fs)
		var l image.Layer
		var err error
		if generated {
			l, err = putStandInLayer(ctx, gs, base.Name, i, changes)
		} else {
			l, err = storeBaseLayer(ctx, s, base.Name, i, changes)
		}
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.DiffID)
		prev = fs
	}
	raw, id, err := img.Encode()
	if err != nil {
		return nil, err
	}
	rec := &image.Record{ID: id, Config: raw, Image: img, Layers: layers, Created: base.Created,
		Build: &image.StepInfo{Keyword: "FROM", StandIn: base.Name}}
	if err := s.PutImage(ctx, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// Restore implements Restorer: the layer snapshots of a stand-in, by name.
func (StandIns) Restore(name string) ([]*rootfs.FS, bool) {
	base, err := baseimage.Lookup(name)
	if err != nil {
		return nil, false
	}
	return base.Layers, true
}

// Import stores a filesystem as a one-layer image with an empty config, as
// `docker import` does; h is its one history row (Comment "Imported from -").
func Import(ctx context.Context, s Store, f *rootfs.FS, h image.History, created time.Time) (digest.Digest, error) {
	l, err := storeLayer(ctx, s, "", rootfs.Diff(rootfs.New(), f))
	if err != nil {
		return "", err
	}
	h.Created = created
	img := &image.Image{
		Created: created, DockerVersion: image.DockerVersion, Config: &image.ContainerConfig{},
		Architecture: "amd64", OS: "linux", Comment: h.Comment,
		RootFS:  image.RootFS{Type: "layers", DiffIDs: []digest.Digest{l.DiffID}},
		History: []image.History{h},
	}
	raw, id, err := img.Encode()
	if err != nil {
		return "", err
	}
	rec := &image.Record{ID: id, Config: raw, Image: img, Layers: []image.Layer{l}, Created: created}
	return id, s.PutImage(ctx, rec)
}

// baseLayers remembers the layers of the stand-ins pulled so far ("name#i" ->
// image.Layer): a stand-in's layers are the same bytes every time, so a later pull
// into another workspace only renews the stored blob instead of writing it again.
var baseLayers sync.Map

// putStandInLayer records layer i of a stand-in as generated content. Its diffID and
// size come from the embedded table by fingerprint, else from what the store remembers,
// else from one streaming pass over the bytes (which the store then remembers).
func putStandInLayer(ctx context.Context, gs GeneratedStore, name string, i int, changes []rootfs.Change) (image.Layer, error) {
	fp, err := standin.Fingerprint(changes)
	if err != nil {
		return image.Layer{}, fmt.Errorf("stand-in %s layer %d: %w", name, i, err)
	}
	d, size, ok := standin.Known(fp)
	if !ok {
		d, size, ok, err = gs.StandInLayer(ctx, fp)
		if err != nil {
			return image.Layer{}, fmt.Errorf("stand-in %s layer %d: %w", name, i, err)
		}
	}
	if !ok {
		if d, size, err = standin.Measure(changes); err != nil {
			return image.Layer{}, fmt.Errorf("stand-in %s layer %d: %w", name, i, err)
		}
		if err := gs.RememberStandInLayer(ctx, fp, d, size); err != nil {
			return image.Layer{}, err
		}
	}
	recipe := standin.Recipe{StandIn: name, Layer: i, Fingerprint: fp}
	if err := gs.PutGenerated(ctx, d, size, recipe.Encode()); err != nil {
		return image.Layer{}, fmt.Errorf("store layer: %w", err)
	}
	return image.Layer{DiffID: d, Size: layerSize(changes)}, nil
}

// storeBaseLayer writes layer i of a stand-in into a store that holds only bytes.
func storeBaseLayer(ctx context.Context, s Store, name string, i int, changes []rootfs.Change) (image.Layer, error) {
	key := fmt.Sprintf("%s#%d", name, i)
	if known, ok := baseLayers.Load(key); ok {
		// A stand-in's layers are the same bytes every time: when the blob is
		// stored already, PutBlob with its digest reads nothing and writes no file.
		return storeLayer(ctx, s, known.(image.Layer).DiffID, changes)
	}
	l, err := storeLayer(ctx, s, "", changes)
	if err == nil {
		baseLayers.Store(key, l)
	}
	return l, err
}
