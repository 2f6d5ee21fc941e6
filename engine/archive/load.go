package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"path"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/bufpipe"
	"layerlab/engine/image"
	"layerlab/engine/layertar"
	"layerlab/engine/rootfs"
)

// Store is what Load needs from an image store (build.Store has all of it).
type Store interface {
	// PutBlob stores content and returns its digest and size; a reader that fails
	// leaves nothing stored.
	PutBlob(ctx context.Context, d digest.Digest, r io.Reader) (digest.Digest, int64, error)
	// PutImage stores an image whose layer blobs are stored.
	PutImage(ctx context.Context, rec *image.Record) error
	// Tag points ref at id.
	Tag(ctx context.Context, ref image.Ref, id digest.Digest) error
	// Lookup resolves a reference, to tell which image a tag named before.
	Lookup(ctx context.Context, ref string) (*image.Record, error)
}

// LoadOptions bound what loading an untrusted archive may cost: the Limits a pull has
// too (engine/layertar; remote uses the same type and defaults), so an image one of them
// accepts the other accepts, and a bound on the JSON an archive may hold. Zero fields
// take the defaults (layertar.DefaultLimits, DefaultMaxJSONBytes).
type LoadOptions struct {
	layertar.Limits
	MaxJSONBytes int64 // all the JSON files kept together
}

// DefaultMaxJSONBytes is LoadOptions.MaxJSONBytes' default.
const DefaultMaxJSONBytes = 64 << 20

func (o LoadOptions) withDefaults() LoadOptions {
	o.Limits = o.Limits.WithDefaults()
	if o.MaxJSONBytes <= 0 {
		o.MaxJSONBytes = DefaultMaxJSONBytes
	}
	return o
}

// Loaded is one image Load stored, with the tags it now has.
type Loaded struct {
	ID   digest.Digest
	Tags []LoadedTag
}

// LoadedTag is a tag Load set; Previous is the image it named before ("" if none or
// the same), for Docker's "renaming the old one" line.
type LoadedTag struct {
	Ref      image.Ref
	Previous digest.Digest
}

// Load reads a docker-archive (what `docker save` writes, optionally gzipped) or an OCI
// image layout in a tar, and stores its images and tags.
//
// The archive is read once, as a stream: each layer is hashed and stored as it goes
// by (uncompressed, addressed by diffID: gzip layers of an OCI layout are inflated,
// never recompressed) and its tar is checked on the way (names, sizes, trailing
// bytes). Only when the whole archive is read are the manifests resolved, each layer
// matched to its config's diff_id, and each image's layers replayed through
// rootfs.Apply's checks (symlink write-through, hard links). Nothing is put as an
// image or tagged unless every image passes. Layer blobs stored before a failure are
// referenced by no image; the store's GC removes them.
func Load(ctx context.Context, r io.Reader, st Store, opt LoadOptions) ([]Loaded, error) {
	opt = opt.withDefaults()
	l := &loader{ctx: ctx, st: st, opt: opt, check: &layertar.Checker{Limits: opt.Limits,
		ErrInvalid: ErrInvalid, ErrTooLarge: rootfs.ErrTooLarge, ErrBomb: ErrBomb},
		files: map[string][]byte{}, layers: map[string]*layerInfo{}, links: map[string]string{},
		buf: make([]byte, 1<<20)}
	err := l.read(r)
	if werr := l.wait(0); err == nil {
		err = werr
	}
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	imgs, err := l.resolve()
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return l.commit(imgs)
}

type loader struct {
	ctx    context.Context
	st     Store
	opt    LoadOptions
	files  map[string][]byte     // JSON and small files kept, by clean name
	kept   int64                 // bytes in files
	layers map[string]*layerInfo // layer blobs, by clean name
	links  map[string]string     // outer symlinks and hard links: name -> target name
	buf    []byte
	check  *layertar.Checker // the layer checks, with opt's limits and this package's errors
	// pending finish the layers whose store writes are still going on.
	pending []func() error
}

// layerInfo is what is known of one stored layer.
type layerInfo struct {
	*layertar.Info               // its size and headers, as scanned
	diffID         digest.Digest // of the uncompressed tar, as stored
	archive        digest.Digest // of the bytes as they are in the archive (the gzip for a gzip layer)
}

