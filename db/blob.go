package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/bufpipe"
)

// GCGrace is how long GC leaves an unreferenced blob alone after a writer last stored
// it. A build stores a layer blob (PutBlob) and only later the image that references it
// (PutImage); a blob stored or re-stored within the grace period is never removed, so a
// build running while GC runs keeps its blobs. PutBlob of an existing blob renews it.
const GCGrace = 10 * time.Minute

func (s *Store) blobDir() string { return filepath.Join(s.dir, "blobs", "sha256") }
func (s *Store) tmpDir() string  { return filepath.Join(s.dir, "blobs", "tmp") }

// checkDigest accepts only well-formed sha256 digests: anything else could not name a
// file under blobs/sha256 safely.
func checkDigest(d digest.Digest) error {
	if d.Algorithm() != digest.SHA256 {
		return fmt.Errorf("digest %q: only sha256 is supported: %w", d, ErrInvalid)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("digest %q: %v: %w", d, err, ErrInvalid)
	}
	return nil
}

// BlobPath is the file that holds blob d (which need not exist), for serving it without
// a copy; "" when d is not a well-formed sha256 digest.
func (s *Store) BlobPath(d digest.Digest) string {
	if checkDigest(d) != nil {
		return ""
	}
	return filepath.Join(s.blobDir(), d.Encoded())
}

// BlobSize returns the size in bytes of stored blob d, or ErrNotFound.
func (s *Store) BlobSize(ctx context.Context, d digest.Digest) (int64, error) {
	if err := checkDigest(d); err != nil {
		return 0, fmt.Errorf("blob size: %w", err)
	}
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT size FROM blobs WHERE digest = ?`, d.String()).Scan(&n)
	if isNoRows(err) {
		return 0, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("blob size %s: %w", d, err)
	}
	return n, nil
}

// OpenBlob opens stored blob d for reading, or returns ErrNotFound. A generated blob
// (PutGenerated) is made as it is read, and its last Read fails, wrapping
// standin.ErrMismatch, when the bytes made are not the recorded ones.
func (s *Store) OpenBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	if err := checkDigest(d); err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	f, err := os.Open(s.BlobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		// No file: the blob may be generated content, made now from its recipe.
		return s.openGenerated(ctx, d)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", d, err)
	}
	return f, nil
}

// PutBlob stores the content of r and returns its digest and size. When d is given the
// content must hash to it (else an error wrapping ErrDigestMismatch, and nothing is
// kept); when blob d is already stored, r is not read at all.
//
// The content goes to a temp file under blobs/tmp, hashed as it is written, and is
// fsynced and checked; then it is linked into blobs/sha256/<hex> and the directory is
// fsynced; only then, in a write transaction that first re-checks the file is there
// (GC removes files under the same lock), is the blob row written.
func (s *Store) PutBlob(ctx context.Context, d digest.Digest, r io.Reader) (digest.Digest, int64, error) {
	if d != "" {
		if err := checkDigest(d); err != nil {
			return "", 0, fmt.Errorf("put blob: %w", err)
		}
		size, ok, err := s.renewBlob(ctx, d)
		if err != nil {
			return "", 0, fmt.Errorf("put blob %s: %w", d, err)
		}
		if ok {
			return d, size, nil
		}
	}
	got, size, err := s.writeBlob(ctx, d, r)
	if err != nil {
		if d != "" {
			return "", 0, fmt.Errorf("put blob %s: %w", d, err)
		}
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	return got, size, nil
}

// renewBlob reports whether blob d is stored, and if so marks it used now so GC leaves
// it alone for GCGrace. A verified file without a row (a crash between rename and
// commit) gets its row back. A generated blob is stored without a file.
func (s *Store) renewBlob(ctx context.Context, d digest.Digest) (size int64, ok bool, err error) {
	now := formatTime(s.now())
	path := s.BlobPath(d)
	err = s.write(ctx, func(tx *sql.Tx) error {
		var recipe string
		err := tx.QueryRowContext(ctx,
			`UPDATE blobs SET used = ? WHERE digest = ? RETURNING size, recipe`, now, d.String()).Scan(&size, &recipe)
		if err != nil && !isNoRows(err) {
			return err
		}
		hasRow := err == nil
		if hasRow && recipe != "" {
			ok = true
			return nil
		}
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // rewrite the file; the row (if any) is upserted then
		}
		if err != nil {
			return err
		}
		if hasRow {
			ok = fi.Size() == size
			return nil
		}
		// Only verified content is ever placed in blobs/sha256, so the file is trusted.
		size = fi.Size()
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO blobs (digest, size, created, used) VALUES (?, ?, ?, ?)`,
			d.String(), size, now, now); err != nil {
			return err
		}
		ok = true
		return nil
	})
	return size, ok, err
}

