// Package archive writes and reads images as a docker-archive: the tar `docker save`
// writes and `docker load` reads (manifest.json, the config blobs, the layer tars), with
// an OCI image layout inside it. Load also reads plain OCI layouts.
package archive

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// Blobs opens stored layer blobs (uncompressed tars, by diffID).
type Blobs interface {
	OpenBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error)
}

// BlobSizer is optionally implemented to give a blob's size without reading it.
type BlobSizer interface {
	BlobSize(ctx context.Context, d digest.Digest) (int64, error)
}

// Item is one image to save with the tags to record for it.
type Item struct {
	Record *image.Record
	Tags   []string // familiar references, e.g. demo:v1
}

type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// Save writes items as a docker-archive to w, with an OCI image layout inside it (as
// Docker 25's `docker save` writes): index.json, oci-layout, and every blob under
// blobs/sha256/. Layers are written once, uncompressed, at blobs/sha256/<diffID>, and
// both manifest.json and the OCI manifests point at them; layers shared between images
// are written once. Each config is also at <ID>.json, where Docker 20.10 puts it.
func Save(ctx context.Context, w io.Writer, blobs Blobs, items []Item) error {
	tw := tar.NewWriter(w)
	mtime := time.Unix(0, 0).UTC()
	written := map[string]bool{}
	var manifest []manifestEntry
	var index []ociDescriptor
	repos := map[string]map[string]string{}
	sizes := map[digest.Digest]int64{}
	dir := func(name string) error {
		if written[name] {
			return nil
		}
		written[name] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: mtime})
	}
	file := func(name string, b []byte) error {
		if written[name] {
			return nil
		}
		written[name] = true
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: mtime}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := dir("blobs/"); err != nil {
		return err
	}
	if err := dir("blobs/sha256/"); err != nil {
		return err
	}
	for _, it := range items {
		rec := it.Record
		raw, err := rec.RawConfig(ctx)
		if err != nil {
			return fmt.Errorf("save %s: read config: %w", image.ShortID(rec.ID), err)
		}
		img, err := rec.ConfigFile(ctx)
		if err != nil {
			return fmt.Errorf("save %s: read config: %w", image.ShortID(rec.ID), err)
		}
		me := manifestEntry{Config: rec.ID.Encoded() + ".json", RepoTags: it.Tags}
		om := ociManifest{SchemaVersion: 2, MediaType: mediaOCIManifest,
			Config: ociDescriptor{MediaType: mediaOCIConfig, Digest: rec.ID, Size: int64(len(raw))},
			Layers: []ociDescriptor{}}
		for _, l := range img.RootFS.DiffIDs {
			name := "blobs/sha256/" + l.Encoded()
			me.Layers = append(me.Layers, name)
			if !written[name] {
				n, err := copyBlob(ctx, tw, blobs, l, tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, ModTime: mtime})
				if err != nil {
					return fmt.Errorf("save %s: layer %s: %w", image.ShortID(rec.ID), l, err)
				}
				written[name] = true
				sizes[l] = n
			}
			om.Layers = append(om.Layers, ociDescriptor{MediaType: mediaOCILayer, Digest: l, Size: sizes[l]})
		}
		if err := file("blobs/sha256/"+rec.ID.Encoded(), raw); err != nil {
			return fmt.Errorf("save %s: %w", image.ShortID(rec.ID), err)
		}
		if err := file(me.Config, raw); err != nil {
			return fmt.Errorf("save %s: %w", image.ShortID(rec.ID), err)
		}
		mb, err := json.Marshal(om)
		if err != nil {
			return err
		}
		md := ociDescriptor{MediaType: mediaOCIManifest, Digest: digest.FromBytes(mb), Size: int64(len(mb))}
		if err := file("blobs/sha256/"+md.Digest.Encoded(), mb); err != nil {
			return err
		}
		manifest = append(manifest, me)
		if len(it.Tags) == 0 {
			index = append(index, md)
		}
		for _, t := range it.Tags {
			ref, err := image.ParseRef(t)
			if err != nil {
				continue
			}
			d := md
			d.Annotations = map[string]string{annotationImageName: ref.String(), annotationRefName: ref.Tag()}
			index = append(index, d)
			if repos[ref.Repository()] == nil {
				repos[ref.Repository()] = map[string]string{}
			}
			repos[ref.Repository()][ref.Tag()] = rec.ID.Encoded()
		}
	}
	ib, err := json.Marshal(ociIndex{SchemaVersion: 2, MediaType: mediaOCIIndex, Manifests: index})
	if err != nil {
		return err
	}
	if err := file("index.json", ib); err != nil {
		return err
	}
	mb, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	if err := file("manifest.json", mb); err != nil {
		return err
	}
	if err := file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if len(repos) > 0 {
		rb, _ := json.Marshal(repos)
		if err := file("repositories", rb); err != nil {
			return err
		}
	}
	return tw.Close()
}

// copyBlob streams a layer into the archive under hdr (its name, time, mode and
// owner; copyBlob sets the size). The header needs the size first: it is taken from
// the store when it can say, else the blob is counted on a first read. It returns the
// blob's size.
func copyBlob(ctx context.Context, tw *tar.Writer, blobs Blobs, d digest.Digest, hdr tar.Header) (int64, error) {
	var size int64 = -1
	if s, ok := blobs.(BlobSizer); ok {
		if n, err := s.BlobSize(ctx, d); err == nil {
			size = n
		}
	}
	if size < 0 {
		rc, err := blobs.OpenBlob(ctx, d)
		if err != nil {
			return 0, err
		}
		size, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return 0, err
		}
	}
	rc, err := blobs.OpenBlob(ctx, d)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	hdr.Size = size
	if err := tw.WriteHeader(&hdr); err != nil {
		return 0, err
	}
	n, err := io.Copy(tw, rc)
	if err != nil {
		return 0, err
	}
	if n != size {
		return 0, fmt.Errorf("blob is %d bytes, expected %d", n, size)
	}
	return size, nil
}
