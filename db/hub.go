package db

// The hub: the store side of layerlab's built-in OCI registry (distribution-spec v2).
//
// What must hold:
//   - The hub's bytes are blobs of the one blob store, filed under the sha256 of their
//     content. A client may name content by sha512 as well: the hub tables keep the
//     client's digest and the sha256 the bytes are filed under (store_digest), and GC
//     keeps every blob a hub row names.
//   - Nothing unverified is stored. A blob is linked into a repository only after its
//     bytes hashed to the digest the client gave; a manifest only after its bytes hashed
//     to its digest, it parsed as exactly one kind (image manifest or index), and every
//     blob and child manifest it names is in the repository, with the size it says. A
//     failed upload or manifest leaves no row and no blob file behind.
//   - Upload sessions keep their bytes in hub/uploads/<id> under the store directory,
//     outside blobs/tmp (which GC sweeps). Requests to one session are serialised by a
//     per-session lock; a session untouched for HubUploadTTL is purged.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "crypto/sha512" // registers sha512 for go-digest
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/bufpipe"
)

// Limits of the hub.
const (
	// HubMaxManifestSize is the largest manifest the hub accepts (the distribution
	// spec asks registries to accept at least 4 MiB).
	HubMaxManifestSize = 4 << 20
	// HubMaxBlobSize is the largest blob the hub accepts.
	HubMaxBlobSize int64 = 4 << 30
	// HubUploadTTL is how long an upload session may sit untouched before it is purged.
	HubUploadTTL = 6 * time.Hour
)

// Media types the hub stores as manifests.
const (
	MediaTypeOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// The distribution spec's error codes, as HubError.Code carries them.
const (
	HubBlobUnknown         = "BLOB_UNKNOWN"
	HubBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	HubBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	HubDigestInvalid       = "DIGEST_INVALID"
	HubManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	HubManifestInvalid     = "MANIFEST_INVALID"
	HubManifestUnknown     = "MANIFEST_UNKNOWN"
	HubNameInvalid         = "NAME_INVALID"
	HubNameUnknown         = "NAME_UNKNOWN"
	HubSizeInvalid         = "SIZE_INVALID"
	HubUnsupported         = "UNSUPPORTED"
)

var (
	// ErrHubRange: an upload chunk does not start where the upload ends (HTTP 416).
	ErrHubRange = errors.New("upload chunk out of order")
	// ErrHubTooLarge: a manifest or blob over the hub's limits (HTTP 413).
	ErrHubTooLarge = errors.New("too large for the hub")
)

// HubError is a refused registry operation: Code is the distribution spec's error code,
// Message says what was wrong, Detail (optional) is JSON-able detail. It wraps Err when
// set (ErrHubRange, ErrHubTooLarge), else ErrNotFound for the *_UNKNOWN codes that say
// a thing is missing and ErrInvalid for the others.
type HubError struct {
	Code    string
	Message string
	Detail  any
	Err     error
}

func (e *HubError) Error() string { return e.Message }

// Unwrap returns the sentinel the error stands for.
func (e *HubError) Unwrap() error {
	switch {
	case e.Err != nil:
		return e.Err
	case strings.HasSuffix(e.Code, "_UNKNOWN") && e.Code != HubManifestBlobUnknown:
		return ErrNotFound
	}
	return ErrInvalid
}

func hubErr(code string, sentinel error, detail any, format string, args ...any) *HubError {
	return &HubError{Code: code, Message: fmt.Sprintf(format, args...), Detail: detail, Err: sentinel}
}

var (
	hubRepoPattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	hubTagPattern  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
	hubUploadID    = regexp.MustCompile(`^[a-f0-9]{32}$`)
)

// ValidHubRepo checks a repository name against the distribution spec's grammar
// (lower-case path components separated by "/", at most 255 characters).
func ValidHubRepo(name string) error {
	if len(name) > 255 || !hubRepoPattern.MatchString(name) {
		return hubErr(HubNameInvalid, nil, map[string]string{"name": name},
			"invalid repository name %q: use lower-case letters, digits and separators (. _ __ -), in path components joined by /", name)
	}
	return nil
}

// ValidHubTag checks a tag against the distribution spec's grammar.
func ValidHubTag(tag string) error {
	if !hubTagPattern.MatchString(tag) {
		return hubErr(HubManifestInvalid, nil, map[string]string{"tag": tag},
			"invalid tag %q: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag)
	}
	return nil
}

// ParseHubDigest parses a digest a client sent: well formed, and sha256 or sha512 (the
// algorithms the OCI image spec registers). Anything else is DIGEST_INVALID.
func ParseHubDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err == nil && d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512 {
		err = fmt.Errorf("algorithm %s is not supported: use sha256 or sha512", d.Algorithm())
	}
	if err != nil {
		return "", hubErr(HubDigestInvalid, nil, map[string]string{"digest": s}, "invalid digest %q: %v", s, err)
	}
	return d, nil
}

// HubBlob is a blob linked into a repository.
type HubBlob struct {
	Repo   string
	Digest digest.Digest // as the client named it (sha256 or sha512)
	Size   int64
	// StoreDigest is the sha256 the bytes are filed under in the blob store.
	StoreDigest digest.Digest
}

// HubUpload is a blob upload session.
type HubUpload struct {
	ID      string
	Repo    string
	Size    int64 // bytes received and acknowledged so far
	Started time.Time
	Updated time.Time
}

// HubChunk is a piece of an upload's body: the bytes of R, which the client says start
// at offset Start (-1: wherever the upload ends now) and number Length (-1: unknown).
type HubChunk struct {
	Start, Length int64
	R             io.Reader
}

// HubManifest is a manifest stored in a repository.
type HubManifest struct {
	Repo        string
	Digest      digest.Digest // as the client named it (sha256 when pushed by tag)
	MediaType   string
	Size        int64
	StoreDigest digest.Digest
	// Subject is the manifest this one refers to (its "subject" field), or "".
	Subject digest.Digest
	// ArtifactType is what the referrers API reports for it.
	ArtifactType string
}

// HubDescriptor is one entry of a referrers list.
type HubDescriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       digest.Digest     `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// querier is what both *sql.DB and *sql.Tx offer for reads.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) hubUploadDir() string { return filepath.Join(s.dir, "hub", "uploads") }

func ensureHubRepo(ctx context.Context, tx *sql.Tx, repo string, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO hub_repositories (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, repo, now)
	return err
}

// dropHubRepoIfEmpty removes a repository that holds nothing any more.
func dropHubRepoIfEmpty(ctx context.Context, tx *sql.Tx, repo string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM hub_repositories WHERE name = ?1
		AND NOT EXISTS (SELECT 1 FROM hub_blobs WHERE repo = ?1)
		AND NOT EXISTS (SELECT 1 FROM hub_manifests WHERE repo = ?1)
		AND NOT EXISTS (SELECT 1 FROM hub_uploads WHERE repo = ?1)`, repo)
	return err
}

