// Package archivetest writes docker-archives for tests and benchmarks of load.
package archivetest

import (
	"archive/tar"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// WriteArchive writes dir/image.tar: a docker-archive of one image tagged tag with
// layers layers, each holding files files of size random bytes. It returns the path
// and the archive's size.
func WriteArchive(dir, tag string, layers, files int, size int64) (string, int64, error) {
	path := filepath.Join(dir, "image.tar")
	f, err := os.Create(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	var names []string
	var diffIDs []digest.Digest
	for i := 0; i < layers; i++ {
		lp := filepath.Join(dir, fmt.Sprintf("layer%d.tar", i))
		lf, err := os.Create(lp)
		if err != nil {
			return "", 0, err
		}
		h := sha256.New()
		ltw := tar.NewWriter(io.MultiWriter(lf, h))
		for j := 0; j < files; j++ {
			if err := ltw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%d/f%d", i, j), Typeflag: tar.TypeReg, Size: size, Mode: 0o644}); err != nil {
				return "", 0, err
			}
			if _, err := io.CopyN(ltw, rand.Reader, size); err != nil {
				return "", 0, err
			}
		}
		if err := ltw.Close(); err != nil {
			return "", 0, err
		}
		n, _ := lf.Seek(0, io.SeekCurrent)
		lf.Seek(0, io.SeekStart)
		name := fmt.Sprintf("%064x/layer.tar", i)
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: n, Mode: 0o644})
		if _, err := io.Copy(tw, lf); err != nil {
			return "", 0, err
		}
		lf.Close()
		os.Remove(lp)
		names = append(names, name)
		diffIDs = append(diffIDs, digest.NewDigest(digest.SHA256, h))
	}
	img := &image.Image{OS: "linux", Architecture: "amd64", Config: &image.ContainerConfig{}, RootFS: image.RootFS{Type: "layers", DiffIDs: diffIDs}}
	cfg, id, err := img.Encode()
	if err != nil {
		return "", 0, err
	}
	tw.WriteHeader(&tar.Header{Name: id.Encoded() + ".json", Typeflag: tar.TypeReg, Size: int64(len(cfg)), Mode: 0o644})
	tw.Write(cfg)
	m, _ := json.Marshal([]map[string]any{{"Config": id.Encoded() + ".json", "RepoTags": []string{tag}, "Layers": names}})
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Size: int64(len(m)), Mode: 0o644})
	tw.Write(m)
	if err := tw.Close(); err != nil {
		return "", 0, err
	}
	total, _ := f.Seek(0, io.SeekCurrent)
	return path, total, nil
}