// otherCompressions are the compressions Load recognises in order to refuse them.
var otherCompressions = []struct {
	name, docker, cmd string
	magic             []byte
}{
	{name: "bzip2", docker: "reads it too", cmd: "bunzip2", magic: []byte("BZh")},
	{name: "xz", docker: "reads it too", cmd: "unxz", magic: []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{name: "zstd", docker: "of 20.10 does not read it either", cmd: "unzstd", magic: []byte{0x28, 0xb5, 0x2f, 0xfd}},
}

// read walks the outer tar, keeping the JSON and storing the layers.
func (l *loader) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var src io.Reader = br
	head, _ := br.Peek(6)
	for _, c := range otherCompressions {
		if bytes.HasPrefix(head, c.magic) {
			// Refused, not read as a tar: "invalid tar header" would not say why.
			return fmt.Errorf("%w: the archive is %s-compressed; layerlab loads plain and gzip archives (Docker's load %s): decompress it first (%s)",
				ErrInvalid, c.name, c.docker, c.cmd)
		}
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		in := &layertar.Counter{R: br}
		zr, err := gzip.NewReader(in)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		// The whole archive inflating past every layer's limit is a bomb too.
		src = l.check.Guard(zr, in, math.MaxInt64/2)
	}
	tr := tar.NewReader(src)
	seen := 0
	for {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: read tar: %v", ErrInvalid, err)
		}
		seen++
		name, err := layertar.CleanName(h.Name)
		if err != nil {
			return err
		}
		if name == "" {
			continue
		}
		for p := path.Dir(name); p != "."; p = path.Dir(p) {
			if _, ok := l.links[p]; ok {
				return fmt.Errorf("archive entry %q writes through the link %s: %w", h.Name, p, rootfs.ErrUnsafePath)
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeSymlink:
			if strings.HasPrefix(h.Linkname, "/") {
				return fmt.Errorf("archive entry %q: symlink to the absolute path %q: %w", h.Name, h.Linkname, rootfs.ErrUnsafePath)
			}
			target := path.Join(path.Dir(name), h.Linkname)
			if target == ".." || strings.HasPrefix(target, "../") {
				return fmt.Errorf("archive entry %q: symlink to %q leaves the archive: %w", h.Name, h.Linkname, rootfs.ErrUnsafePath)
			}
			l.link(name, target)
			continue
		case tar.TypeLink:
			target, err := layertar.CleanName(h.Linkname)
			if err != nil {
				return err
			}
			l.link(name, target)
			continue
		case tar.TypeReg: // tar.Reader reports the legacy TypeRegA as TypeReg
		default:
			continue // devices, fifos: nothing a docker-archive holds
		}
		if err := l.file(name, h, tr); err != nil {
			return err
		}
	}
	if seen == 0 {
		return fmt.Errorf("%w: empty archive", ErrInvalid)
	}
	return nil
}

// link records an outer symlink or hard link; it replaces a file of the same name.
func (l *loader) link(name, target string) {
	delete(l.files, name)
	delete(l.layers, name)
	l.links[name] = target
}

// file handles one regular file of the outer tar.
func (l *loader) file(name string, h *tar.Header, r io.Reader) error {
	delete(l.links, name)
	dir, base := path.Split(name)
	switch {
	case dir == "" && (base == "manifest.json" || base == "index.json" || base == "repositories" || base == "oci-layout"):
		return l.keep(name, h.Size, l.opt.MaxManifestBytes, r)
	case dir == "" && strings.HasSuffix(base, ".json"):
		return l.keep(name, h.Size, l.opt.MaxConfigBytes, r)
	case dir != "" && !strings.HasPrefix(name, "blobs/") && (base == "VERSION" || base == "json"):
		return nil // the legacy v1 files: the manifest and config say it all
	}
	head := l.buf[:512]
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	head = head[:n]
	body := io.MultiReader(bytes.NewReader(append([]byte(nil), head...)), r)
	switch {
	case n >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return l.layer(name, body, true)
	case n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd:
		return fmt.Errorf("%w: %s: zstd-compressed layers are not supported", ErrInvalid, name)
	case len(bytes.TrimLeft(head, " \t\r\n")) > 0 && bytes.TrimLeft(head, " \t\r\n")[0] == '{':
		return l.keep(name, h.Size, l.opt.MaxConfigBytes, body)
	}
	return l.layer(name, body, false)
}