// ---- blobs ----------------------------------------------------------------------

// HubBlob returns blob d of repo, or a BLOB_UNKNOWN HubError.
func (s *Store) HubBlob(ctx context.Context, repo string, d digest.Digest) (HubBlob, error) {
	return hubBlob(ctx, s.db, repo, d)
}

func hubBlob(ctx context.Context, q querier, repo string, d digest.Digest) (HubBlob, error) {
	b := HubBlob{Repo: repo, Digest: d}
	var store string
	err := q.QueryRowContext(ctx, `SELECT store_digest, size FROM hub_blobs WHERE repo = ? AND digest = ?`, repo, d.String()).Scan(&store, &b.Size)
	if isNoRows(err) {
		return HubBlob{}, hubErr(HubBlobUnknown, nil, map[string]string{"digest": d.String()}, "blob %s is not in repository %s", d, repo)
	}
	if err != nil {
		return HubBlob{}, fmt.Errorf("hub blob %s in %s: %w", d, repo, err)
	}
	b.StoreDigest = digest.Digest(store)
	return b, nil
}

// HubOpenBlob opens blob d of repo for reading.
func (s *Store) HubOpenBlob(ctx context.Context, repo string, d digest.Digest) (*os.File, HubBlob, error) {
	b, err := s.HubBlob(ctx, repo, d)
	if err != nil {
		return nil, HubBlob{}, err
	}
	f, err := os.Open(s.BlobPath(b.StoreDigest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, HubBlob{}, hubErr(HubBlobUnknown, nil, map[string]string{"digest": d.String()}, "blob %s of repository %s is missing from the store", d, repo)
	}
	if err != nil {
		return nil, HubBlob{}, fmt.Errorf("open hub blob %s: %w", d, err)
	}
	return f, b, nil
}

// HubDeleteBlob unlinks blob d from repo. The bytes stay while anything else (another
// repository, a manifest, a workspace image) needs them; GC frees them after that.
func (s *Store) HubDeleteBlob(ctx context.Context, repo string, d digest.Digest) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM hub_blobs WHERE repo = ? AND digest = ?`, repo, d.String())
		if err != nil {
			return fmt.Errorf("delete hub blob: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hubErr(HubBlobUnknown, nil, map[string]string{"digest": d.String()}, "blob %s is not in repository %s", d, repo)
		}
		return dropHubRepoIfEmpty(ctx, tx, repo)
	})
}

// HubMountBlob links blob d into repo from repository from, or, when from is "", from
// any repository of the hub (pulls are open to all, so every hub blob may be mounted).
// It reports false (and no error) when the source does not have the blob: the client
// then uploads it.
func (s *Store) HubMountBlob(ctx context.Context, repo, from string, d digest.Digest) (HubBlob, bool, error) {
	var b HubBlob
	found := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		q := `SELECT store_digest, size FROM hub_blobs WHERE repo = ? AND digest = ?`
		args := []any{from, d.String()}
		if from == "" {
			q = `SELECT store_digest, size FROM hub_blobs WHERE digest = ? LIMIT 1`
			args = args[1:]
		}
		var store string
		var size int64
		err := tx.QueryRowContext(ctx, q, args...).Scan(&store, &size)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := os.Stat(s.BlobPath(digest.Digest(store))); err != nil {
			return nil // the bytes are gone: let the client upload them again
		}
		now := formatTime(s.now())
		if err := ensureHubRepo(ctx, tx, repo, now); err != nil {
			return err
		}
		if err := linkHubBlob(ctx, tx, repo, d, digest.Digest(store), size, now); err != nil {
			return err
		}
		b = HubBlob{Repo: repo, Digest: d, Size: size, StoreDigest: digest.Digest(store)}
		found = true
		return nil
	})
	if err != nil {
		return HubBlob{}, false, fmt.Errorf("mount hub blob %s into %s: %w", d, repo, err)
	}
	return b, found, nil
}

// HubLinkBlob links blob d, which the store holds already (Store.PutBlob filed it,
// verified by its sha256), into repo: how the hub takes a blob written straight into
// the store in process, with no second copy. An error wrapping ErrNotFound when the
// store does not hold d.
func (s *Store) HubLinkBlob(ctx context.Context, repo string, d digest.Digest) (HubBlob, error) {
	if err := checkDigest(d); err != nil {
		return HubBlob{}, fmt.Errorf("link hub blob: %w", err)
	}
	var b HubBlob
	err := s.write(ctx, func(tx *sql.Tx) error {
		var size int64
		err := tx.QueryRowContext(ctx, `SELECT size FROM blobs WHERE digest = ?`, d.String()).Scan(&size)
		if isNoRows(err) {
			return fmt.Errorf("blob %s: %w", d, ErrNotFound)
		}
		if err != nil {
			return err
		}
		// GC removes files under this lock: one that is here now stays.
		if fi, err := os.Stat(s.BlobPath(d)); errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Size() != size) {
			return fmt.Errorf("blob %s: %w", d, ErrNotFound)
		} else if err != nil {
			return err
		}
		now := formatTime(s.now())
		if err := ensureHubRepo(ctx, tx, repo, now); err != nil {
			return err
		}
		if err := linkHubBlob(ctx, tx, repo, d, d, size, now); err != nil {
			return err
		}
		b = HubBlob{Repo: repo, Digest: d, Size: size, StoreDigest: d}
		return nil
	})
	if err != nil {
		return HubBlob{}, fmt.Errorf("link hub blob %s into %s: %w", d, repo, err)
	}
	return b, nil
}

func linkHubBlob(ctx context.Context, tx *sql.Tx, repo string, d, store digest.Digest, size int64, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO hub_blobs (repo, digest, store_digest, size, created) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (repo, digest) DO UPDATE SET store_digest = excluded.store_digest, size = excluded.size`,
		repo, d.String(), store.String(), size, now)
	return err
}

