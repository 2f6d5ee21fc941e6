package db

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

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

// The hub's library/ (the official images' stand-ins, remote.EnsureLibrary) is made
// on first use: its manifests and configs, and the gzip of each layer a client pulls,
// are files, though every one of them can be made again from the stand-ins. So the
// server bounds their bytes (HubLibraryBytes) and evicts the least recently used tags
// (HubEvictLibrary) rather than let anonymous GETs fill the disk.

// HubLibraryTag is a tag of the hub's library/.
type HubLibraryTag struct {
	Repo    string
	Tag     string
	Updated time.Time // when it was made (pointed at its manifest)
}

const libraryLo, libraryHi = "library/", "library0" // '0' is the byte after '/'

// HubLibraryBytes is the bytes of the files library/ holds (each blob once: a layer
// two stand-ins share is stored, and counted, once).
func (s *Store) HubLibraryBytes(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(size), 0) FROM blobs WHERE recipe = '' AND digest IN (
		SELECT store_digest FROM hub_blobs WHERE repo >= ?1 AND repo < ?2
		UNION SELECT store_digest FROM hub_manifests WHERE repo >= ?1 AND repo < ?2
		UNION SELECT store_digest FROM hub_manifest_refs WHERE repo >= ?1 AND repo < ?2 AND store_digest != '')`,
		libraryLo, libraryHi).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("library bytes: %w", err)
	}
	return n, nil
}

// HubLibraryTags lists library/'s tags, oldest made first.
func (s *Store) HubLibraryTags(ctx context.Context) ([]HubLibraryTag, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT repo, tag, updated FROM hub_tags WHERE repo >= ? AND repo < ? ORDER BY updated, repo, tag`,
		libraryLo, libraryHi)
	if err != nil {
		return nil, fmt.Errorf("library tags: %w", err)
	}
	defer rows.Close()
	var tags []HubLibraryTag
	for rows.Next() {
		var t HubLibraryTag
		var updated string
		if err := rows.Scan(&t.Repo, &t.Tag, &updated); err != nil {
			return nil, fmt.Errorf("library tags: %w", err)
		}
		if t.Updated, err = parseTime(updated); err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("library tags: %w", err)
	}
	return tags, nil
}

// HubEvictLibrary removes tag of library repository repo: the tag, its manifest when
// no other tag names it, and the repository's blob links no manifest left names; then
// the files nothing else holds (another repository, a workspace's image) are removed.
// The next GET of the tag makes it again. It returns the bytes freed.
func (s *Store) HubEvictLibrary(ctx context.Context, repo, tag string) (int64, error) {
	if repo < libraryLo || repo >= libraryHi {
		return 0, fmt.Errorf("evict %s:%s: only library/ is made on demand: %w", repo, tag, ErrInvalid)
	}
	var freeable []digest.Digest
	err := s.write(ctx, func(tx *sql.Tx) error {
		var d string
		err := tx.QueryRowContext(ctx, `DELETE FROM hub_tags WHERE repo = ? AND tag = ? RETURNING digest`, repo, tag).Scan(&d)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		var store string
		err = tx.QueryRowContext(ctx, `DELETE FROM hub_manifests WHERE repo = ?1 AND digest = ?2
			AND NOT EXISTS (SELECT 1 FROM hub_tags WHERE repo = ?1 AND digest = ?2) RETURNING store_digest`, repo, d).Scan(&store)
		if err != nil && !isNoRows(err) {
			return err
		}
		if store != "" {
			freeable = append(freeable, digest.Digest(store))
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM hub_blobs WHERE repo = ?1 AND store_digest NOT IN (
			SELECT store_digest FROM hub_manifest_refs WHERE repo = ?1 AND store_digest != ''
			UNION SELECT store_digest FROM hub_manifests WHERE repo = ?1) RETURNING store_digest`, repo)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return err
			}
			freeable = append(freeable, digest.Digest(b))
		}
		if err := rows.Close(); err != nil {
			return err
		}
		return dropHubRepoIfEmpty(ctx, tx, repo)
	})
	if err != nil {
		return 0, fmt.Errorf("evict %s:%s: %w", repo, tag, err)
	}
	freed, err := s.Release(ctx, freeable, s.now())
	if err != nil {
		return freed, fmt.Errorf("evict %s:%s: %w", repo, tag, err)
	}
	return freed, nil
}