func (s *Store) writeBlob(ctx context.Context, want digest.Digest, r io.Reader) (digest.Digest, int64, error) {
	f, err := os.CreateTemp(s.tmpDir(), "put-*")
	if err != nil {
		return "", 0, err
	}
	tmp := f.Name()
	defer func() {
		f.Close() // a second Close after the explicit one only returns an error
		os.Remove(tmp)
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), bufpipe.ContextReader(ctx, r))
	if err != nil {
		return "", 0, fmt.Errorf("write: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if fi.Size() != n {
		return "", 0, fmt.Errorf("wrote %d bytes but the file has %d", n, fi.Size())
	}
	if err := f.Close(); err != nil {
		return "", 0, err
	}
	got := digest.NewDigest(digest.SHA256, h)
	if want != "" && got != want {
		return "", 0, fmt.Errorf("content is %s: %w", got, ErrDigestMismatch)
	}
	// Put the file in place before taking the write lock: the fsyncs are slow and other
	// writers would wait on them. A hard link rather than a rename keeps the temp file
	// until the row is committed, so if GC removed the blob (an old unreferenced copy of
	// the same content) in between, the check under the lock can put it back.
	final := s.BlobPath(got)
	if err := s.place(tmp, final); err != nil {
		return "", 0, err
	}
	if s.afterPlace != nil {
		s.afterPlace()
	}
	now := formatTime(s.now())
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := os.Stat(final); errors.Is(err, fs.ErrNotExist) {
			if err := s.place(tmp, final); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO blobs (digest, size, created, used) VALUES (?, ?, ?, ?)
			ON CONFLICT (digest) DO UPDATE SET size = excluded.size, used = excluded.used`,
			got.String(), n, now, now)
		return err
	})
	if err != nil {
		s.unplace(ctx, got)
		return "", 0, err
	}
	return got, n, nil
}

// unplace removes the file of blob d that writeBlob placed but could not record (its
// context was cancelled: a pull's other layer failed), unless a row holds it now. Under
// the write lock, so a writer that placed the same content and waits to record it finds
// the file gone and places it again.
func (s *Store) unplace(ctx context.Context, d digest.Digest) {
	ctx = context.WithoutCancel(ctx)
	s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE digest = ?`, d.String()).Scan(&n); err != nil || n > 0 {
			return err
		}
		return os.Remove(s.BlobPath(d))
	})
}