// HubPutBlob stores a blob sent whole (a monolithic upload) and links it into repo.
// The bytes must hash to d; otherwise nothing is kept (DIGEST_INVALID).
func (s *Store) HubPutBlob(ctx context.Context, repo string, d digest.Digest, r io.Reader) (HubBlob, error) {
	f, err := os.CreateTemp(s.tmpDir(), "hub-*")
	if err != nil {
		return HubBlob{}, fmt.Errorf("put hub blob: %w", err)
	}
	tmp := f.Name()
	defer func() {
		f.Close()
		os.Remove(tmp)
	}()
	n, err := io.Copy(f, io.LimitReader(bufpipe.ContextReader(ctx, r), HubMaxBlobSize+1))
	if err != nil {
		return HubBlob{}, fmt.Errorf("put hub blob %s: receive: %w", d, err)
	}
	if n > HubMaxBlobSize {
		return HubBlob{}, hubErr(HubSizeInvalid, ErrHubTooLarge, nil, "blob is larger than the hub's limit of %d bytes", HubMaxBlobSize)
	}
	return s.commitHubBlob(ctx, repo, d, f, tmp, func(tx *sql.Tx) error { return nil })
}

// commitHubBlob verifies the file f (at path) against d and, when it matches, files it
// in the blob store and links it into repo; extra runs in the same transaction.
func (s *Store) commitHubBlob(ctx context.Context, repo string, d digest.Digest, f *os.File, path string, extra func(tx *sql.Tx) error) (HubBlob, error) {
	sum, other, size, err := hashFile(ctx, f, d.Algorithm())
	if err != nil {
		return HubBlob{}, fmt.Errorf("verify hub blob %s: %w", d, err)
	}
	got := sum
	if d.Algorithm() != digest.SHA256 {
		got = other
	}
	if got != d {
		return HubBlob{}, hubErr(HubDigestInvalid, nil, map[string]string{"digest": d.String(), "received": got.String()},
			"the uploaded content is %s, not %s: nothing was stored", got, d)
	}
	err = s.placeHub(ctx, path, sum, size, func(tx *sql.Tx, now string) error {
		if err := ensureHubRepo(ctx, tx, repo, now); err != nil {
			return err
		}
		if err := linkHubBlob(ctx, tx, repo, d, sum, size, now); err != nil {
			return err
		}
		return extra(tx)
	})
	if err != nil {
		return HubBlob{}, fmt.Errorf("store hub blob %s: %w", d, err)
	}
	return HubBlob{Repo: repo, Digest: d, Size: size, StoreDigest: sum}, nil
}

// hashFile fsyncs f and hashes it from the start: its sha256, and its digest in alg
// when that is another algorithm.
func hashFile(ctx context.Context, f *os.File, alg digest.Algorithm) (sum, other digest.Digest, size int64, err error) {
	if err := f.Sync(); err != nil {
		return "", "", 0, fmt.Errorf("sync: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", "", 0, err
	}
	h := sha256.New()
	var h2 hash.Hash
	w := io.Writer(h)
	if alg != digest.SHA256 && alg.Available() {
		h2 = alg.Hash()
		w = io.MultiWriter(h, h2)
	}
	n, err := io.Copy(w, bufpipe.ContextReader(ctx, f))
	if err != nil {
		return "", "", 0, err
	}
	sum = digest.NewDigest(digest.SHA256, h)
	if h2 != nil {
		other = digest.NewDigest(alg, h2)
	}
	return sum, other, n, nil
}

// placeHub files the verified file at path as blob sum (size bytes) and, in the write
// transaction that records the blob row, runs fn. When fn fails, a file this call
// placed and no row claims is removed again, so a refused push leaves nothing behind.
func (s *Store) placeHub(ctx context.Context, path string, sum digest.Digest, size int64, fn func(tx *sql.Tx, now string) error) error {
	final := s.BlobPath(sum)
	if err := s.place(path, final); err != nil {
		return err
	}
	if s.afterPlace != nil {
		s.afterPlace()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		// GC may have removed an old unreferenced copy between place and here.
		if _, err := os.Stat(final); errors.Is(err, fs.ErrNotExist) {
			if err := s.place(path, final); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		now := formatTime(s.now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (digest, size, created, used) VALUES (?, ?, ?, ?)
			ON CONFLICT (digest) DO UPDATE SET size = excluded.size, used = excluded.used`,
			sum.String(), size, now, now); err != nil {
			return err
		}
		return fn(tx, now)
	})
	if err != nil {
		s.unplaceHub(sum)
	}
	return err
}

// unplaceHub removes blob file sum if no blob row claims it. It runs under the write
// lock: a writer that placed the same content re-places it under that lock before it
// writes its row, so removing the file here never loses anyone's blob.
func (s *Store) unplaceHub(sum digest.Digest) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE digest = ?`, sum.String()).Scan(&n); err != nil || n > 0 {
			return err
		}
		os.Remove(s.BlobPath(sum))
		return nil
	})
}

// ---- uploads --------------------------------------------------------------------

// hubLocks serialises the requests to one upload session (PATCHes, the closing PUT,
// a cancel, the purge) within this process; only the server writes uploads.
var hubLocks = struct {
	sync.Mutex
	m map[string]*hubLock
}{m: map[string]*hubLock{}}

type hubLock struct {
	mu   sync.Mutex
	refs int
}

func (s *Store) lockUpload(id string) (unlock func()) {
	key := s.dir + "\x00" + id
	hubLocks.Lock()
	l := hubLocks.m[key]
	if l == nil {
		l = &hubLock{}
		hubLocks.m[key] = l
	}
	l.refs++
	hubLocks.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		hubLocks.Lock()
		if l.refs--; l.refs == 0 {
			delete(hubLocks.m, key)
		}
		hubLocks.Unlock()
	}
}

