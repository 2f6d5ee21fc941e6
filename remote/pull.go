package remote

import (
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
	"strings"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"layerlab/engine/build"
	"layerlab/engine/image"
	"layerlab/engine/layertar"
)

// Store is what pull and push need of an image store, for one workspace (db.Workspace
// has all of it).
type Store interface {
	// Image returns the image with this ID, or an error wrapping build.ErrNotFound.
	Image(ctx context.Context, id digest.Digest) (*image.Record, error)
	// Lookup resolves a reference to an image, or an error wrapping build.ErrNotFound.
	Lookup(ctx context.Context, ref string) (*image.Record, error)
	// PutBlob stores content, verifying it hashes to d when d is set; when blob d is
	// stored already it reads nothing (and marks the blob used, so GC keeps it).
	PutBlob(ctx context.Context, d digest.Digest, r io.Reader) (digest.Digest, int64, error)
	// BlobSize returns a stored blob's size, or an error when it is not stored.
	BlobSize(ctx context.Context, d digest.Digest) (int64, error)
	// OpenBlob opens a stored blob.
	OpenBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error)
	// PutImage stores an image whose layer blobs are stored.
	PutImage(ctx context.Context, rec *image.Record) error
	// Tag points ref at id.
	Tag(ctx context.Context, ref image.Ref, id digest.Digest) error
	// AllTags lists the workspace's tags.
	AllTags(ctx context.Context) ([]image.TagRow, error)
}

// layerOwner is a store shared by workspaces (db.Workspace): HasLayer says whether an
// image of this workspace has the layer, where BlobSize says whether the store does.
type layerOwner interface {
	HasLayer(ctx context.Context, diffID digest.Digest) (bool, error)
}

// quotaChecker is implemented by stores with a storage quota (db.Workspace): it
// refuses more bytes past the quota, saying how much is used of how much.
type quotaChecker interface {
	CheckQuota(ctx context.Context, more int64, what string) error
}

// pendingReleaser is implemented by stores that remember the blobs written that no
// image references yet (db.Workspace under a quota), and can take them back.
type pendingReleaser interface {
	ReleasePending(ctx context.Context)
}

// imageDeleter is implemented by stores that can take back an image a failed pull
// stored but could not tag.
type imageDeleter interface {
	DeleteImage(ctx context.Context, id digest.Digest) error
}

// PullOptions say how to pull.
type PullOptions struct {
	// Out gets Docker's progress lines; nil prints nothing (docker pull -q).
	Out io.Writer
	// Platform picks the image of an index; zero means linux/amd64.
	Platform Platform
	// Limits bound what the registry can make the pull cost; zero fields: layertar.DefaultLimits.
	Limits Limits
	// Jobs is how many layers download at once; 0 means 3, Docker's default
	// (max-concurrent-downloads).
	Jobs int
	// Progress, when set, gets the pull's progress as the Docker Engine API streams
	// it, the Downloading bars included; it must not block.
	Progress func(Message)
}

// PullResult says what a pull did.
type PullResult struct {
	ID       digest.Digest // the image pulled
	Digest   digest.Digest // what the reference names in the registry (an index's digest for an index)
	UpToDate bool          // the reference named this image before the pull
	// Downloaded and Existing count the layers fetched and those the store had.
	Downloaded, Existing int
}

// Pull fetches the image ref names from reg into st and points ref at it, printing
// what `docker pull` prints. The manifest (Docker schema2 or OCI; for an index, the
// entry for opt.Platform) and the config are checked against their digests; each layer
// is downloaded with its size bounded, its digest verified, gzip inflated under the
// bomb guard, its tar checked, and its content stored only if it hashes to the
// diff_id the config names. Layers whose diffID the workspace has are not downloaded
// ("Already exists"); an image the workspace has is not downloaded at all.
//
// An error before anything is printed is a *DaemonError (Docker prints it as "Error
// response from daemon: ..."). On error no image is stored and no tag moves; layer
// blobs stored before the error are referenced by nothing, for the store's GC.
func Pull(ctx context.Context, st Store, reg Registry, ref image.Ref, opt PullOptions) (*PullResult, error) {
	p := newProgress(opt.Out, opt.Progress)
	res, err := pull(ctx, st, reg, ref, opt, p)
	if err != nil && !p.Started() {
		return nil, &DaemonError{Err: err}
	}
	return res, err
}

