package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"layerlab/engine/bufpipe"
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
	raw, err := rec.RawConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("read config of %s: %w", image.ShortID(rec.ID), err)
	}
	img, err := rec.ConfigFile(ctx)
	if err != nil {
		return nil, fmt.Errorf("read config of %s: %w", image.ShortID(rec.ID), err)
	}
	if len(rec.Layers) == 0 && len(img.RootFS.DiffIDs) > 0 {
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
// whether it was there already. A layer is gzipped at most once, and not at all when
// the registry has a blob it is known by: the digest it was pulled with, or layerlab's
// own gzip of it, which a push records (gzipRecords) once a registry holds it.
func pushLayer(ctx context.Context, st Store, reg Registry, repo string, l image.Layer, p *progress) (Descriptor, bool, error) {
	known, err := knownBlobs(ctx, st, l)
	if err != nil {
		return Descriptor{}, false, err
	}
	for _, k := range known {
		n, err := reg.StatBlob(ctx, repo, k.Digest)
		if err == nil && (k.Size == 0 || n == k.Size) {
			return Descriptor{MediaType: MediaDockerLayer, Size: n, Digest: k.Digest}, true, nil
		}
		if err != nil && !errors.Is(err, ErrBlobUnknown) {
			return Descriptor{}, false, err
		}
	}
	bs, local := reg.(blobStore)
	if local {
		// The hub in process may hold the bytes for another repository (library/,
		// a classmate's namespace): they are linked, not sent again.
		for _, k := range known {
			n, ok, err := bs.linkBlob(ctx, repo, k.Digest)
			if err != nil {
				return Descriptor{}, false, err
			}
			if ok {
				return Descriptor{MediaType: MediaDockerLayer, Size: n, Digest: k.Digest}, false, nil
			}
		}
	}
	var desc Descriptor
	var existed bool
	if local {
		desc, existed, err = pushStreamed(ctx, st, bs, repo, l, p)
	} else {
		desc, existed, err = pushSpooled(ctx, st, reg, repo, l, p)
	}
	if err != nil {
		return Descriptor{}, false, err
	}
	if rec, ok := st.(gzipRecords); ok {
		// The record only spares the next push a compression: failing to write it
		// does not make this push fail.
		_ = rec.SetLayerGzip(ctx, l.DiffID, desc.Digest, desc.Size)
	}
	return desc, existed, nil
}

// gzipRecords is a store that remembers layerlab's gzip of a layer, its digest and
// size, as a push learned it (db.Workspace: deterministic compression makes it the
// same for every push of the layer). LayerGzip returns "" when none is recorded.
type gzipRecords interface {
	LayerGzip(ctx context.Context, diffID digest.Digest) (digest.Digest, int64, error)
	SetLayerGzip(ctx context.Context, diffID, d digest.Digest, size int64) error
}

// tempFiles is a store that makes scratch files in its own directory (db.Workspace).
type tempFiles interface {
	TempFile(pattern string) (*os.File, error)
}

// blobStore is a registry that files blobs in a store written in process (the built-in
// hub): a layer is compressed straight into it, the digest learned as it is written,
// and a blob the store holds already is linked instead of sent.
type blobStore interface {
	// streamBlob files the bytes r gives and links them into repo; existed says repo
	// held them already.
	streamBlob(ctx context.Context, repo string, r io.Reader) (d digest.Digest, size int64, existed bool, err error)
	// linkBlob links blob d into repo when the store holds it, and returns its size;
	// false (and no error) when it does not.
	linkBlob(ctx context.Context, repo string, d digest.Digest) (int64, bool, error)
}

// knownBlobs are the blobs a layer is known by without compressing it: the one it was
// pulled as (Size 0: the registry's word is taken), then layerlab's recorded gzip.
func knownBlobs(ctx context.Context, st Store, l image.Layer) ([]Descriptor, error) {
	var known []Descriptor
	if l.Digest != "" {
		known = append(known, Descriptor{Digest: l.Digest})
	}
	if rec, ok := st.(gzipRecords); ok {
		d, n, err := rec.LayerGzip(ctx, l.DiffID)
		if err != nil {
			return nil, err
		}
		if d != "" && d != l.Digest {
			known = append(known, Descriptor{Digest: d, Size: n})
		}
	}
	return known, nil
}

// pushStreamed gzips a stored layer straight into a registry's store, once. The bar
// counts the layer's tar as it goes into the compressor (as Docker's daemon counts
// it): the blob's size is known only at its end.
func pushStreamed(ctx context.Context, st Store, bs blobStore, repo string, l image.Layer, p *progress) (Descriptor, bool, error) {
	total, err := st.BlobSize(ctx, l.DiffID)
	if err != nil {
		return Descriptor{}, false, fmt.Errorf("layer %s: %w", l.DiffID, err)
	}
	rc, err := st.OpenBlob(ctx, l.DiffID)
	if err != nil {
		return Descriptor{}, false, fmt.Errorf("layer %s: %w", l.DiffID, err)
	}
	defer rc.Close()
	// The compressor and the store's writer (hashing, writing) run side by side.
	pipe := bufpipe.New(pipeChunks, pipeChunkSize)
	done := make(chan struct{})
	var cerr error
	go func() {
		defer close(done)
		// The store sees an error (a damaged layer) instead of the end of the stream,
		// and keeps nothing.
		cerr = compressLayer(ctx, pipe, p.meter(rc, shortID(l.DiffID), "Pushing", total), l.DiffID)
		pipe.CloseWrite(cerr)
	}()
	d, n, existed, err := bs.streamBlob(ctx, repo, pipe)
	pipe.CloseRead(io.ErrClosedPipe) // stops the compressor if the store stopped early
	<-done
	if cerr != nil && !errors.Is(cerr, io.ErrClosedPipe) {
		return Descriptor{}, false, cerr // the layer's own error, in its own words
	}
	if err != nil {
		return Descriptor{}, false, err
	}
	return Descriptor{MediaType: MediaDockerLayer, Size: n, Digest: d}, existed, nil
}

// pushSpooled gzips a stored layer once into a scratch file, which tells its digest
// and size, asks the registry for that blob, and uploads it from the file when the
// registry lacks it. The file is one compressed layer, gone when the push of the
// layer ends; there are at most as many as layers pushed at once.
func pushSpooled(ctx context.Context, st Store, reg Registry, repo string, l image.Layer, p *progress) (Descriptor, bool, error) {
	f, err := spoolFile(st)
	if err != nil {
		return Descriptor{}, false, fmt.Errorf("layer %s: %w", l.DiffID, err)
	}
	defer f.Close()
	rc, err := st.OpenBlob(ctx, l.DiffID)
	if err != nil {
		return Descriptor{}, false, fmt.Errorf("layer %s: %w", l.DiffID, err)
	}
	zh := sha256.New()
	out := &countWriter{w: io.MultiWriter(f, zh)}
	err = compressLayer(ctx, out, rc, l.DiffID)
	rc.Close()
	if err != nil {
		return Descriptor{}, false, err
	}
	n := out.n
	desc := Descriptor{MediaType: MediaDockerLayer, Size: n, Digest: digest.NewDigest(digest.SHA256, zh)}
	if _, err := reg.StatBlob(ctx, repo, desc.Digest); err == nil {
		return desc, true, nil
	} else if !errors.Is(err, ErrBlobUnknown) {
		return Descriptor{}, false, err
	}
	open := func() (io.ReadCloser, error) {
		// A reader of its own each time (ReadAt): an upload may be retried.
		return readCloser{p.meter(io.NewSectionReader(f, 0, n), shortID(l.DiffID), "Pushing", n), io.NopCloser(nil)}, nil
	}
	if err := reg.PutBlob(ctx, repo, desc.Digest, n, open); err != nil {
		return Descriptor{}, false, err
	}
	return desc, false, nil
}

// compressLayer writes layerlab's gzip of the stored layer r reads to w, checking on
// the way that it still hashes to its diffID; a damaged layer is an error before the
// last bytes are written. Reading and hashing the tar run beside the compressor (a
// layer is one gzip stream, which one core makes). The output is buffered: gzip alone
// writes a few hundred bytes at a time.
func compressLayer(ctx context.Context, w io.Writer, r io.Reader, diffID digest.Digest) error {
	th := sha256.New()
	in := bufpipe.New(pipeChunks, pipeChunkSize)
	read := make(chan struct{})
	go func() {
		defer close(read)
		_, err := io.CopyBuffer(in, io.TeeReader(bufpipe.ContextReader(ctx, r), th), make([]byte, pipeChunkSize))
		in.CloseWrite(err)
	}()
	bw := bufio.NewWriterSize(w, pipeChunkSize)
	err := Compress(bw, in)
	in.CloseRead(io.ErrClosedPipe) // stops the reader if the compressor stopped early
	<-read
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("layer %s: compress: %w", diffID, err)
	}
	if got := digest.NewDigest(digest.SHA256, th); got != diffID {
		return fmt.Errorf("stored layer %s is damaged: it hashes to %s", diffID, got)
	}
	return bw.Flush()
}

// spoolFile is a scratch file in the store's directory when the store makes them (the
// data dir, not a possibly small /tmp), already unlinked where the system allows it:
// it stays readable through the open file, and nothing is left behind.
func spoolFile(st Store) (*spool, error) {
	var f *os.File
	var err error
	if t, ok := st.(tempFiles); ok {
		f, err = t.TempFile("push-*")
	} else {
		f, err = os.CreateTemp("", "layerlab-push-*")
	}
	if err != nil {
		return nil, err
	}
	s := &spool{File: f}
	if os.Remove(f.Name()) != nil {
		s.name = f.Name() // removed on Close instead
	}
	return s, nil
}

type spool struct {
	*os.File
	name string // still to remove
}

func (s *spool) Close() error {
	err := s.File.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
	return err
}

// The pipes of a layer's push (tar reader -> compressor -> the hub's store): 1 MiB
// each. Their chunks come from bufpipe's pool, shared by the pipes of all pushes (a
// layer's pipe holds a few; one push of a big image goes through thousands).
const (
	pipeChunks    = 8
	pipeChunkSize = 128 << 10
)

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
