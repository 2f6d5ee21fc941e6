package validate

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// ReadArchive reads a docker-archive (what `docker save` writes: manifest.json and the
// files it names, with or without an OCI image layout beside them) or an OCI image
// layout in a tar, gzipped or not, and returns a Source for each image it lists: one
// per manifest.json entry and one per image manifest index.json leads to, so both
// views of a saved image are checked. It holds the whole archive in memory, up to
// maxArchiveBytes of file content (more is an error naming the bound): it is for tests.
func ReadArchive(r io.Reader) ([]Source, error) {
	a, err := readFiles(r)
	if err != nil {
		return nil, fmt.Errorf("read archive: %w", err)
	}
	var out []Source
	mj, hasDocker := a["manifest.json"]
	ij, hasOCI := a["index.json"]
	if !hasDocker && !hasOCI {
		return nil, fmt.Errorf("read archive: %w: neither manifest.json nor index.json", ErrManifest)
	}
	if hasDocker {
		var entries []dockerEntry
		if err := json.Unmarshal(mj, &entries); err != nil {
			return nil, fmt.Errorf("read archive: manifest.json: %w: %w", ErrManifest, err)
		}
		for i, e := range entries {
			out = append(out, &dockerSource{files: a, entry: e, index: i})
		}
	}
	if hasOCI {
		srcs, err := a.index("index.json", ij, 0)
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		out = append(out, srcs...)
	}
	return out, nil
}

// archiveFiles are an archive's regular files by clean name ("blobs/sha256/<hex>").
type archiveFiles map[string][]byte

// maxArchiveBytes bounds the file content ReadArchive holds in memory.
var maxArchiveBytes int64 = 1 << 30

func readFiles(r io.Reader) (archiveFiles, error) {
	br := bufio.NewReader(r)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		in = zr
	}
	files := archiveFiles{}
	left := maxArchiveBytes
	tr := tar.NewReader(in)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > left {
			return nil, fmt.Errorf("%s: the archive's files exceed the %d bytes the checker holds in memory", h.Name, maxArchiveBytes)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		left -= int64(len(b))
		files[cleanName(h.Name)] = b
	}
}

func cleanName(name string) string { return strings.TrimPrefix(path.Clean("/"+name), "/") }

// blobName is where an OCI layout keeps blob d.
func blobName(d digest.Digest) string { return "blobs/" + d.Algorithm().String() + "/" + d.Encoded() }

func (a archiveFiles) open(name string) (io.ReadCloser, error) {
	b, ok := a[cleanName(name)]
	if !ok {
		return nil, fmt.Errorf("%s: no such file in the archive", name)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (a archiveFiles) openBlob(_ context.Context, d digest.Digest) (io.ReadCloser, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return a.open(blobName(d))
}

// index returns a Source per image manifest an OCI index leads to (an index inside it
// is followed, a few levels deep).
func (a archiveFiles) index(name string, raw []byte, depth int) ([]Source, error) {
	if depth > 4 {
		return nil, fmt.Errorf("%s: %w: indexes nested too deep", name, ErrManifest)
	}
	var idx manifestJSON
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrManifest, err)
	}
	var out []Source
	for i, d := range idx.Manifests {
		where := fmt.Sprintf("%s manifests[%d]", name, i)
		if ref := d.Annotations["io.containerd.image.name"]; ref != "" {
			where += " (" + ref + ")"
		} else if ref := d.Annotations["org.opencontainers.image.ref.name"]; ref != "" {
			where += " (" + ref + ")"
		}
		if err := d.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w: %w", where, ErrManifest, err)
		}
		b, ok := a[blobName(d.Digest)]
		if !ok {
			return nil, fmt.Errorf("%s: %w: %s is not in the archive", where, ErrMissingBlob, d.Digest)
		}
		if d.MediaType == MediaOCIIndex || d.MediaType == MediaDockerList {
			more, err := a.index(where, b, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
			continue
		}
		out = append(out, &manifestSource{name: where,
			man:  Manifest{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Raw: b},
			open: a.openBlob})
	}
	return out, nil
}

// dockerEntry is one image of a docker-archive's manifest.json.
type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// dockerSource is an image as a docker-archive's manifest.json lists it: the config
// file, named by the image ID, and the layer tars, uncompressed.
type dockerSource struct {
	files archiveFiles
	entry dockerEntry
	index int
}

func (s *dockerSource) Name() string {
	n := fmt.Sprintf("manifest.json[%d]", s.index)
	if len(s.entry.RepoTags) > 0 {
		n += " (" + strings.Join(s.entry.RepoTags, ", ") + ")"
	}
	return n
}

// digestOfName is the digest a file's name claims: blobs/sha256/<hex> (Docker 25's
// save), <hex>.json (a config, Docker 20.10's), <hex>/layer.tar (a layer, Docker
// 20.10's; that <hex> is not a digest of anything), else "".
func digestOfName(name string) digest.Digest {
	name = cleanName(name)
	if rest, ok := strings.CutPrefix(name, "blobs/"); ok {
		if alg, hex, ok := strings.Cut(rest, "/"); ok {
			return digest.NewDigestFromEncoded(digest.Algorithm(alg), hex)
		}
	}
	if hex, ok := strings.CutSuffix(name, ".json"); ok && !strings.Contains(hex, "/") {
		return digest.NewDigestFromEncoded(digest.SHA256, hex)
	}
	return ""
}

// ID implements Source: what the config file's name says.
func (s *dockerSource) ID() digest.Digest { return digestOfName(s.entry.Config) }

func (s *dockerSource) RawConfig(context.Context) ([]byte, error) {
	b, ok := s.files[cleanName(s.entry.Config)]
	if !ok {
		return nil, fmt.Errorf("%s: %w: not in the archive", s.entry.Config, ErrMissingBlob)
	}
	return b, nil
}

// Layers implements Source: a layer stored as blobs/sha256/<hex> claims <hex> as its
// diff ID (the blob is its uncompressed tar); one at <dir>/layer.tar claims nothing.
func (s *dockerSource) Layers(context.Context) ([]Layer, error) {
	out := make([]Layer, len(s.entry.Layers))
	for i, name := range s.entry.Layers {
		out[i] = Layer{Size: -1, TarSize: -1}
		if strings.HasPrefix(cleanName(name), "blobs/") {
			out[i].DiffID = digestOfName(name)
		}
	}
	return out, nil
}

func (s *dockerSource) OpenLayer(_ context.Context, i int) (io.ReadCloser, error) {
	return s.files.open(s.entry.Layers[i])
}

func (s *dockerSource) OpenCompressed(context.Context, int) (io.ReadCloser, error) {
	return nil, fmt.Errorf("a docker-archive's layers are plain tars: %w", ErrUnavailable)
}
