package db

// Hub blobs: looking one up, opening, deleting, mounting from another repository,
// linking one the store holds already, and a monolithic upload; and how verified bytes
// are filed in the blob store (placeHub), which manifests use too.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/bufpipe"
)

// HubBlob is a blob linked into a repository.
type HubBlob struct {
	Repo   string
	Digest digest.Digest // as the client named it (sha256 or sha512)
	Size   int64
	// StoreDigest is the sha256 the bytes are filed under in the blob store.
	StoreDigest digest.Digest
}

// HubBlob returns blob d of repo, or a BLOB_UNKNOWN HubError.
func (s *Store) HubBlob(ctx context.Context, repo string, d digest.Digest) (HubBlob, error) {
	return hubBlob(ctx, s.db, repo, d)
}

func hubBlob(ctx context.Context, q querier, repo string, d digest.Digest) (HubBlob, error) {
	b := HubBlob{Repo: repo, Digest: d}
	var store string
	err := q.QueryRowContext(ctx, `SELECT store_digest, size FROM hub_blobs WHERE repo = ? AND digest = ?`, repo, d.String()).Scan(&store, &b.Size)
	if isNoRows(err) {
		return HubBlob{}, hubErr(HubBlobUnknown, nil, map[string]string{"digest": d.String()}, "blob unknown to registry")
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
			return hubErr(HubBlobUnknown, nil, map[string]string{"digest": d.String()}, "blob unknown to registry")
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
	// The bytes one upload may take and the namespace's quota (hubuploads.go).
	wr, err := s.hubWriteRoom(ctx, repo, 0, -1)
	if err != nil {
		return HubBlob{}, err
	}
	n, err := io.Copy(f, io.LimitReader(bufpipe.ContextReader(ctx, r), wr.room+1))
	if err != nil {
		return HubBlob{}, fmt.Errorf("put hub blob %s: receive: %w", d, err)
	}
	if n > wr.room {
		return HubBlob{}, wr.refuse()
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
