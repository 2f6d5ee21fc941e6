package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
)

// Hub is layerlab's built-in registry as the command line reaches it: in process,
// through the same store `layerlab serve` answers /v2/ from, so no server needs to
// run. A name without a registry host means the hub: "demo:v1" is pushed to the
// workspace's own namespace ("NAMESPACE/demo:v1"); a pull of "demo:v1" looks there
// first and then in library/ (the official images); a name with a slash
// ("team/app:1") is the repository it names.
type Hub struct {
	Store     *db.Store
	Namespace string // the workspace's namespace (db.Workspace.HubToken)
	raw       bool   // repository paths are hub paths as they are (EnsureLibrary's pushes)
	noLibrary bool   // do not make library/ stand-ins on demand (a build has them directly)
}

// Repo maps the repository path of a host-less name (docker.io/library/demo has
// the path "library/demo") to the hub repository that push writes.
func (h *Hub) Repo(path string) string {
	if h.raw {
		return path
	}
	if name, ok := strings.CutPrefix(path, "library/"); ok && !strings.Contains(name, "/") {
		return h.Namespace + "/" + name
	}
	return path
}

// pullRepo is the hub repository a pull reads: the workspace's own first, then library/.
func (h *Hub) pullRepo(ctx context.Context, path, reference string) string {
	own := h.Repo(path)
	if own == path {
		return path
	}
	if _, err := h.Store.HubManifest(ctx, own, reference); err == nil {
		return own
	}
	return path
}

// hubError maps the store's registry errors onto the client's kinds.
func hubError(err error, unknown error) error {
	var he *db.HubError
	if errors.As(err, &he) && strings.HasSuffix(he.Code, "_UNKNOWN") {
		return fmt.Errorf("%w: %s", unknown, he.Message)
	}
	return err
}

// Manifest returns manifest reference of the repository; library/ is filled with the
// official stand-ins on first use.
func (h *Hub) Manifest(ctx context.Context, repo, reference string) (*Manifest, error) {
	r := h.pullRepo(ctx, repo, reference)
	if r == repo && !h.raw && !h.noLibrary {
		if _, err := EnsureLibrary(ctx, h.Store, r, reference); err != nil {
			return nil, err
		}
	}
	f, m, err := h.Store.HubOpenManifest(ctx, r, reference)
	if err != nil {
		return nil, hubError(err, ErrManifestUnknown)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, db.HubMaxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > db.HubMaxManifestSize {
		return nil, fmt.Errorf("manifest %s of %s is larger than %d bytes", reference, r, db.HubMaxManifestSize)
	}
	return &Manifest{MediaType: m.MediaType, Raw: raw}, nil
}

// OpenBlob opens blob d as the repository holds it.
func (h *Hub) OpenBlob(ctx context.Context, repo string, d digest.Digest) (io.ReadCloser, error) {
	for _, r := range h.candidates(repo) {
		f, _, err := h.Store.HubOpenBlob(ctx, r, d)
		if err == nil {
			return f, nil
		}
		if err = hubError(err, ErrBlobUnknown); !errors.Is(err, ErrBlobUnknown) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: %s in %s", ErrBlobUnknown, d, repo)
}

// StatBlob returns the size of blob d in the repository push writes.
func (h *Hub) StatBlob(ctx context.Context, repo string, d digest.Digest) (int64, error) {
	b, err := h.Store.HubBlob(ctx, h.Repo(repo), d)
	if err != nil {
		return 0, hubError(err, ErrBlobUnknown)
	}
	return b.Size, nil
}

// PutBlob stores blob d in the repository push writes; the store checks the digest.
func (h *Hub) PutBlob(ctx context.Context, repo string, d digest.Digest, size int64, open func() (io.ReadCloser, error)) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := h.Store.HubPutBlob(ctx, h.Repo(repo), d, rc)
	if err != nil {
		return err
	}
	if b.Size != size {
		return fmt.Errorf("blob %s: stored %d bytes, expected %d", d, b.Size, size)
	}
	return nil
}

var _ blobStore = (*Hub)(nil)

// streamBlob files the bytes of r in the store, its digest computed as they are
// written, and links them into the repository push writes: a layer is compressed
// straight into the hub, with no copy on the way.
func (h *Hub) streamBlob(ctx context.Context, repo string, r io.Reader) (digest.Digest, int64, bool, error) {
	mr := &maxReader{r: r, left: db.HubMaxBlobSize}
	// The namespace's workspace's storage quota bounds the gzip it pushes (db/quota.go).
	room, refuse, err := h.Store.HubQuotaRoom(ctx, h.Repo(repo))
	if err != nil {
		return "", 0, false, err
	}
	if room >= 0 && room < mr.left {
		mr.left, mr.over = room, refuse
	}
	d, n, err := h.Store.PutBlob(ctx, "", mr)
	if err != nil {
		return "", 0, false, err
	}
	repo = h.Repo(repo)
	if b, err := h.Store.HubBlob(ctx, repo, d); err == nil {
		return d, b.Size, true, nil
	} else if err = hubError(err, ErrBlobUnknown); !errors.Is(err, ErrBlobUnknown) {
		return "", 0, false, err
	}
	if _, err := h.Store.HubLinkBlob(ctx, repo, d); err != nil {
		return "", 0, false, err
	}
	return d, n, false, nil
}

// linkBlob links blob d into the repository push writes when the store holds it.
func (h *Hub) linkBlob(ctx context.Context, repo string, d digest.Digest) (int64, bool, error) {
	b, err := h.Store.HubLinkBlob(ctx, h.Repo(repo), d)
	if errors.Is(err, db.ErrNotFound) || errors.Is(err, db.ErrInvalid) {
		return 0, false, nil // not held (or not a sha256 digest, which the store never holds)
	}
	if err != nil {
		return 0, false, err
	}
	return b.Size, true, nil
}

// maxReader fails a stream longer than the hub takes, so nothing of it is kept.
type maxReader struct {
	r    io.Reader
	left int64
	over func() error // the refusal when left is a quota's room, not the hub's limit
}

func (m *maxReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if m.left -= int64(n); m.left < 0 {
		if m.over != nil {
			return n, m.over()
		}
		return n, fmt.Errorf("blob is larger than the hub's limit of %d bytes: %w", db.HubMaxBlobSize, db.ErrHubTooLarge)
	}
	return n, err
}

// PutManifest stores m under tag in the repository push writes.
func (h *Hub) PutManifest(ctx context.Context, repo, tag string, m *Manifest) error {
	_, err := h.Store.HubPutManifest(ctx, h.Repo(repo), tag, m.MediaType, m.Raw, nil)
	return err
}

// candidates are the repositories a pull of repo may read a blob from, in order.
func (h *Hub) candidates(repo string) []string {
	if own := h.Repo(repo); own != repo {
		return []string{own, repo}
	}
	return []string{repo}
}