func pull(ctx context.Context, st Store, reg Registry, ref image.Ref, opt PullOptions, p *progress) (*PullResult, error) {
	lim := opt.Limits.WithDefaults()
	plat := opt.Platform
	if plat.OS == "" {
		plat.OS = "linux"
	}
	if plat.Architecture == "" {
		plat.Architecture = "amd64"
	}
	repo := ref.Path()
	reference, tagOrDigest := ref.Tag(), ref.Tag()
	if d := ref.Digest(); d != "" {
		reference, tagOrDigest = d, ref.Familiar()
	}
	if reference == "" {
		return nil, fmt.Errorf("pull %s: no tag or digest", ref.Familiar())
	}

	top, err := reg.Manifest(ctx, repo, reference)
	if err != nil {
		if errors.Is(err, ErrManifestUnknown) {
			return nil, fmt.Errorf("manifest for %s not found: %w", ref.Familiar(), err)
		}
		return nil, err
	}
	if int64(len(top.Raw)) > lim.MaxManifestBytes {
		return nil, fmt.Errorf("manifest for %s is %d bytes, more than the %d allowed: %w", ref.Familiar(), len(top.Raw), lim.MaxManifestBytes, ErrTooLarge)
	}
	topDigest := top.Digest()
	if d := ref.Digest(); d != "" && topDigest.String() != d {
		return nil, fmt.Errorf("%w: manifest for %s hashes to %s", ErrInvalid, ref.Familiar(), topDigest)
	}
	m, err := resolveImage(ctx, reg, repo, top, plat, lim, 0)
	if err != nil {
		return nil, err
	}
	p.layer(tagOrDigest, "Pulling from "+repo)

	cfg, err := fetchConfig(ctx, reg, repo, m.Config, lim)
	if err != nil {
		return nil, err
	}
	id := digest.FromBytes(cfg)
	img, err := image.Decode(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: image config %s: %v", ErrInvalid, id, err)
	}
	if img.OS != "" && img.OS != "linux" {
		return nil, fmt.Errorf("image operating system %q cannot be used on this platform: %w", img.OS, ErrUnsupported)
	}
	if len(img.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("%w: image %s: its config lists %d layers, its manifest %d", ErrInvalid, image.ShortID(id), len(img.RootFS.DiffIDs), len(m.Layers))
	}
	if len(m.Layers) > lim.MaxLayers {
		return nil, fmt.Errorf("image %s has %d layers, more than the %d allowed: %w", image.ShortID(id), len(m.Layers), lim.MaxLayers, ErrTooLarge)
	}
	for i, l := range m.Layers {
		if err := checkLayerDescriptor(l, lim); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
	}

	res := &PullResult{ID: id, Digest: topDigest}
	created := false
	if _, err := st.Image(ctx, id); errors.Is(err, build.ErrNotFound) {
		if err := pullLayers(ctx, st, reg, repo, m, img, cfg, id, opt, lim, p, res); err != nil {
			return nil, err
		}
		created = true
	} else if err != nil {
		return nil, err
	}

	if prev, err := st.Lookup(ctx, ref.String()); err == nil && prev.ID == id {
		res.UpToDate = true
	} else if err != nil && !errors.Is(err, build.ErrNotFound) {
		return nil, err
	}
	if err := tagPulled(ctx, st, ref, topDigest, id, res.UpToDate); err != nil {
		if d, ok := st.(imageDeleter); ok && created {
			d.DeleteImage(context.WithoutCancel(ctx), id)
		}
		return nil, err
	}
	p.line("Digest: " + topDigest.String())
	if res.UpToDate {
		p.line("Status: Image is up to date for " + ref.Familiar())
	} else {
		p.line("Status: Downloaded newer image for " + ref.Familiar())
	}
	return res, nil
}

