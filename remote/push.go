package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"layerlab/engine/build"
	"layerlab/engine/image"
)

// PushOptions say how to push.
type PushOptions struct {
	// Out gets Docker's progress lines; nil prints nothing (docker push -q).
	Out io.Writer
	// Jobs is how many layers upload at once; 0 means 5, Docker's default
	// (max-concurrent-uploads).
	Jobs int
	// Progress, when set, gets the push's progress as the Docker Engine API streams
	// it, the Pushing bars included; it must not block.
	Progress func(Message)
}

// PushResult says what a push did.
type PushResult struct {
	ID     digest.Digest // the image pushed
	Digest digest.Digest // of the manifest, as the registry now names it
	Size   int           // of the manifest, in bytes
	// Pushed and Existing count the layers uploaded and those the registry had.
	Pushed, Existing int
}

// Push uploads the image ref names to reg as a Docker v2 schema2 manifest (what
// Docker 20.10 pushes) and prints what `docker push` prints. Each layer is gzipped
// deterministically, so pushing it again finds it there ("Layer already exists"); a
// layer pulled from a registry is first looked for there under the digest it was
// pulled with. The config is pushed as stored, byte for byte, so the image keeps its
// ID. On success ref's repository digest (repo@sha256:...) is recorded, as Docker
// records it.
func Push(ctx context.Context, st Store, reg Registry, ref image.Ref, opt PushOptions) (*PushResult, error) {
	p := newProgress(opt.Out, opt.Progress)
	if ref.Tag() == "" {
		return nil, &DaemonError{Err: fmt.Errorf("cannot push a digest reference: %s", ref.Familiar())}
	}
	repoName := ref.Domain() + "/" + ref.Path()
	p.line("The push refers to repository [" + repoName + "]")
	rec, err := st.Lookup(ctx, ref.String())
	if errors.Is(err, build.ErrNotFound) {
		return nil, noSuchTag(ctx, st, ref, repoName)
	}
	if err != nil {
		return nil, err
	}
	raw, err := rec.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("config of %s: %w", image.ShortID(rec.ID), err)
	}
	if len(rec.Layers) == 0 && len(rec.Img().RootFS.DiffIDs) > 0 {
		return nil, fmt.Errorf("image %s: the store lists none of its layers", image.ShortID(rec.ID))
	}
	repo := ref.Path()

	// One upload per distinct layer, listed top first as Docker lists them.
	var order []int
	seen := map[digest.Digest]bool{}
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		if d := rec.Layers[i].DiffID; !seen[d] {
			seen[d] = true
			order = append(order, i)
		}
	}
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = 5
	}
	for _, i := range order {
		p.layer(shortID(rec.Layers[i].DiffID), "Preparing")
	}
	for n, i := range order {
		if n >= jobs {
			p.layer(shortID(rec.Layers[i].DiffID), "Waiting")
		}
	}
	res := &PushResult{ID: rec.ID}
	descs := map[digest.Digest]Descriptor{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for _, i := range order {
		l := rec.Layers[i]
		g.Go(func() error {
			d, existed, err := pushLayer(gctx, st, reg, repo, l, p)
			if err != nil {
				return err
			}
			mu.Lock()
			descs[l.DiffID] = d
			if existed {
				res.Existing++
			} else {
				res.Pushed++
			}
			mu.Unlock()
			if existed {
				p.layer(shortID(l.DiffID), "Layer already exists")
			} else {
				p.layer(shortID(l.DiffID), "Pushed")
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	cfg := Descriptor{MediaType: MediaDockerConfig, Size: int64(len(raw)), Digest: rec.ID}
	if _, err := reg.StatBlob(ctx, repo, rec.ID); errors.Is(err, ErrBlobUnknown) {
		open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
		if err := reg.PutBlob(ctx, repo, rec.ID, int64(len(raw)), open); err != nil {
			return nil, fmt.Errorf("push config %s: %w", image.ShortID(rec.ID), err)
		}
	} else if err != nil {
		return nil, err
	}
	layers := make([]Descriptor, len(rec.Layers))
	for i, l := range rec.Layers {
		layers[i] = descs[l.DiffID]
	}
	m, err := schema2(cfg, layers)
	if err != nil {
		return nil, err
	}
	if err := reg.PutManifest(ctx, repo, ref.Tag(), m); err != nil {
		return nil, err
	}
	res.Digest, res.Size = m.Digest(), len(m.Raw)
	p.line(fmt.Sprintf("%s: digest: %s size: %d", ref.Tag(), res.Digest, res.Size))
	if err := addDigestRef(ctx, st, ref, res.Digest, rec.ID); err != nil {
		return nil, err
	}
	return res, nil
}

// noSuchTag is Docker's error for a push of a tag the store does not have.
func noSuchTag(ctx context.Context, st Store, ref image.Ref, repoName string) error {
	tags, err := st.AllTags(ctx)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if t.Repository == ref.Repository() && t.Tag != "" {
			return &kindError{msg: "tag does not exist: " + ref.Familiar(), kind: build.ErrNotFound}
		}
	}
	return &kindError{msg: "An image does not exist locally with the tag: " + ref.Repository(), kind: build.ErrNotFound}
}

// pushLayer makes one layer present in the registry and returns its descriptor, and
// whether it was there already.
func pushLayer(ctx context.Context, st Store, reg Registry, repo string, l image.Layer, p *progress) (Descriptor, bool, error) {
	// A layer pulled from a registry: its blob may well be there under that digest.
	if l.Digest != "" {
		n, err := reg.StatBlob(ctx, repo, l.Digest)
		if err == nil {
			return Descriptor{MediaType: MediaDockerLayer, Size: n, Digest: l.Digest}, true, nil
		}
		if !errors.Is(err, ErrBlobUnknown) {
			return Descriptor{}, false, err
		}
	}
	d, n, err := compressedDigest(ctx, st, l.DiffID)
	if err != nil {
		return Descriptor{}, false, err
	}
	desc := Descriptor{MediaType: MediaDockerLayer, Size: n, Digest: d}
	if _, err := reg.StatBlob(ctx, repo, d); err == nil {
		return desc, true, nil
	} else if !errors.Is(err, ErrBlobUnknown) {
		return Descriptor{}, false, err
	}
	open := func() (io.ReadCloser, error) {
		rc, err := st.OpenBlob(ctx, l.DiffID)
		if err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		go func() {
			err := Compress(pw, bufio.NewReaderSize(rc, 1<<20))
			rc.Close()
			pw.CloseWithError(err)
		}()
		return readCloser{p.meter(pr, shortID(l.DiffID), "Pushing", n), pr}, nil
	}
	if err := reg.PutBlob(ctx, repo, d, n, open); err != nil {
		return Descriptor{}, false, err
	}
	return desc, false, nil
}

// compressedDigest gzips a stored layer to learn the digest and size its blob will
// have, checking on the way that the stored tar still hashes to its diffID.
func compressedDigest(ctx context.Context, st Store, diffID digest.Digest) (digest.Digest, int64, error) {
	rc, err := st.OpenBlob(ctx, diffID)
	if err != nil {
		return "", 0, fmt.Errorf("layer %s: %w", diffID, err)
	}
	defer rc.Close()
	th, zh := sha256.New(), sha256.New()
	out := &countWriter{w: zh}
	if err := Compress(out, io.TeeReader(bufio.NewReaderSize(rc, 1<<20), th)); err != nil {
		return "", 0, fmt.Errorf("layer %s: compress: %w", diffID, err)
	}
	if got := digest.NewDigest(digest.SHA256, th); got != diffID {
		return "", 0, fmt.Errorf("stored layer %s is damaged: it hashes to %s", diffID, got)
	}
	return digest.NewDigest(digest.SHA256, zh), out.n, nil
}

// readCloser reads from one side and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
