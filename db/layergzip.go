package db

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	digest "github.com/opencontainers/go-digest"
)

// LayerGzip returns the digest and size of layerlab's gzip of stored layer diffID, as
// SetLayerGzip recorded them, or "" and 0 when none is recorded.
func (s *Store) LayerGzip(ctx context.Context, diffID digest.Digest) (digest.Digest, int64, error) {
	var d string
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT digest, size FROM layer_gzip WHERE diff_id = ?`, diffID.String()).Scan(&d, &n)
	if isNoRows(err) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("layer gzip %s: %w", diffID, err)
	}
	return digest.Digest(d), n, nil
}

// SetLayerGzip records that layerlab's gzip of layer diffID is blob d, of size bytes:
// what a push learned by compressing the layer, once a registry holds that blob. The
// compression is deterministic, so the record holds for every workspace; a second
// record of the same layer replaces the first. A layer pulled from a registry keeps
// that registry's digest in its image (image.Layer.Digest); this record is apart from
// it and never changes it.
func (s *Store) SetLayerGzip(ctx context.Context, diffID, d digest.Digest, size int64) error {
	if err := checkDigest(diffID); err != nil {
		return fmt.Errorf("set layer gzip: %w", err)
	}
	if err := checkDigest(d); err != nil {
		return fmt.Errorf("set layer gzip of %s: %w", diffID, err)
	}
	if size <= 0 {
		return fmt.Errorf("set layer gzip of %s: size %d: %w", diffID, size, ErrInvalid)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO layer_gzip (diff_id, digest, size, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (diff_id) DO UPDATE SET digest = excluded.digest, size = excluded.size, created = excluded.created
			WHERE digest != excluded.digest OR size != excluded.size`,
			diffID.String(), d.String(), size, formatTime(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("set layer gzip of %s: %w", diffID, err)
	}
	return nil
}

// TempFile creates a scratch file in the store's directory (blobs/tmp, on the same
// disk as the blobs rather than in a possibly small /tmp), for a caller that needs to
// hold a large stream for a moment, such as a compressed layer before its upload. The
// caller removes it; GC sweeps one left behind by a process that died.
func (s *Store) TempFile(pattern string) (*os.File, error) {
	f, err := os.CreateTemp(s.tmpDir(), pattern)
	if err != nil {
		return nil, fmt.Errorf("temp file: %w", err)
	}
	return f, nil
}

// LayerGzip is Store.LayerGzip: the records are shared by all workspaces.
func (w *Workspace) LayerGzip(ctx context.Context, diffID digest.Digest) (digest.Digest, int64, error) {
	return w.s.LayerGzip(ctx, diffID)
}

// SetLayerGzip is Store.SetLayerGzip.
func (w *Workspace) SetLayerGzip(ctx context.Context, diffID, d digest.Digest, size int64) error {
	return w.s.SetLayerGzip(ctx, diffID, d, size)
}

// TempFile is Store.TempFile.
func (w *Workspace) TempFile(pattern string) (*os.File, error) { return w.s.TempFile(pattern) }