// keep reads a small file into memory, refusing one past max before reading it.
func (l *loader) keep(name string, size, max int64, r io.Reader) error {
	if size > max {
		return fmt.Errorf("%s is %d bytes, more than the %d allowed: %w", name, size, max, ErrTooLarge)
	}
	if l.kept+size > l.opt.MaxJSONBytes {
		return fmt.Errorf("%s: the archive's JSON files pass %d bytes: %w", name, l.opt.MaxJSONBytes, ErrTooLarge)
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	if int64(len(b)) > max {
		return fmt.Errorf("%s is more than the %d bytes allowed: %w", name, max, ErrTooLarge)
	}
	if err := checkBlobName(name, digest.FromBytes(b)); err != nil {
		return err
	}
	l.kept += int64(len(b))
	l.files[name] = b
	return nil
}

// checkBlobName: a file under blobs/sha256/ must hash to its name.
func checkBlobName(name string, got digest.Digest) error {
	hex, ok := strings.CutPrefix(name, "blobs/sha256/")
	if !ok {
		return nil
	}
	if got.Encoded() != hex {
		return fmt.Errorf("%w: %s hashes to %s", ErrInvalid, name, got)
	}
	return nil
}

// layer streams one layer into the store while checking its tar.
func (l *loader) layer(name string, r io.Reader, gz bool) error {
	var src io.Reader = r
	var zh hash.Hash
	if gz {
		zh = sha256.New()
		in := &layertar.Counter{R: io.TeeReader(r, zh)}
		zr, err := gzip.NewReader(in)
		if err != nil {
			return fmt.Errorf("%w: layer %s: %v", ErrInvalid, name, err)
		}
		src = l.check.Guard(zr, in, l.opt.MaxLayerBytes)
	}
	// The layer goes from the scanner to PutBlob through a few 1 MiB chunks, so reading
	// and checking the tar overlaps hashing and writing it: the two run on different
	// cores.
	pipe := bufpipe.New(4, 1<<20)
	type result struct {
		d   digest.Digest
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, _, err := l.st.PutBlob(l.ctx, "", pipe)
		pipe.CloseRead(err)
		done <- result{d, err}
	}()
	scanned, err := l.check.Scan(io.TeeReader(src, pipe), l.buf)
	if err != nil {
		pipe.CloseWrite(err)
		<-done
		return fmt.Errorf("layer %s: %w", name, err)
	}
	info := &layerInfo{Info: scanned}
	pipe.CloseWrite(nil)
	// The store may still be hashing, writing and syncing the tail of this layer: let it
	// finish while the next layer is read, and collect the result before resolving.
	l.pending = append(l.pending, func() error {
		res := <-done
		if res.err != nil {
			return fmt.Errorf("layer %s: store: %w", name, res.err)
		}
		info.diffID, info.archive = res.d, res.d
		if zh != nil {
			info.archive = digest.NewDigest(digest.SHA256, zh)
		}
		if err := checkBlobName(name, info.archive); err != nil {
			return err
		}
		l.layers[name] = info
		return nil
	})
	if gz {
		// Drain what gzip left unread (nothing, for a well-formed stream) into the hash.
		if _, err := io.Copy(zh, r); err != nil {
			return fmt.Errorf("%w: layer %s: %v", ErrInvalid, name, err)
		}
	}
	if len(l.pending) > 1 {
		return l.wait(len(l.pending) - 1)
	}
	return nil
}

// wait collects the results of all but the last keep layers still being stored.
func (l *loader) wait(keep int) error {
	var first error
	n := len(l.pending) - keep
	for _, f := range l.pending[:n] {
		if err := f(); err != nil && first == nil {
			first = err
		}
	}
	l.pending = l.pending[n:]
	return first
}

// resolved is one image ready to store.
type resolved struct {
	rec  *image.Record
	tags []image.Ref
}

// resolve reads the manifests and checks every image against the layers read.
func (l *loader) resolve() ([]*resolved, error) {
	if b, ok := l.files["manifest.json"]; ok {
		return l.resolveDocker(b)
	}
	if b, ok := l.files["index.json"]; ok {
		return l.resolveOCI(b)
	}
	return nil, fmt.Errorf("%w: no manifest.json or index.json (not a docker save archive or OCI layout)", ErrInvalid)
}

func (l *loader) resolveDocker(b []byte) ([]*resolved, error) {
	var m []manifestEntry
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %v", ErrInvalid, err)
	}
	var out []*resolved
	for i, e := range m {
		cfgName, err := l.target(e.Config)
		if err != nil {
			return nil, err
		}
		cfg, ok := l.files[cfgName]
		if !ok {
			return nil, fmt.Errorf("%w: manifest.json entry %d: config %q is not in the archive", ErrInvalid, i, e.Config)
		}
		var layers []*layerInfo
		for _, p := range e.Layers {
			name, err := l.target(p)
			if err != nil {
				return nil, err
			}
			li, ok := l.layers[name]
			if !ok {
				return nil, fmt.Errorf("%w: manifest.json entry %d: layer %q is not in the archive", ErrInvalid, i, p)
			}
			layers = append(layers, li)
		}
		var tags []image.Ref
		for _, t := range e.RepoTags {
			ref, err := image.ParseRef(t)
			if err != nil || ref.Tag() == "" {
				return nil, fmt.Errorf("%w: invalid tag %q", ErrInvalid, t)
			}
			tags = append(tags, ref)
		}
		r, err := l.image(cfg, layers, tags)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// OCI image layout types (image-spec v1.1), only the fields Load reads.
type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      digest.Digest     `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *ociPlatform      `json:"platform,omitempty"`
}

type ociPlatform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type ociIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType,omitempty"`
	Manifests     []ociDescriptor `json:"manifests"`
}

type ociManifest struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType,omitempty"`
	Config        ociDescriptor   `json:"config"`
	Layers        []ociDescriptor `json:"layers"`
}

