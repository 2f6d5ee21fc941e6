// Package archive writes images as a docker-archive: the tar `docker save` writes and
// `docker load` reads (manifest.json, the config blob, one layer.tar per layer).
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

// Save writes items as a docker-archive to w. Layers shared between images are written
// once.
func Save(ctx context.Context, w io.Writer, blobs Blobs, items []Item) error {
	tw := tar.NewWriter(w)
	mtime := time.Unix(0, 0).UTC()
	written := map[string]bool{}
	var manifest []manifestEntry
	repos := map[string]map[string]string{}
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
	for _, it := range items {
		rec := it.Record
		cfgName := rec.ID.Encoded() + ".json"
		raw, err := rec.RawConfig()
		if err != nil {
			return fmt.Errorf("save %s: %w", image.ShortID(rec.ID), err)
		}
		if err := file(cfgName, raw); err != nil {
			return fmt.Errorf("save %s: %w", image.ShortID(rec.ID), err)
		}
		me := manifestEntry{Config: cfgName, RepoTags: it.Tags}
		if me.RepoTags == nil {
			me.RepoTags = nil
		}
		for _, l := range rec.Img().RootFS.DiffIDs {
			name := l.Encoded() + "/layer.tar"
			me.Layers = append(me.Layers, name)
			if written[name] {
				continue
			}
			if err := dir(l.Encoded() + "/"); err != nil {
				return err
			}
			if err := file(l.Encoded()+"/VERSION", []byte("1.0")); err != nil {
				return err
			}
			if err := copyBlob(ctx, tw, blobs, l, name, mtime); err != nil {
				return fmt.Errorf("save %s: layer %s: %w", image.ShortID(rec.ID), l, err)
			}
			written[name] = true
		}
		manifest = append(manifest, me)
		for _, t := range it.Tags {
			ref, err := image.ParseRef(t)
			if err != nil {
				continue
			}
			if repos[ref.Repository()] == nil {
				repos[ref.Repository()] = map[string]string{}
			}
			repos[ref.Repository()][ref.Tag()] = rec.ID.Encoded()
		}
	}
	mb, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	if err := file("manifest.json", mb); err != nil {
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

// copyBlob streams a layer into the archive. The header needs the size first: it is
// taken from the store when it can say, else the blob is counted on a first read.
func copyBlob(ctx context.Context, tw *tar.Writer, blobs Blobs, d digest.Digest, name string, mtime time.Time) error {
	var size int64 = -1
	if s, ok := blobs.(BlobSizer); ok {
		if n, err := s.BlobSize(ctx, d); err == nil {
			size = n
		}
	}
	if size < 0 {
		rc, err := blobs.OpenBlob(ctx, d)
		if err != nil {
			return err
		}
		size, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	rc, err := blobs.OpenBlob(ctx, d)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: mtime}); err != nil {
		return err
	}
	n, err := io.Copy(tw, rc)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("blob is %d bytes, expected %d", n, size)
	}
	return nil
}