// uploadBusy reports whether a request holds or waits for upload id's lock.
func (s *Store) uploadBusy(id string) bool {
	hubLocks.Lock()
	defer hubLocks.Unlock()
	return hubLocks.m[s.dir+"\x00"+id] != nil
}

// hubPurges remembers when each store (by directory) last purged abandoned uploads.
var hubPurges = struct {
	sync.Mutex
	last map[string]time.Time
}{last: map[string]time.Time{}}

// HubStartUpload opens an upload session in repo. Starting one also purges, at most
// once a minute, the sessions untouched for HubUploadTTL.
func (s *Store) HubStartUpload(ctx context.Context, repo string) (HubUpload, error) {
	now := s.now()
	hubPurges.Lock()
	due := now.Sub(hubPurges.last[s.dir]) > time.Minute
	if due {
		hubPurges.last[s.dir] = now
	}
	hubPurges.Unlock()
	if due {
		if _, err := s.HubPurgeUploads(ctx, now.Add(-HubUploadTTL)); err != nil {
			return HubUpload{}, err
		}
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return HubUpload{}, fmt.Errorf("start upload: %w", err)
	}
	u := HubUpload{ID: hex.EncodeToString(raw[:]), Repo: repo, Started: now.UTC(), Updated: now.UTC()}
	if err := os.MkdirAll(s.hubUploadDir(), 0o755); err != nil {
		return HubUpload{}, fmt.Errorf("start upload: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.hubUploadDir(), u.ID), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return HubUpload{}, fmt.Errorf("start upload: %w", err)
	}
	f.Close()
	err = s.write(ctx, func(tx *sql.Tx) error {
		ts := formatTime(now)
		if err := ensureHubRepo(ctx, tx, repo, ts); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO hub_uploads (id, repo, size, started, updated) VALUES (?, ?, 0, ?, ?)`, u.ID, repo, ts, ts)
		return err
	})
	if err != nil {
		os.Remove(filepath.Join(s.hubUploadDir(), u.ID))
		return HubUpload{}, fmt.Errorf("start upload in %s: %w", repo, err)
	}
	return u, nil
}

// HubUpload returns upload session id of repo, or a BLOB_UPLOAD_UNKNOWN HubError.
func (s *Store) HubUpload(ctx context.Context, repo, id string) (HubUpload, error) {
	return s.hubUpload(ctx, repo, id)
}

func (s *Store) hubUpload(ctx context.Context, repo, id string) (HubUpload, error) {
	unknown := hubErr(HubBlobUploadUnknown, nil, map[string]string{"upload": id}, "upload %s is not in progress in repository %s (finished, cancelled or purged): start a new one", id, repo)
	if !hubUploadID.MatchString(id) {
		return HubUpload{}, unknown
	}
	u := HubUpload{ID: id}
	var started, updated string
	err := s.db.QueryRowContext(ctx, `SELECT repo, size, started, updated FROM hub_uploads WHERE id = ?`, id).Scan(&u.Repo, &u.Size, &started, &updated)
	if isNoRows(err) || (err == nil && u.Repo != repo) {
		return HubUpload{}, unknown
	}
	if err != nil {
		return HubUpload{}, fmt.Errorf("upload %s: %w", id, err)
	}
	if u.Started, err = parseTime(started); err != nil {
		return HubUpload{}, err
	}
	if u.Updated, err = parseTime(updated); err != nil {
		return HubUpload{}, err
	}
	return u, nil
}

// HubAppendUpload appends a chunk to upload id of repo. A chunk that does not start
// where the upload ends is refused with ErrHubRange (HTTP 416) and the upload is kept
// as it was; so is a chunk whose length is not the one announced (SIZE_INVALID).
func (s *Store) HubAppendUpload(ctx context.Context, repo, id string, c HubChunk) (HubUpload, error) {
	unlock := s.lockUpload(id)
	defer unlock()
	u, err := s.hubUpload(ctx, repo, id)
	if err != nil {
		return HubUpload{}, err
	}
	return s.appendUpload(ctx, u, c)
}

func (s *Store) appendUpload(ctx context.Context, u HubUpload, c HubChunk) (HubUpload, error) {
	if c.Start >= 0 && c.Start != u.Size {
		return u, hubErr(HubBlobUploadInvalid, ErrHubRange, map[string]int64{"start": c.Start, "received": u.Size},
			"chunk starts at byte %d but the upload has %d bytes: send the chunk that starts at %d", c.Start, u.Size, u.Size)
	}
	path := filepath.Join(s.hubUploadDir(), u.ID)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		s.dropUpload(ctx, u)
		return u, hubErr(HubBlobUploadUnknown, nil, nil, "the data of upload %s is gone: start a new upload", u.ID)
	}
	if err != nil {
		return u, fmt.Errorf("upload %s: %w", u.ID, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return u, fmt.Errorf("upload %s: %w", u.ID, err)
	}
	if fi.Size() < u.Size { // lost in a crash: the session cannot go on
		f.Close()
		s.dropUpload(ctx, u)
		return u, hubErr(HubBlobUploadInvalid, nil, nil, "upload %s lost data the server had acknowledged: start a new upload", u.ID)
	}
	// Bytes past u.Size are from a chunk that failed (or a crash): not acknowledged.
	rollback := func() { f.Truncate(u.Size) }
	if fi.Size() > u.Size {
		if err := f.Truncate(u.Size); err != nil {
			return u, fmt.Errorf("upload %s: %w", u.ID, err)
		}
	}
	if _, err := f.Seek(u.Size, io.SeekStart); err != nil {
		return u, fmt.Errorf("upload %s: %w", u.ID, err)
	}
	room := HubMaxBlobSize - u.Size
	n, err := io.Copy(f, io.LimitReader(bufpipe.ContextReader(ctx, c.R), room+1))
	if err != nil {
		rollback()
		return u, fmt.Errorf("upload %s: receive: %w", u.ID, err)
	}
	if n > room {
		rollback()
		return u, hubErr(HubSizeInvalid, ErrHubTooLarge, nil, "blob is larger than the hub's limit of %d bytes", HubMaxBlobSize)
	}
	if c.Length >= 0 && n != c.Length {
		rollback()
		return u, hubErr(HubSizeInvalid, nil, map[string]int64{"announced": c.Length, "received": n},
			"the chunk was announced as %d bytes but %d arrived: nothing of it was kept", c.Length, n)
	}
	now := s.now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hub_uploads SET size = ?, updated = ? WHERE id = ? AND size = ?`,
			u.Size+n, formatTime(now), u.ID, u.Size)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return hubErr(HubBlobUploadUnknown, nil, nil, "upload %s was cancelled or purged meanwhile", u.ID)
		}
		return nil
	})
	if err != nil {
		rollback()
		return u, err
	}
	u.Size += n
	u.Updated = now.UTC()
	return u, nil
}