const (
	mediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mediaOCIConfig      = "application/vnd.oci.image.config.v1+json"
	mediaOCILayer       = "application/vnd.oci.image.layer.v1.tar"
	mediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	annotationImageName = "io.containerd.image.name"
	annotationRefName   = "org.opencontainers.image.ref.name"
)

func (l *loader) blob(d digest.Digest) ([]byte, error) {
	if err := d.Validate(); err != nil || d.Algorithm() != digest.SHA256 {
		return nil, fmt.Errorf("%w: bad digest %q", ErrInvalid, d)
	}
	b, ok := l.files["blobs/sha256/"+d.Encoded()]
	if !ok {
		return nil, fmt.Errorf("%w: blob %s is not in the archive", ErrInvalid, d)
	}
	return b, nil
}

func (l *loader) resolveOCI(b []byte) ([]*resolved, error) {
	var idx ociIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%w: index.json: %v", ErrInvalid, err)
	}
	var out []*resolved
	byID := map[digest.Digest]*resolved{}
	for _, d := range idx.Manifests {
		md, err := l.pickManifest(d, 0)
		if err != nil {
			return nil, err
		}
		mb, err := l.blob(md.Digest)
		if err != nil {
			return nil, err
		}
		var m ociManifest
		if err := json.Unmarshal(mb, &m); err != nil {
			return nil, fmt.Errorf("%w: manifest %s: %v", ErrInvalid, md.Digest, err)
		}
		cfg, err := l.blob(m.Config.Digest)
		if err != nil {
			return nil, err
		}
		var layers []*layerInfo
		for _, ld := range m.Layers {
			if strings.Contains(ld.MediaType, "zstd") {
				return nil, fmt.Errorf("%w: layer %s: zstd-compressed layers are not supported", ErrInvalid, ld.Digest)
			}
			if err := ld.Digest.Validate(); err != nil || ld.Digest.Algorithm() != digest.SHA256 {
				return nil, fmt.Errorf("%w: bad layer digest %q", ErrInvalid, ld.Digest)
			}
			li, ok := l.layers["blobs/sha256/"+ld.Digest.Encoded()]
			if !ok {
				return nil, fmt.Errorf("%w: layer %s is not in the archive", ErrInvalid, ld.Digest)
			}
			layers = append(layers, li)
		}
		var tags []image.Ref
		if n := d.Annotations[annotationImageName]; n != "" {
			ref, err := image.ParseRef(n)
			if err != nil || ref.Tag() == "" {
				return nil, fmt.Errorf("%w: invalid image name %q", ErrInvalid, n)
			}
			tags = append(tags, ref)
		} else if n := d.Annotations[annotationRefName]; strings.ContainsAny(n, "/:") {
			// A full reference as ref.name (what skopeo and crane write); a bare tag
			// names no repository and gives no tag.
			if ref, err := image.ParseRef(n); err == nil && ref.Tag() != "" {
				tags = append(tags, ref)
			}
		}
		r, err := l.image(cfg, layers, tags)
		if err != nil {
			return nil, err
		}
		if prev, ok := byID[r.rec.ID]; ok {
			prev.tags = append(prev.tags, r.tags...)
			continue
		}
		byID[r.rec.ID] = r
		out = append(out, r)
	}
	return out, nil
}