// tagPulled points ref at id (unless it does already) and, as Docker does, records
// the repository digest (repo@sha256:...) for a tag pull.
func tagPulled(ctx context.Context, st Store, ref image.Ref, d, id digest.Digest, upToDate bool) error {
	if !upToDate {
		if err := st.Tag(ctx, ref, id); err != nil {
			return fmt.Errorf("tag %s: %w", ref.Familiar(), err)
		}
	}
	if ref.Digest() != "" {
		return nil
	}
	return addDigestRef(ctx, st, ref, d, id)
}

// addDigestRef records repo@d for id unless that digest reference exists (Docker does
// not move one).
func addDigestRef(ctx context.Context, st Store, ref image.Ref, d, id digest.Digest) error {
	dref, err := image.ParseRef(ref.Domain() + "/" + ref.Path() + "@" + d.String())
	if err != nil {
		return fmt.Errorf("digest reference of %s: %w", ref.Familiar(), err)
	}
	if _, err := st.Lookup(ctx, dref.String()); err == nil {
		return nil
	}
	if err := st.Tag(ctx, dref, id); err != nil {
		return fmt.Errorf("tag %s: %w", dref.Familiar(), err)
	}
	return nil
}

// resolveImage turns the manifest a reference names into an image manifest: an index
// gives its entry for plat (fetched by digest and checked against it).
func resolveImage(ctx context.Context, reg Registry, repo string, m *Manifest, plat Platform, lim Limits, depth int) (*ImageManifest, error) {
	var probe struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Manifests     json.RawMessage `json:"manifests"`
		Config        json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(m.Raw, &probe); err != nil {
		return nil, fmt.Errorf("%w: manifest %s: %v", ErrInvalid, m.Digest(), err)
	}
	mt := m.MediaType
	if probe.MediaType != "" {
		mt = probe.MediaType
	}
	switch {
	case mt == MediaDockerSchema1 || mt == MediaDockerSigned1 || probe.SchemaVersion == 1:
		return nil, fmt.Errorf("manifest %s is a Docker schema 1 manifest, which layerlab does not pull: %w", m.Digest(), ErrUnsupported)
	case mt == MediaDockerList || mt == MediaOCIIndex || (mt == "" && probe.Manifests != nil):
		if depth > 1 {
			return nil, fmt.Errorf("%w: indexes nested too deep", ErrInvalid)
		}
		var idx Index
		if err := json.Unmarshal(m.Raw, &idx); err != nil {
			return nil, fmt.Errorf("%w: index %s: %v", ErrInvalid, m.Digest(), err)
		}
		var pick *Descriptor
		for i, d := range idx.Manifests {
			if d.Platform != nil && d.Platform.OS == plat.OS && d.Platform.Architecture == plat.Architecture &&
				(plat.Variant == "" || d.Platform.Variant == plat.Variant) {
				pick = &idx.Manifests[i]
				break
			}
		}
		if pick == nil {
			return nil, fmt.Errorf("no matching manifest for %s in the manifest list entries: %w", plat, ErrUnsupported)
		}
		if err := checkDigest(pick.Digest); err != nil {
			return nil, err
		}
		if pick.Size > lim.MaxManifestBytes {
			return nil, fmt.Errorf("manifest %s is %d bytes, more than the %d allowed: %w", pick.Digest, pick.Size, lim.MaxManifestBytes, ErrTooLarge)
		}
		child, err := reg.Manifest(ctx, repo, pick.Digest.String())
		if err != nil {
			return nil, err
		}
		if int64(len(child.Raw)) > lim.MaxManifestBytes {
			return nil, fmt.Errorf("manifest %s is more than the %d bytes allowed: %w", pick.Digest, lim.MaxManifestBytes, ErrTooLarge)
		}
		if got := child.Digest(); got != pick.Digest {
			return nil, fmt.Errorf("%w: manifest %s hashes to %s", ErrInvalid, pick.Digest, got)
		}
		if child.MediaType == "" {
			child.MediaType = pick.MediaType
		}
		return resolveImage(ctx, reg, repo, child, plat, lim, depth+1)
	case mt == MediaDockerManifest || mt == MediaOCIManifest || (mt == "" && probe.Config != nil):
		var im ImageManifest
		if err := json.Unmarshal(m.Raw, &im); err != nil {
			return nil, fmt.Errorf("%w: manifest %s: %v", ErrInvalid, m.Digest(), err)
		}
		switch im.Config.MediaType {
		case MediaDockerConfig, MediaOCIConfig, "":
		default:
			return nil, fmt.Errorf("manifest %s is not a container image (its config is %q): %w", m.Digest(), im.Config.MediaType, ErrUnsupported)
		}
		if err := checkDigest(im.Config.Digest); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		return &im, nil
	}
	return nil, fmt.Errorf("manifest %s has the media type %q, not an image manifest: %w", m.Digest(), mt, ErrUnsupported)
}