// HubFinishUpload closes upload id of repo with its last chunk (c, optional): the
// whole content must hash to d. On a match the blob is stored and linked into repo and
// the session ends; on a mismatch the session and its bytes are discarded and nothing
// is stored (DIGEST_INVALID).
func (s *Store) HubFinishUpload(ctx context.Context, repo, id string, d digest.Digest, c *HubChunk) (HubBlob, error) {
	unlock := s.lockUpload(id)
	defer unlock()
	u, err := s.hubUpload(ctx, repo, id)
	if err != nil {
		return HubBlob{}, err
	}
	if c != nil {
		if u, err = s.appendUpload(ctx, u, *c); err != nil {
			return HubBlob{}, err
		}
	}
	path := filepath.Join(s.hubUploadDir(), u.ID)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		s.dropUpload(ctx, u)
		return HubBlob{}, hubErr(HubBlobUploadUnknown, nil, nil, "the data of upload %s is gone: start a new upload", u.ID)
	}
	if err != nil {
		return HubBlob{}, fmt.Errorf("finish upload %s: %w", u.ID, err)
	}
	defer f.Close()
	if err := f.Truncate(u.Size); err != nil { // drop bytes never acknowledged
		return HubBlob{}, fmt.Errorf("finish upload %s: %w", u.ID, err)
	}
	b, err := s.commitHubBlob(ctx, repo, d, f, path, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM hub_uploads WHERE id = ?`, u.ID)
		return err
	})
	var he *HubError
	if errors.As(err, &he) && he.Code == HubDigestInvalid {
		f.Close()
		s.dropUpload(ctx, u)
		return HubBlob{}, err
	}
	if err != nil {
		return HubBlob{}, err
	}
	os.Remove(path) // the blob store has its own link to the bytes
	return b, nil
}

// HubCancelUpload ends upload id of repo and discards its bytes.
func (s *Store) HubCancelUpload(ctx context.Context, repo, id string) error {
	unlock := s.lockUpload(id)
	defer unlock()
	u, err := s.hubUpload(ctx, repo, id)
	if err != nil {
		return err
	}
	return s.dropUpload(ctx, u)
}

// dropUpload deletes an upload's row and file (and its repository, if that leaves it
// empty).
func (s *Store) dropUpload(ctx context.Context, u HubUpload) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM hub_uploads WHERE id = ?`, u.ID); err != nil {
			return err
		}
		return dropHubRepoIfEmpty(ctx, tx, u.Repo)
	})
	os.Remove(filepath.Join(s.hubUploadDir(), u.ID))
	if err != nil {
		return fmt.Errorf("drop upload %s: %w", u.ID, err)
	}
	return nil
}

// HubPurgeUploads discards the upload sessions last touched before cutoff (abandoned
// by their clients), and files under hub/uploads that belong to no session and are as
// old. A session a request is using right now is left alone. It returns how many
// sessions it discarded.
func (s *Store) HubPurgeUploads(ctx context.Context, cutoff time.Time) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, repo FROM hub_uploads WHERE updated < ?`, formatTime(cutoff))
	if err != nil {
		return 0, fmt.Errorf("purge uploads: %w", err)
	}
	var stale []HubUpload
	for rows.Next() {
		var u HubUpload
		if err := rows.Scan(&u.ID, &u.Repo); err != nil {
			rows.Close()
			return 0, fmt.Errorf("purge uploads: %w", err)
		}
		stale = append(stale, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("purge uploads: %w", err)
	}
	purged := 0
	for _, u := range stale {
		if s.uploadBusy(u.ID) {
			continue
		}
		if err := s.dropUpload(ctx, u); err != nil {
			return purged, err
		}
		purged++
	}
	// Files without a row: a crash between creating the file and committing the row.
	entries, err := os.ReadDir(s.hubUploadDir())
	if errors.Is(err, fs.ErrNotExist) {
		return purged, nil
	}
	if err != nil {
		return purged, fmt.Errorf("purge uploads: %w", err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(cutoff) || s.uploadBusy(e.Name()) {
			continue
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM hub_uploads WHERE id = ?`, e.Name()).Scan(&n); err == nil && n == 0 {
			os.Remove(filepath.Join(s.hubUploadDir(), e.Name()))
		}
	}
	return purged, nil
}

// ---- manifests ------------------------------------------------------------------

// hubDescJSON is a descriptor as a manifest carries it.
type hubDescJSON struct {
	MediaType    string   `json:"mediaType"`
	Digest       string   `json:"digest"`
	Size         *int64   `json:"size"`
	URLs         []string `json:"urls"`
	Data         []byte   `json:"data"`
	ArtifactType string   `json:"artifactType"`
}