// pickManifest follows an index descriptor to an image manifest: a nested index gives
// its linux/amd64 entry, else its first.
func (l *loader) pickManifest(d ociDescriptor, depth int) (ociDescriptor, error) {
	switch d.MediaType {
	case mediaOCIManifest, mediaDockerManifest, "":
		return d, nil
	case mediaOCIIndex, mediaDockerList:
	default:
		return d, fmt.Errorf("%w: unsupported manifest media type %q", ErrInvalid, d.MediaType)
	}
	if depth > 2 {
		return d, fmt.Errorf("%w: indexes nested too deep", ErrInvalid)
	}
	b, err := l.blob(d.Digest)
	if err != nil {
		return d, err
	}
	var idx ociIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		return d, fmt.Errorf("%w: index %s: %v", ErrInvalid, d.Digest, err)
	}
	if len(idx.Manifests) == 0 {
		return d, fmt.Errorf("%w: index %s lists no manifests", ErrInvalid, d.Digest)
	}
	pick := idx.Manifests[0]
	for _, m := range idx.Manifests {
		if m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == "amd64" {
			pick = m
			break
		}
	}
	if pick.Annotations == nil {
		pick.Annotations = d.Annotations
	}
	return l.pickManifest(pick, depth+1)
}

// target follows outer links to the file a manifest path names.
func (l *loader) target(p string) (string, error) {
	name, err := layertar.CleanName(p)
	if err != nil {
		return "", err
	}
	for i := 0; i < 16; i++ {
		t, ok := l.links[name]
		if !ok {
			return name, nil
		}
		name = t
	}
	return "", fmt.Errorf("%w: %s: too many levels of links", ErrInvalid, p)
}

// image checks one image: its config decodes and has a rootfs, each layer is the
// diff_id its config names, and the layers, applied in order, stay inside the root.
func (l *loader) image(cfg []byte, layers []*layerInfo, tags []image.Ref) (*resolved, error) {
	id := digest.FromBytes(cfg)
	img, err := image.Decode(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: image %s: %v", ErrInvalid, image.ShortID(id), err)
	}
	if len(layers) > l.opt.MaxLayers {
		return nil, fmt.Errorf("image %s has %d layers, more than the %d allowed (Docker's limit: its layer store refuses more, \"max depth exceeded\"): %w", image.ShortID(id), len(layers), l.opt.MaxLayers, ErrTooLarge)
	}
	if len(img.RootFS.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("%w: image %s: its config lists %d layers, the manifest %d", ErrDiffIDMismatch, image.ShortID(id), len(img.RootFS.DiffIDs), len(layers))
	}
	rec := &image.Record{ID: id, Config: cfg, Image: img, Created: img.Created}
	for i, li := range layers {
		if li.diffID != img.RootFS.DiffIDs[i] {
			return nil, fmt.Errorf("%w: image %s: layer %d is %s, its config says %s", ErrDiffIDMismatch, image.ShortID(id), i+1, li.diffID, img.RootFS.DiffIDs[i])
		}
		rec.Layers = append(rec.Layers, image.Layer{DiffID: li.diffID, Size: li.Size})
	}
	if err := l.checkStack(layers); err != nil {
		return nil, fmt.Errorf("image %s: %w", image.ShortID(id), err)
	}
	return &resolved{rec: rec, tags: tags}, nil
}

// checkStack replays the layers' headers (without content) through rootfs.Apply onto
// an empty filesystem: the same checks a build applies to a base image's layers.
func (l *loader) checkStack(layers []*layerInfo) error {
	infos := make([]*layertar.Info, len(layers))
	for i, li := range layers {
		infos[i] = li.Info
	}
	err := l.check.CheckStack(infos, nil)
	var se *layertar.StackError
	if errors.As(err, &se) {
		return fmt.Errorf("layer %d (%s): %w", se.Layer, layers[se.Layer-1].diffID, se.Err)
	}
	return err
}

// commit stores the checked images and sets their tags.
func (l *loader) commit(imgs []*resolved) ([]Loaded, error) {
	for _, r := range imgs {
		if err := l.st.PutImage(l.ctx, r.rec); err != nil {
			return nil, fmt.Errorf("load: store image %s: %w", image.ShortID(r.rec.ID), err)
		}
	}
	var out []Loaded
	for _, r := range imgs {
		ld := Loaded{ID: r.rec.ID}
		for _, ref := range r.tags {
			lt := LoadedTag{Ref: ref}
			if prev, err := l.st.Lookup(l.ctx, ref.String()); err == nil && prev.ID != r.rec.ID {
				lt.Previous = prev.ID
			}
			if err := l.st.Tag(l.ctx, ref, r.rec.ID); err != nil {
				return out, fmt.Errorf("load: tag %s: %w", ref.Familiar(), err)
			}
			ld.Tags = append(ld.Tags, lt)
		}
		out = append(out, ld)
	}
	return out, nil
}
