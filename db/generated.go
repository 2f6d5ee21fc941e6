package db

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/standin"
)

// PutGenerated records blob d, of size bytes, as generated content: recipe (an
// engine/standin.Recipe, encoded) makes its bytes, so no file is written. OpenBlob
// produces the bytes when someone reads them, verified against d as they stream. A
// blob that is stored already (a file, or generated) is renewed (GC's grace period
// starts again) and keeps its bytes; its recipe is recorded too.
func (s *Store) PutGenerated(ctx context.Context, d digest.Digest, size int64, recipe string) error {
	if err := checkDigest(d); err != nil {
		return fmt.Errorf("put generated blob: %w", err)
	}
	if _, err := standin.ParseRecipe(recipe); err != nil {
		return fmt.Errorf("put generated blob %s: %w: %w", d, ErrInvalid, err)
	}
	if size < 0 {
		return fmt.Errorf("put generated blob %s: size %d: %w", d, size, ErrInvalid)
	}
	now := formatTime(s.now())
	err := s.write(ctx, func(tx *sql.Tx) error {
		var have int64
		err := tx.QueryRowContext(ctx, `SELECT size FROM blobs WHERE digest = ?`, d.String()).Scan(&have)
		if err == nil && have != size {
			// One digest, two sizes: the recipe cannot make these bytes.
			return fmt.Errorf("blob is stored with %d bytes, the recipe says %d: %w", have, size, ErrDigestMismatch)
		}
		if err != nil && !isNoRows(err) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO blobs (digest, size, created, used, recipe) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (digest) DO UPDATE SET used = excluded.used, recipe = excluded.recipe`,
			d.String(), size, now, now, recipe)
		return err
	})
	if err != nil {
		return fmt.Errorf("put generated blob %s: %w", d, err)
	}
	return nil
}

// openGenerated opens blob d when it is generated content (its bytes made now from
// its recipe), or returns ErrNotFound.
func (s *Store) openGenerated(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	var recipe string
	var size int64
	err := s.db.QueryRowContext(ctx, `SELECT recipe, size FROM blobs WHERE digest = ?`, d.String()).Scan(&recipe, &size)
	if isNoRows(err) || (err == nil && recipe == "") {
		return nil, fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", d, err)
	}
	r, err := standin.ParseRecipe(recipe)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", d, err)
	}
	return standin.Open(r, d, size)
}

// StandInLayer returns the diffID and tar size remembered for a stand-in layer's
// recipe fingerprint (RememberStandInLayer), with ok false when none is.
func (s *Store) StandInLayer(ctx context.Context, fp digest.Digest) (digest.Digest, int64, bool, error) {
	var d string
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT diff_id, size FROM standin_layers WHERE fingerprint = ?`, fp.String()).Scan(&d, &n)
	if isNoRows(err) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("stand-in layer %s: %w", fp, err)
	}
	return digest.Digest(d), n, true, nil
}

// RememberStandInLayer records what a fingerprint the embedded table lacks was measured
// to be, for every later process.
func (s *Store) RememberStandInLayer(ctx context.Context, fp, d digest.Digest, size int64) error {
	if err := checkDigest(fp); err != nil {
		return fmt.Errorf("remember stand-in layer: %w", err)
	}
	if err := checkDigest(d); err != nil {
		return fmt.Errorf("remember stand-in layer %s: %w", fp, err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO standin_layers (fingerprint, diff_id, size, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (fingerprint) DO UPDATE SET diff_id = excluded.diff_id, size = excluded.size`,
			fp.String(), d.String(), size, formatTime(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("remember stand-in layer %s: %w", fp, err)
	}
	return nil
}

// PutGenerated is Store.PutGenerated: blobs are shared by all workspaces.
func (w *Workspace) PutGenerated(ctx context.Context, d digest.Digest, size int64, recipe string) error {
	return w.s.PutGenerated(ctx, d, size, recipe)
}

// StandInLayer is Store.StandInLayer.
func (w *Workspace) StandInLayer(ctx context.Context, fp digest.Digest) (digest.Digest, int64, bool, error) {
	return w.s.StandInLayer(ctx, fp)
}

// RememberStandInLayer is Store.RememberStandInLayer.
func (w *Workspace) RememberStandInLayer(ctx context.Context, fp, d digest.Digest, size int64) error {
	return w.s.RememberStandInLayer(ctx, fp, d, size)
}