// hubManifestJSON is the union of an image manifest and an index, to tell which one a
// document is (and refuse one that is both).
type hubManifestJSON struct {
	SchemaVersion *int              `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *hubDescJSON      `json:"config"`
	Layers        []hubDescJSON     `json:"layers"`
	Manifests     []hubDescJSON     `json:"manifests"`
	Subject       *hubDescJSON      `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
	FSLayers      json.RawMessage   `json:"fsLayers"` // Docker schema 1
}

// hubRef is something a manifest needs in its repository.
type hubRef struct {
	digest   digest.Digest
	size     int64
	kind     string // "blob" or "manifest"
	optional bool   // a non-distributable layer, which need not be pushed
	where    string // for messages: "config", "layer 2", "manifest 1"
}

// parsedManifest is what HubPutManifest learns from a manifest's bytes.
type parsedManifest struct {
	mediaType    string
	artifactType string
	subject      digest.Digest
	annotations  map[string]string
	refs         []hubRef
}

func isNondistributable(mediaType string) bool {
	return strings.HasPrefix(mediaType, "application/vnd.oci.image.layer.nondistributable.") ||
		mediaType == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
}

func manifestInvalid(format string, args ...any) error {
	return hubErr(HubManifestInvalid, nil, nil, format, args...)
}

// parseHubManifest checks a manifest's bytes: JSON, schema version 2, a media type it
// knows that matches contentType (when both are given), exactly one kind, and
// well-formed descriptors.
func parseHubManifest(contentType string, body []byte) (parsedManifest, error) {
	var m hubManifestJSON
	if err := json.Unmarshal(body, &m); err != nil {
		return parsedManifest{}, manifestInvalid("the manifest is not valid JSON: %v", err)
	}
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	mt := m.MediaType
	switch {
	case mt != "" && ct != "" && mt != ct:
		return parsedManifest{}, manifestInvalid("Content-Type %s does not match the manifest's mediaType %s", ct, mt)
	case mt == "":
		mt = ct
	}
	if m.FSLayers != nil || strings.HasPrefix(mt, "application/vnd.docker.distribution.manifest.v1") {
		return parsedManifest{}, manifestInvalid("Docker schema 1 manifests are not supported: push with a current client (schema 2 or OCI)")
	}
	if m.SchemaVersion == nil || *m.SchemaVersion != 2 {
		return parsedManifest{}, manifestInvalid("schemaVersion must be 2")
	}
	isIndex := mt == MediaTypeOCIIndex || mt == MediaTypeDockerList
	isImage := mt == MediaTypeOCIManifest || mt == MediaTypeDockerManifest
	if !isIndex && !isImage {
		if mt == "" {
			return parsedManifest{}, manifestInvalid("the manifest has no mediaType and the request no Content-Type")
		}
		return parsedManifest{}, manifestInvalid("media type %q is not a manifest type the hub stores (OCI or Docker schema 2 image manifests and indexes)", mt)
	}
	if m.Manifests != nil && (m.Config != nil || m.Layers != nil) {
		return parsedManifest{}, manifestInvalid("the document is both an index (manifests) and an image manifest (config, layers): it must be one of them")
	}
	p := parsedManifest{mediaType: mt, artifactType: m.ArtifactType}
	var descs []hubDescJSON
	if isIndex {
		if m.Manifests == nil {
			return parsedManifest{}, manifestInvalid("an index (%s) must have a manifests list", mt)
		}
		for i, d := range m.Manifests {
			descs = append(descs, d)
			p.refs = append(p.refs, hubRef{kind: "manifest", where: fmt.Sprintf("manifest %d", i+1)})
		}
	} else {
		if m.Config == nil {
			return parsedManifest{}, manifestInvalid("an image manifest (%s) must have a config", mt)
		}
		descs = append(descs, *m.Config)
		p.refs = append(p.refs, hubRef{kind: "blob", where: "config"})
		for i, d := range m.Layers {
			descs = append(descs, d)
			p.refs = append(p.refs, hubRef{kind: "blob", where: fmt.Sprintf("layer %d", i+1),
				optional: isNondistributable(d.MediaType) && len(d.URLs) > 0})
		}
		if p.artifactType == "" {
			p.artifactType = m.Config.MediaType
		}
	}
	for i, d := range descs {
		dg, size, err := checkDescriptor(d, p.refs[i].where)
		if err != nil {
			return parsedManifest{}, err
		}
		p.refs[i].digest, p.refs[i].size = dg, size
	}
	if m.Subject != nil {
		dg, _, err := checkDescriptor(*m.Subject, "subject")
		if err != nil {
			return parsedManifest{}, err
		}
		p.subject = dg
		p.annotations = m.Annotations
	}
	return p, nil
}

// checkDescriptor checks one descriptor: a media type, an allowed digest, a size, and
// embedded data (when present) that is those bytes.
func checkDescriptor(d hubDescJSON, where string) (digest.Digest, int64, error) {
	if d.MediaType == "" {
		return "", 0, manifestInvalid("the %s descriptor has no mediaType", where)
	}
	dg, err := ParseHubDigest(d.Digest)
	if err != nil {
		return "", 0, manifestInvalid("the %s descriptor's digest: %v", where, err)
	}
	if d.Size == nil || *d.Size < 0 {
		return "", 0, manifestInvalid("the %s descriptor needs a size of 0 or more bytes", where)
	}
	if d.Data != nil && (int64(len(d.Data)) != *d.Size || dg.Algorithm().FromBytes(d.Data) != dg) {
		return "", 0, manifestInvalid("the %s descriptor's embedded data is not the %d bytes of %s", where, *d.Size, dg)
	}
	return dg, *d.Size, nil
}