// place links the verified temp file tmp at final and makes that durable. An existing
// final is the same content (only verified content is ever placed), so it is kept.
func (s *Store) place(tmp, final string) error {
	if err := os.Link(tmp, final); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(s.blobDir())
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// GC removes every blob that no image in any workspace references (as a layer diffID,
// a layer's compressed digest, or a config, whose digest is the image ID), that the hub
// does not hold (a repository's blob, a manifest, or what a manifest names), and that
// no writer has stored within GCGrace (which also covers uploads in progress), and returns the bytes freed (the sizes of
// the removed files, and the recorded sizes of removed generated blobs). It also removes temp files under blobs/tmp untouched for GCGrace,
// left by writers that died. GC is safe to run while builds run.
func (s *Store) GC(ctx context.Context) (int64, error) { return s.gc(ctx, GCGrace) }

// GCNow is GC without the grace period: it also removes unreferenced blobs stored a
// moment ago. A build running at the same time may then fail storing its image (its
// layer is gone: ErrNotFound), so use it only when no build runs (tests, an explicit
// "prune now" by the only user). Temp files still get GCGrace, since in-flight writes
// own them.
func (s *Store) GCNow(ctx context.Context) (int64, error) { return s.gc(ctx, 0) }

func (s *Store) gc(ctx context.Context, grace time.Duration) (int64, error) {
	return s.collect(ctx, s.now().Add(-grace), nil)
}

// Release removes, of the given blobs, those that no image in any workspace references
// and that nobody stored or re-stored after before: what `image rm` and `image prune`
// call with the layers of the images they deleted and the time they started, so the
// space they report is freed at once. A build that stores one of these blobs meanwhile
// renews it, and it stays.
func (s *Store) Release(ctx context.Context, blobs []digest.Digest, before time.Time) (int64, error) {
	if len(blobs) == 0 {
		return 0, nil
	}
	return s.collect(ctx, before, blobs)
}

// collect removes unreferenced blobs last used at or before cutoff; only, when only is
// not nil, among those.
func (s *Store) collect(ctx context.Context, cutoffTime time.Time, only []digest.Digest) (int64, error) {
	now := s.now()
	cutoff := formatTime(cutoffTime)
	restrict := ""
	args := []any{cutoff}
	if only != nil {
		restrict = ` AND b.digest IN (?` + strings.Repeat(",?", len(only)-1) + `)`
		for _, d := range only {
			args = append(args, d.String())
		}
	}
	var freed int64
	var removeErr error
	// Files are removed inside the write transaction: a writer renames a blob into place
	// and renews a blob's row under the same lock, so neither can interleave.
	err := s.write(ctx, func(tx *sql.Tx) error {
		freed, removeErr = 0, nil
		rows, err := tx.QueryContext(ctx, `SELECT b.digest, b.recipe, b.size FROM blobs b
			WHERE b.used <= ?
			AND NOT EXISTS (SELECT 1 FROM image_layers l WHERE l.diff_id = b.digest)
			AND NOT EXISTS (SELECT 1 FROM image_layers l WHERE l.digest = b.digest AND l.digest != '')
			AND NOT EXISTS (SELECT 1 FROM images i WHERE i.id = b.digest)
			AND NOT EXISTS (SELECT 1 FROM hub_blobs h WHERE h.store_digest = b.digest)
			AND NOT EXISTS (SELECT 1 FROM hub_manifests h WHERE h.store_digest = b.digest)
			AND NOT EXISTS (SELECT 1 FROM hub_manifest_refs h WHERE h.store_digest = b.digest AND h.store_digest != '')`+restrict, args...)
		if err != nil {
			return err
		}
		var dead []digest.Digest
		generated := map[digest.Digest]int64{}
		for rows.Next() {
			var d, recipe string
			var size int64
			if err := rows.Scan(&d, &recipe, &size); err != nil {
				rows.Close()
				return err
			}
			dead = append(dead, digest.Digest(d))
			if recipe != "" {
				generated[digest.Digest(d)] = size
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range dead {
			path := s.BlobPath(d)
			if path == "" {
				continue // a malformed row names no file; leave it for a person to see
			}
			// A generated blob (no file) counts its recorded size: the space the daemon
			// the store stands for would free, as `docker image prune` reports it.
			size := generated[d]
			if fi, err := os.Stat(path); err == nil {
				size = fi.Size()
			}
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				if removeErr == nil {
					removeErr = fmt.Errorf("remove blob %s: %w", d, err)
				}
				continue // keep the row: the file is still there
			}
			freed += size
			if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE digest = ?`, d.String()); err != nil {
				return err
			}
			// What a push recorded about the layer goes with it.
			if _, err := tx.ExecContext(ctx, `DELETE FROM layer_gzip WHERE diff_id = ?`, d.String()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("gc: %w", err)
	}
	n, err := s.sweepTmp(now.Add(-GCGrace))
	freed += n
	if err != nil && removeErr == nil {
		removeErr = err
	}
	if removeErr != nil {
		return freed, fmt.Errorf("gc: %w", removeErr)
	}
	return freed, nil
}

// sweepTmp removes temp files last modified before cutoff.
func (s *Store) sweepTmp(cutoff time.Time) (int64, error) {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return 0, fmt.Errorf("sweep temp files: %w", err)
	}
	var freed int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(s.tmpDir(), e.Name())); err == nil {
			freed += fi.Size()
		}
	}
	return freed, nil
}