func checkDigest(d digest.Digest) error {
	if err := d.Validate(); err != nil || d.Algorithm() != digest.SHA256 {
		return fmt.Errorf("%w: bad digest %q", ErrInvalid, d)
	}
	return nil
}

// checkLayerDescriptor refuses layers layerlab cannot or will not fetch.
func checkLayerDescriptor(l Descriptor, lim Limits) error {
	if err := checkDigest(l.Digest); err != nil {
		return err
	}
	switch {
	case strings.Contains(l.MediaType, "zstd"):
		return fmt.Errorf("%s: zstd-compressed layers are not supported: %w", l.Digest, ErrUnsupported)
	case len(l.URLs) > 0 || l.MediaType == MediaDockerForeign || strings.Contains(l.MediaType, "nondistributable"):
		return fmt.Errorf("%s: foreign layers (fetched from other URLs) are not supported: %w", l.Digest, ErrUnsupported)
	}
	switch l.MediaType {
	case MediaDockerLayer, MediaOCILayerGzip, MediaOCILayer, "":
	default:
		return fmt.Errorf("%s: layer media type %q is not supported: %w", l.Digest, l.MediaType, ErrUnsupported)
	}
	if l.Size < 0 || l.Size > lim.MaxLayerBytes {
		return fmt.Errorf("%s: %d bytes, more than the %d allowed: %w", l.Digest, l.Size, lim.MaxLayerBytes, ErrTooLarge)
	}
	return nil
}