// resolveRefs checks that every blob and child manifest the manifest names is in repo,
// with the size the manifest says, and fills in where the bytes are filed (store digest,
// "" for a missing optional layer).
func resolveRefs(ctx context.Context, q querier, repo string, refs []hubRef) ([]digest.Digest, error) {
	stores := make([]digest.Digest, len(refs))
	for i, r := range refs {
		table := "hub_blobs"
		if r.kind == "manifest" {
			table = "hub_manifests"
		}
		var store string
		var size int64
		err := q.QueryRowContext(ctx, `SELECT store_digest, size FROM `+table+` WHERE repo = ? AND digest = ?`, repo, r.digest.String()).Scan(&store, &size)
		if isNoRows(err) {
			if r.optional {
				continue
			}
			what := "blob"
			if r.kind == "manifest" {
				what = "manifest"
			}
			return nil, hubErr(HubManifestBlobUnknown, nil, map[string]string{"digest": r.digest.String()},
				"the %s names %s %s, which is not in repository %s: push it first", r.where, what, r.digest, repo)
		}
		if err != nil {
			return nil, err
		}
		if size != r.size {
			return nil, manifestInvalid("the %s descriptor says %s is %d bytes, but it is %d", r.where, r.digest, r.size, size)
		}
		stores[i] = digest.Digest(store)
	}
	return stores, nil
}

// HubPutManifest stores manifest body in repo under ref (a tag, or the digest the body
// must hash to) and points ref (when a tag) and every tag in tags at it. contentType is
// the request's Content-Type. A manifest that fails any check is refused with the
// spec's code (DIGEST_INVALID, MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN) and nothing is
// stored.
func (s *Store) HubPutManifest(ctx context.Context, repo, ref, contentType string, body []byte, tags []string) (HubManifest, error) {
	if len(body) > HubMaxManifestSize {
		return HubManifest{}, hubErr(HubManifestInvalid, ErrHubTooLarge, nil, "the manifest is %d bytes, over the hub's limit of %d (4 MiB)", len(body), HubMaxManifestSize)
	}
	sum := digest.SHA256.FromBytes(body)
	d := sum
	if strings.Contains(ref, ":") {
		want, err := ParseHubDigest(ref)
		if err != nil {
			return HubManifest{}, err
		}
		if got := want.Algorithm().FromBytes(body); got != want {
			return HubManifest{}, hubErr(HubDigestInvalid, nil, map[string]string{"digest": want.String(), "received": got.String()},
				"the manifest's content is %s, not %s: nothing was stored", got, want)
		}
		d = want
	} else {
		if err := ValidHubTag(ref); err != nil {
			return HubManifest{}, err
		}
		tags = append([]string{ref}, tags...)
	}
	for _, t := range tags {
		if err := ValidHubTag(t); err != nil {
			return HubManifest{}, err
		}
	}
	p, err := parseHubManifest(contentType, body)
	if err != nil {
		return HubManifest{}, err
	}
	// Refuse a manifest with missing references before writing anything.
	if _, err := resolveRefs(ctx, s.db, repo, p.refs); err != nil {
		return HubManifest{}, err
	}
	annotations := ""
	if p.subject != "" && len(p.annotations) > 0 {
		b, err := json.Marshal(p.annotations)
		if err != nil {
			return HubManifest{}, fmt.Errorf("put manifest: %w", err)
		}
		annotations = string(b)
	}
	f, err := os.CreateTemp(s.tmpDir(), "hub-manifest-*")
	if err != nil {
		return HubManifest{}, fmt.Errorf("put manifest: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return HubManifest{}, fmt.Errorf("put manifest: %w", err)
	}
	m := HubManifest{Repo: repo, Digest: d, MediaType: p.mediaType, Size: int64(len(body)), StoreDigest: sum,
		Subject: p.subject, ArtifactType: p.artifactType}
	err = s.placeHub(ctx, tmp, sum, int64(len(body)), func(tx *sql.Tx, now string) error {
		// Checked again under the write lock: a blob may have been deleted meanwhile.
		stores, err := resolveRefs(ctx, tx, repo, p.refs)
		if err != nil {
			return err
		}
		if err := ensureHubRepo(ctx, tx, repo, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hub_manifests
			(repo, digest, store_digest, media_type, size, artifact_type, subject, annotations, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (repo, digest) DO UPDATE SET media_type = excluded.media_type,
				artifact_type = excluded.artifact_type, subject = excluded.subject, annotations = excluded.annotations`,
			repo, d.String(), sum.String(), p.mediaType, len(body), p.artifactType, p.subject.String(), annotations, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM hub_manifest_refs WHERE repo = ? AND manifest = ?`, repo, d.String()); err != nil {
			return err
		}
		for i, r := range p.refs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hub_manifest_refs (repo, manifest, digest, store_digest, kind)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, repo, d.String(), r.digest.String(), stores[i].String(), r.kind); err != nil {
				return err
			}
		}
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hub_tags (repo, tag, digest, updated) VALUES (?, ?, ?, ?)
				ON CONFLICT (repo, tag) DO UPDATE SET digest = excluded.digest, updated = excluded.updated`,
				repo, t, d.String(), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var he *HubError
		if errors.As(err, &he) {
			return HubManifest{}, err
		}
		return HubManifest{}, fmt.Errorf("put manifest %s in %s: %w", d, repo, err)
	}
	return m, nil
}

const hubManifestColumns = `m.digest, m.media_type, m.size, m.store_digest, m.subject, m.artifact_type`

func scanHubManifest(repo string, sc interface{ Scan(...any) error }) (HubManifest, error) {
	m := HubManifest{Repo: repo}
	var d, store, subject string
	if err := sc.Scan(&d, &m.MediaType, &m.Size, &store, &subject, &m.ArtifactType); err != nil {
		return HubManifest{}, err
	}
	m.Digest, m.StoreDigest, m.Subject = digest.Digest(d), digest.Digest(store), digest.Digest(subject)
	return m, nil
}

// HubManifest returns the manifest ref (a tag or a digest) of repo, or a
// MANIFEST_UNKNOWN HubError.
func (s *Store) HubManifest(ctx context.Context, repo, ref string) (HubManifest, error) {
	var row *sql.Row
	if strings.Contains(ref, ":") {
		d, err := ParseHubDigest(ref)
		if err != nil {
			return HubManifest{}, err
		}
		row = s.db.QueryRowContext(ctx, `SELECT `+hubManifestColumns+` FROM hub_manifests m WHERE m.repo = ? AND m.digest = ?`, repo, d.String())
	} else {
		if err := ValidHubTag(ref); err != nil {
			return HubManifest{}, err
		}
		row = s.db.QueryRowContext(ctx, `SELECT `+hubManifestColumns+` FROM hub_tags t
			JOIN hub_manifests m ON m.repo = t.repo AND m.digest = t.digest WHERE t.repo = ? AND t.tag = ?`, repo, ref)
	}
	m, err := scanHubManifest(repo, row)
	if isNoRows(err) {
		return HubManifest{}, hubErr(HubManifestUnknown, nil, map[string]string{"reference": ref}, "manifest %s is not in repository %s", ref, repo)
	}
	if err != nil {
		return HubManifest{}, fmt.Errorf("hub manifest %s:%s: %w", repo, ref, err)
	}
	return m, nil
}

// HubOpenManifest opens the bytes of manifest ref of repo.
func (s *Store) HubOpenManifest(ctx context.Context, repo, ref string) (*os.File, HubManifest, error) {
	m, err := s.HubManifest(ctx, repo, ref)
	if err != nil {
		return nil, HubManifest{}, err
	}
	f, err := os.Open(s.BlobPath(m.StoreDigest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, HubManifest{}, hubErr(HubManifestUnknown, nil, nil, "manifest %s of repository %s is missing from the store", ref, repo)
	}
	if err != nil {
		return nil, HubManifest{}, fmt.Errorf("open hub manifest %s: %w", ref, err)
	}
	return f, m, nil
}

// HubDeleteManifest deletes manifest d of repo and every tag pointing at it.
func (s *Store) HubDeleteManifest(ctx context.Context, repo string, d digest.Digest) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM hub_manifests WHERE repo = ? AND digest = ?`, repo, d.String())
		if err != nil {
			return fmt.Errorf("delete hub manifest: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hubErr(HubManifestUnknown, nil, map[string]string{"digest": d.String()}, "manifest %s is not in repository %s", d, repo)
		}
		return dropHubRepoIfEmpty(ctx, tx, repo)
	})
}