// fetchConfig reads the image config, bounded, and checks its digest and size.
func fetchConfig(ctx context.Context, reg Registry, repo string, d Descriptor, lim Limits) ([]byte, error) {
	if d.Size > lim.MaxConfigBytes {
		return nil, fmt.Errorf("image config %s is %d bytes, more than the %d allowed: %w", d.Digest, d.Size, lim.MaxConfigBytes, ErrTooLarge)
	}
	rc, err := reg.OpenBlob(ctx, repo, d.Digest)
	if err != nil {
		return nil, fmt.Errorf("image config %s: %w", d.Digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, lim.MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("image config %s: %w", d.Digest, err)
	}
	if int64(len(b)) > lim.MaxConfigBytes {
		return nil, fmt.Errorf("image config %s is more than the %d bytes allowed: %w", d.Digest, lim.MaxConfigBytes, ErrTooLarge)
	}
	if got := digest.FromBytes(b); got != d.Digest {
		return nil, fmt.Errorf("%w: image config %s hashes to %s", ErrInvalid, d.Digest, got)
	}
	if d.Size > 0 && int64(len(b)) != d.Size {
		return nil, fmt.Errorf("%w: image config %s is %d bytes, its manifest says %d", ErrInvalid, d.Digest, len(b), d.Size)
	}
	return b, nil
}

// pullLayer is one layer of the image being pulled.
type pullLayer struct {
	desc   Descriptor
	diffID digest.Digest
	exists bool           // the workspace has the diffID: "Already exists"
	stored bool           // only the store has it (another workspace's): fetched and checked, not written again
	first  int            // position of the first layer with the same blob (== own position if none)
	info   *layertar.Info // once downloaded or scanned
}

// pullLayers downloads the layers the store lacks, checks the stack, and stores the
// image (not yet tagged).
func pullLayers(ctx context.Context, st Store, reg Registry, repo string, m *ImageManifest, img *image.Image,
	cfg []byte, id digest.Digest, opt PullOptions, lim Limits, p *progress, res *PullResult) error {
	layers := make([]*pullLayer, len(m.Layers))
	firstOf := map[digest.Digest]int{}
	for i, d := range m.Layers {
		l := &pullLayer{desc: d, diffID: img.RootFS.DiffIDs[i], first: i}
		if j, ok := firstOf[l.desc.Digest]; ok {
			if layers[j].diffID != l.diffID {
				return fmt.Errorf("%w: layer %s stands for two diff_ids (%s, %s)", ErrInvalid, d.Digest, layers[j].diffID, l.diffID)
			}
			l.first = j
		} else {
			firstOf[l.desc.Digest] = i
		}
		layers[i] = l
	}
	// What the store has is marked used now, so GC keeps it until the image is stored.
	// "Already exists" is for the layers the workspace has, as a Docker daemon says it
	// of its own layers; one only another workspace has is downloaded like any other
	// (the student's daemon does not have it), checked, and not written twice.
	owner, perWorkspace := st.(layerOwner)
	for _, l := range layers {
		if layers[l.first] != l {
			continue
		}
		if _, err := st.BlobSize(ctx, l.diffID); err != nil {
			continue
		}
		if _, _, err := st.PutBlob(ctx, l.diffID, bytes.NewReader(nil)); err != nil {
			continue
		}
		l.exists = true
		if perWorkspace {
			has, err := owner.HasLayer(ctx, l.diffID)
			if err != nil {
				return err
			}
			l.exists, l.stored = has, !has
		}
	}
	// A store with a quota (db.Workspace) refuses, before any download, a pull whose
	// layers' compressed sizes alone pass it; each layer is checked again as it is
	// written, uncompressed.
	if q, ok := st.(quotaChecker); ok {
		var need int64
		for i, l := range layers {
			if l.first == i && !l.exists && !l.stored {
				need += l.desc.Size
			}
		}
		if err := q.CheckQuota(ctx, need, "this pull's layers ("+build.HumanSize(need)+" compressed)"); err != nil {
			return err
		}
	}
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = 3
	}
	downloads := 0
	for i, l := range layers {
		if l.first != i {
			continue
		}
		if l.exists {
			p.layer(shortID(l.desc.Digest), "Already exists")
			res.Existing++
			continue
		}
		p.layer(shortID(l.desc.Digest), "Pulling fs layer")
		if downloads >= jobs {
			p.layer(shortID(l.desc.Digest), "Waiting")
		}
		downloads++
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, l := range layers {
		if l.first != i {
			continue
		}
		g.Go(func() error {
			var err error
			if l.exists {
				l.info, err = scanStored(gctx, st, l.diffID, lim)
			} else {
				l.info, err = download(gctx, st, reg, repo, l, lim, p)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		// Every download has ended: what they stored that no image references goes
		// (db.Workspace under a quota remembers it), so a failed pull stores nothing.
		if p, ok := st.(pendingReleaser); ok {
			p.ReleasePending(ctx)
		}
		return err
	}
	infos := make([]*layertar.Info, len(layers))
	for i, l := range layers {
		infos[i] = layers[l.first].info
	}
	// "Pull complete" is Docker's word for a layer registered on top of the ones
	// below it; here, a layer whose headers applied cleanly on top of them.
	err := checker(lim).CheckStack(infos, func(i int) {
		if l := layers[i]; l.first == i && !l.exists {
			p.layer(shortID(l.desc.Digest), "Pull complete")
			res.Downloaded++
		}
	})
	if err != nil {
		if p, ok := st.(pendingReleaser); ok {
			p.ReleasePending(ctx)
		}
		return fmt.Errorf("image %s: %w", image.ShortID(id), err)
	}
	rec := &image.Record{ID: id, Config: cfg, Image: img, Created: img.Created}
	for i, l := range layers {
		rec.Layers = append(rec.Layers, image.Layer{DiffID: l.diffID, Size: infos[i].Size,
			Digest: l.desc.Digest, CompressedSize: l.desc.Size})
	}
	if err := st.PutImage(ctx, rec); err != nil {
		return fmt.Errorf("store image %s: %w", image.ShortID(id), err)
	}
	return nil
}

// scanStored reads a layer the store has, for its size and headers.
func scanStored(ctx context.Context, st Store, diffID digest.Digest, lim Limits) (*layertar.Info, error) {
	rc, err := st.OpenBlob(ctx, diffID)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", diffID, err)
	}
	defer rc.Close()
	info, err := checker(lim).Scan(bufio.NewReaderSize(rc, 1<<20), nil)
	if err != nil {
		return nil, fmt.Errorf("stored layer %s: %w", diffID, err)
	}
	return info, nil
}

// download fetches one layer: it reads at most the size its manifest gives, inflates
// it (gzip, under the bomb guard) or takes it as a plain tar, checks the tar, and
// streams it into the store under its diffID. The store keeps it only when the whole
// download checked out: the compressed bytes hash to the layer's digest, and the tar
// to its diff_id.
func download(ctx context.Context, st Store, reg Registry, repo string, l *pullLayer, lim Limits, p *progress) (*layertar.Info, error) {
	id := shortID(l.desc.Digest)
	check := checker(lim)
	rc, err := reg.OpenBlob(ctx, repo, l.desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.desc.Digest, err)
	}
	defer rc.Close()
	zh := sha256.New()
	// One byte more than the manifest says, to tell a registry that sends more.
	body := p.meter(io.LimitReader(rc, l.desc.Size+1), id, "Downloading", l.desc.Size)
	in := &layertar.Counter{R: io.TeeReader(body, zh)}
	br := bufio.NewReaderSize(in, 1<<20)
	var src io.Reader = br
	head, _ := br.Peek(4)
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: layer %s: %v", ErrInvalid, l.desc.Digest, err)
		}
		src = check.Guard(zr, in, lim.MaxLayerBytes)
	case len(head) >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd:
		return nil, fmt.Errorf("layer %s: zstd-compressed layers are not supported: %w", l.desc.Digest, ErrUnsupported)
	}
	th := sha256.New()
	type result struct{ err error }
	var sink io.Writer = io.Discard // the store holds the tar already (l.stored)
	var pw *io.PipeWriter
	done := make(chan result, 1)
	if !l.stored {
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		sink = pw
		go func() {
			_, _, err := st.PutBlob(ctx, l.diffID, pr)
			pr.CloseWithError(err)
			done <- result{err}
		}()
	}
	info, err := check.Scan(io.TeeReader(src, io.MultiWriter(th, sink)), nil)
	if err == nil {
		// What gzip left unread (nothing, for a well-formed stream) still counts.
		_, err = io.Copy(io.Discard, br)
	}
	if err == nil {
		p.layer(id, "Verifying Checksum")
		err = verifyLayer(l, in.N, zh, th)
	} else if in.N > l.desc.Size {
		// The stream broke where the registry sent more than the manifest says: say so.
		err = fmt.Errorf("%w: filesystem layer verification failed for digest %s: more bytes than the %d its manifest says", ErrInvalid, l.desc.Digest, l.desc.Size)
	}
	if err != nil {
		if pw != nil {
			// The store sees the error instead of the end of the stream, and keeps nothing.
			pw.CloseWithError(err)
			if res := <-done; res.err != nil && !errors.Is(res.err, err) {
				return nil, fmt.Errorf("layer %s: store: %w", l.desc.Digest, res.err) // the store failed first
			}
		}
		return nil, fmt.Errorf("layer %s: %w", l.desc.Digest, err)
	}
	if pw != nil {
		pw.Close()
		if res := <-done; res.err != nil {
			return nil, fmt.Errorf("layer %s: store: %w", l.desc.Digest, res.err)
		}
	}
	p.layer(id, "Download complete")
	return info, nil
}

// verifyLayer checks a download against its manifest and config: its size, its
// digest, and the digest of its tar.
func verifyLayer(l *pullLayer, n int64, zh, th hash.Hash) error {
	if n != l.desc.Size {
		return fmt.Errorf("%w: filesystem layer verification failed for digest %s: %d bytes, its manifest says %d", ErrInvalid, l.desc.Digest, n, l.desc.Size)
	}
	if got := digest.NewDigest(digest.SHA256, zh); got != l.desc.Digest {
		return fmt.Errorf("%w: filesystem layer verification failed for digest %s", ErrInvalid, l.desc.Digest)
	}
	if got := digest.NewDigest(digest.SHA256, th); got != l.diffID {
		return fmt.Errorf("%w: layer content is %s, the image config's diff_id is %s", ErrInvalid, got, l.diffID)
	}
	return nil
}