// HubDeleteTag deletes tag of repo; the manifest it pointed at stays.
func (s *Store) HubDeleteTag(ctx context.Context, repo, tag string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM hub_tags WHERE repo = ? AND tag = ?`, repo, tag)
		if err != nil {
			return fmt.Errorf("delete hub tag: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hubErr(HubManifestUnknown, nil, map[string]string{"tag": tag}, "tag %s is not in repository %s", tag, repo)
		}
		return nil
	})
}

// ---- listings -------------------------------------------------------------------

// HubTags lists up to n tags of repo after last, in byte order, and reports whether
// more follow. An unknown repository is NAME_UNKNOWN.
func (s *Store) HubTags(ctx context.Context, repo, last string, n int) ([]string, bool, error) {
	var k int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM hub_repositories WHERE name = ?`, repo).Scan(&k); err != nil {
		return nil, false, fmt.Errorf("hub tags of %s: %w", repo, err)
	}
	if k == 0 {
		return nil, false, hubErr(HubNameUnknown, nil, map[string]string{"name": repo}, "repository %s is not in the hub", repo)
	}
	return s.hubList(ctx, `SELECT tag FROM hub_tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?`, []any{repo, last}, n)
}

// HubRepositories lists up to n repositories after last that hold a manifest or a
// blob, in byte order, and reports whether more follow.
func (s *Store) HubRepositories(ctx context.Context, last string, n int) ([]string, bool, error) {
	return s.hubList(ctx, `SELECT name FROM hub_repositories r WHERE name > ?
		AND (EXISTS (SELECT 1 FROM hub_manifests WHERE repo = r.name) OR EXISTS (SELECT 1 FROM hub_blobs WHERE repo = r.name))
		ORDER BY name LIMIT ?`, []any{last}, n)
}

func (s *Store) hubList(ctx context.Context, q string, args []any, n int) ([]string, bool, error) {
	rows, err := s.db.QueryContext(ctx, q, append(args, n+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("hub list: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, false, fmt.Errorf("hub list: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("hub list: %w", err)
	}
	if len(out) > n {
		return out[:n], true, nil
	}
	return out, false, nil
}

// HubReferrers lists up to n manifests of repo whose subject is subject (after digest
// last, in digest order), only those of artifactType when that is not "", and reports
// whether more follow.
func (s *Store) HubReferrers(ctx context.Context, repo string, subject digest.Digest, artifactType, last string, n int) ([]HubDescriptor, bool, error) {
	q := `SELECT digest, media_type, size, artifact_type, annotations FROM hub_manifests
		WHERE repo = ? AND subject = ? AND digest > ?`
	args := []any{repo, subject.String(), last}
	if artifactType != "" {
		q += ` AND artifact_type = ?`
		args = append(args, artifactType)
	}
	q += ` ORDER BY digest LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, append(args, n+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("hub referrers of %s: %w", subject, err)
	}
	defer rows.Close()
	out := []HubDescriptor{}
	for rows.Next() {
		var d HubDescriptor
		var dg, ann string
		if err := rows.Scan(&dg, &d.MediaType, &d.Size, &d.ArtifactType, &ann); err != nil {
			return nil, false, fmt.Errorf("hub referrers: %w", err)
		}
		d.Digest = digest.Digest(dg)
		if ann != "" {
			if err := json.Unmarshal([]byte(ann), &d.Annotations); err != nil {
				return nil, false, fmt.Errorf("hub referrers: annotations of %s: %w", dg, err)
			}
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("hub referrers: %w", err)
	}
	if len(out) > n {
		return out[:n], true, nil
	}
	return out, false, nil
}
