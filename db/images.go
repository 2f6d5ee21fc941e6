package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/image"
)

var _ build.Store = (*Workspace)(nil)

// imageCols are the columns PutImage writes, in its order.
const imageCols = `id, config, parent, created, cache_key, layers, build`

// recordCols are the columns scanRecord reads: all but the config, which a record
// loads when asked (Record.RawConfig).
const recordCols = `id, parent, created, cache_key, layers, build`

type scanner interface{ Scan(dest ...any) error }

func (w *Workspace) scanRecord(sc scanner) (*image.Record, error) {
	var (
		id, parent, created, key, layers string
		info                             sql.NullString
	)
	if err := sc.Scan(&id, &parent, &created, &key, &layers, &info); err != nil {
		return nil, err
	}
	config := []byte(nil)
	// The config is read and decoded on first use (Record.ConfigFile): a cached rebuild
	// reads a record per step and decodes none of them.
	rec := &image.Record{
		ID:       digest.Digest(id),
		Config:   config,
		Parent:   digest.Digest(parent),
		CacheKey: key,
	}
	w.setConfigLoader(rec, id)
	var err error
	if rec.Created, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("stored image %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(layers), &rec.Layers); err != nil {
		return nil, fmt.Errorf("stored image %s: layers: %w", id, err)
	}
	if info.Valid {
		rec.Build = new(image.StepInfo)
		if err := json.Unmarshal([]byte(info.String), rec.Build); err != nil {
			return nil, fmt.Errorf("stored image %s: build info: %w", id, err)
		}
	}
	return rec, nil
}

// setConfigLoader lets rec read its config when something asks for it.
func (w *Workspace) setConfigLoader(rec *image.Record, id string) {
	rec.SetConfigLoader(func(ctx context.Context) ([]byte, error) {
		var raw []byte
		err := w.s.db.QueryRowContext(ctx,
			`SELECT config FROM images WHERE workspace = ? AND id = ?`, w.name, id).Scan(&raw)
		if isNoRows(err) {
			return nil, fmt.Errorf("config of image %s: %w", id, ErrNotFound) // deleted since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("config of image %s: %w", id, err)
		}
		return raw, nil
	})
}

func (w *Workspace) scanRecords(rows *sql.Rows) ([]*image.Record, error) {
	defer rows.Close()
	out := []*image.Record{}
	for rows.Next() {
		rec, err := w.scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Image returns the image with this ID in the workspace, or ErrNotFound.
func (w *Workspace) Image(ctx context.Context, id digest.Digest) (*image.Record, error) {
	ctx = context.WithoutCancel(ctx) // one indexed row: see Cached
	row := w.s.db.QueryRowContext(ctx,
		`SELECT `+recordCols+` FROM images WHERE workspace = ? AND id = ?`, w.name, id.String())
	rec, err := w.scanRecord(row)
	if isNoRows(err) {
		return nil, fmt.Errorf("image %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", id, err)
	}
	w.s.records.put(w.name, rec)
	return rec, nil
}

// Cached is the classic builder's cache probe: the newest image in the workspace whose
// parent is parent ("" for FROM scratch) and whose CacheKey is key, or ErrNotFound. An
// empty key never hits: images not built here have none.
func (w *Workspace) Cached(ctx context.Context, parent digest.Digest, key string) (*image.Record, error) {
	if key == "" {
		return nil, fmt.Errorf("cache probe on %q: empty cache key: %w", parent, ErrNotFound)
	}
	// The index covers this query; the record itself usually comes from memory.
	var id string
	err := w.s.db.QueryRowContext(ctx, `SELECT id FROM images
		WHERE workspace = ? AND parent = ? AND cache_key = ?
		ORDER BY created DESC LIMIT 1`, w.name, parent.String(), key).Scan(&id)
	if isNoRows(err) {
		return nil, fmt.Errorf("cache probe on %q: %w", parent, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("cache probe on %q: %w", parent, err)
	}
	if rec, ok := w.s.records.get(w.name, digest.Digest(id)); ok {
		return rec, nil
	}
	return w.Image(ctx, digest.Digest(id))
}

// recordCache keeps image records by (workspace, id). A row is never updated in place,
// so a cached record is current for as long as the row exists; callers that found the
// ID in the database first (Cached) may use it. DeleteImage drops entries.
type recordCache struct {
	sync.Mutex
	m map[string]*image.Record
}

func (c *recordCache) get(ws string, id digest.Digest) (*image.Record, bool) {
	c.Lock()
	defer c.Unlock()
	r, ok := c.m[ws+"\x00"+id.String()]
	return r, ok
}

func (c *recordCache) put(ws string, r *image.Record) {
	c.Lock()
	defer c.Unlock()
	if c.m == nil || len(c.m) >= 8192 {
		c.m = map[string]*image.Record{}
	}
	c.m[ws+"\x00"+r.ID.String()] = r
}

func (c *recordCache) drop(ws string, id digest.Digest) {
	c.Lock()
	defer c.Unlock()
	delete(c.m, ws+"\x00"+id.String())
}

// Children returns the images in the workspace whose parent is parent, newest first,
// at most limit of them (limit <= 0: all).
func (w *Workspace) Children(ctx context.Context, parent digest.Digest, limit int) ([]*image.Record, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := w.s.db.QueryContext(ctx, `SELECT `+recordCols+` FROM images
		WHERE workspace = ? AND parent = ? ORDER BY created DESC, id LIMIT ?`, w.name, parent.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("children of %s: %w", parent, err)
	}
	recs, err := w.scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("children of %s: %w", parent, err)
	}
	return recs, nil
}

// ImageList returns every image in the workspace, newest first, without their layers,
// build info or config loaded (each loads on demand): what `image ls` needs, fast.
func (w *Workspace) ImageList(ctx context.Context) ([]*image.Record, error) {
	// One row holding every image, one line each: stepping ten thousand rows through
	// database/sql costs a cgo call per column, and `image ls` must stay fast.
	var all sql.NullString
	err := w.s.db.QueryRowContext(ctx, `SELECT group_concat(line, char(10)) FROM
		(SELECT id || ' ' || parent || ' ' || created || ' ' || size AS line FROM images
		 WHERE workspace = ? ORDER BY created DESC)`, w.name).Scan(&all)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var out []*image.Record
	for _, line := range strings.Split(all.String, "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 4 {
			return nil, fmt.Errorf("list images: malformed row %q", line)
		}
		t, err := parseTime(f[2])
		if err != nil {
			return nil, fmt.Errorf("list images: %w", err)
		}
		size, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("list images: %w", err)
		}
		rec := &image.Record{ID: digest.Digest(f[0]), Parent: digest.Digest(f[1]), Created: t}
		rec.SetSize(size)
		w.setConfigLoader(rec, f[0])
		out = append(out, rec)
	}
	// The index gives newest first; equal times are ordered by ID, as Images does.
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Images returns every image in the workspace, intermediate ones included, newest first.
func (w *Workspace) Images(ctx context.Context) ([]*image.Record, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT `+recordCols+` FROM images
		WHERE workspace = ? ORDER BY created DESC, id`, w.name)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	recs, err := w.scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	return recs, nil
}

// PutImage stores an image in the workspace. rec.ID must be the sha256 of rec.Config
// (else ErrDigestMismatch), rec.Layers must match the config's rootfs, and every
// layer's blob (by DiffID) must already be stored (else ErrNotFound). The config lives
// in the images row only: writing it as a blob too cost an fsync per metadata step. Storing an image the workspace
// already has is not an error and changes nothing. A zero rec.Created means the
// config's created time.
func (w *Workspace) PutImage(ctx context.Context, rec *image.Record) error {
	return w.putImage(ctx, rec, "")
}

// PutHeldImage is Hold then PutImage in one transaction: a build's step stores its
// image held by the build, with one commit instead of two (a class's first builds
// commit thousands of steps in their first seconds, and every commit waits for the
// one before).
func (w *Workspace) PutHeldImage(ctx context.Context, holder string, rec *image.Record) error {
	if holder == "" {
		return fmt.Errorf("put held image: no holder: %w", ErrInvalid)
	}
	return w.putImage(ctx, rec, holder)
}

// hold is Hold's statement, in the caller's transaction.
func (w *Workspace) hold(ctx context.Context, tx *sql.Tx, holder string, id digest.Digest) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO holds (workspace, image_id, holder, expires) VALUES (?, ?, ?, ?)
		ON CONFLICT (workspace, image_id, holder) DO UPDATE SET expires = excluded.expires`,
		w.name, id.String(), holder, formatTime(w.s.now().Add(HoldTime)))
	return err
}

// putImage stores rec and, when holder is set, holds it for holder in the same
// transaction.
func (w *Workspace) putImage(ctx context.Context, rec *image.Record, holder string) error {
	if rec == nil {
		return fmt.Errorf("put image: nil record: %w", ErrInvalid)
	}
	raw, err := rec.RawConfig(ctx)
	if err != nil {
		return fmt.Errorf("put image %s: %w", rec.ID, err)
	}
	if err := checkRecord(rec, raw); err != nil {
		return fmt.Errorf("put image %s: %w", rec.ID, err)
	}
	var n int
	if err := w.s.db.QueryRowContext(ctx, `SELECT count(*) FROM images WHERE workspace = ? AND id = ?`,
		w.name, rec.ID.String()).Scan(&n); err != nil {
		return fmt.Errorf("put image %s: %w", rec.ID, err)
	}
	if n > 0 {
		if holder != "" {
			return w.Hold(ctx, holder, rec.ID)
		}
		return nil
	}
	layers, err := json.Marshal(rec.Layers)
	if err != nil {
		return fmt.Errorf("put image %s: %w", rec.ID, err)
	}
	var info sql.NullString
	if rec.Build != nil {
		b, err := json.Marshal(rec.Build)
		if err != nil {
			return fmt.Errorf("put image %s: %w", rec.ID, err)
		}
		info = sql.NullString{String: string(b), Valid: true}
	}
	created := rec.Created
	if created.IsZero() {
		img, err := rec.ConfigFile(ctx)
		if err != nil {
			return fmt.Errorf("put image %s: read config: %w", rec.ID, err)
		}
		created = img.Created
	}
	err = w.s.write(ctx, func(tx *sql.Tx) error {
		if holder != "" {
			if err := w.hold(ctx, tx, holder, rec.ID); err != nil {
				return err
			}
		}
		// One statement each for the blob check and the layer rows: an image built on a
		// big base has dozens of layers, and this runs once per rebuilt step.
		if len(rec.Layers) > 0 {
			args := make([]any, 0, len(rec.Layers))
			seen := map[digest.Digest]bool{}
			for _, l := range rec.Layers {
				if !seen[l.DiffID] {
					seen[l.DiffID] = true
					args = append(args, l.DiffID.String())
				}
			}
			var n int
			q := `SELECT count(*) FROM blobs WHERE digest IN (?` + strings.Repeat(",?", len(args)-1) + `)`
			if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				return err
			}
			if n != len(args) {
				for i, l := range rec.Layers {
					var one int
					if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE digest = ?`, l.DiffID.String()).Scan(&one); err == nil && one == 0 {
						return fmt.Errorf("layer %d (%s): blob is not stored: %w", i+1, l.DiffID, ErrNotFound)
					}
				}
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO images (`+imageCols+`, workspace, size)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace, id) DO NOTHING`,
			rec.ID.String(), raw, rec.Parent.String(), formatTime(created), rec.CacheKey,
			string(layers), info, w.name, rec.Size())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // stored meanwhile by another writer: nothing to do
		}
		if len(rec.Layers) == 0 {
			return nil
		}
		args := make([]any, 0, 5*len(rec.Layers))
		for i, l := range rec.Layers {
			args = append(args, w.name, rec.ID.String(), i, l.DiffID.String(), l.Digest.String())
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO image_layers (workspace, image_id, position, diff_id, digest) VALUES (?, ?, ?, ?, ?)`+
			strings.Repeat(", (?, ?, ?, ?, ?)", len(rec.Layers)-1), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("put image %s: %w", rec.ID, err)
	}
	return nil
}

// checkRecord checks what must hold of a record before it is stored: its ID is the
// digest of its config, the config decodes, and its layers are the config's rootfs.
func checkRecord(rec *image.Record, raw []byte) error {
	if err := checkDigest(rec.ID); err != nil {
		return err
	}
	if got := digest.FromBytes(raw); got != rec.ID {
		return fmt.Errorf("config hashes to %s: %w", got, ErrDigestMismatch)
	}
	if rec.Parent != "" {
		if err := checkDigest(rec.Parent); err != nil {
			return fmt.Errorf("parent: %w", err)
		}
	}
	img, err := image.Decode(raw)
	if err != nil {
		return err
	}
	if len(img.RootFS.DiffIDs) != len(rec.Layers) {
		return fmt.Errorf("record has %d layers, config rootfs has %d: %w",
			len(rec.Layers), len(img.RootFS.DiffIDs), ErrInvalid)
	}
	for i, l := range rec.Layers {
		if l.DiffID != img.RootFS.DiffIDs[i] {
			return fmt.Errorf("layer %d is %s, config rootfs says %s: %w", i+1, l.DiffID, img.RootFS.DiffIDs[i], ErrInvalid)
		}
		if l.Digest != "" {
			if err := checkDigest(l.Digest); err != nil {
				return fmt.Errorf("layer %d compressed digest: %w", i+1, err)
			}
		}
	}
	return nil
}

// DeleteImage removes an image from the workspace, with its tags. It refuses with
// ErrHasChildren when another image in the workspace has it as parent, and returns
// ErrNotFound when there is no such image. Blobs stay until GC.
func (w *Workspace) DeleteImage(ctx context.Context, id digest.Digest) error {
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM images WHERE workspace = ? AND id = ?`,
			w.name, id.String()).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		// An image a running build stands on stays (see Hold).
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM holds WHERE workspace = ? AND image_id = ? AND expires > ?`,
			w.name, id.String(), formatTime(w.s.now())).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return ErrHeld
		}
		// A tag set since the caller looked (another process tagging it) keeps the
		// image: deleting would cascade the new tag away with it.
		var tags int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tags WHERE workspace = ? AND image_id = ?`,
			w.name, id.String()).Scan(&tags); err != nil {
			return err
		}
		if tags > 0 {
			return ErrHasTags
		}
		var child string
		err := tx.QueryRowContext(ctx, `SELECT id FROM images WHERE workspace = ? AND parent = ? LIMIT 1`,
			w.name, id.String()).Scan(&child)
		if err == nil {
			return fmt.Errorf("%w (%s)", ErrHasChildren, image.ShortID(digest.Digest(child)))
		}
		if !isNoRows(err) {
			return err
		}
		// Tags and image_layers go with it (ON DELETE CASCADE).
		_, err = tx.ExecContext(ctx, `DELETE FROM images WHERE workspace = ? AND id = ?`, w.name, id.String())
		return err
	})
	w.s.records.drop(w.name, id)
	w.s.forgetUsage(w.name) // the space it freed counts at the next check
	if err != nil {
		return fmt.Errorf("delete image %s: %w", id, err)
	}
	return nil
}

// PutBlob is Store.PutBlob (blobs are shared by all workspaces), under the
// workspace's storage quota when the store has one (see quota.go).
func (w *Workspace) PutBlob(ctx context.Context, d digest.Digest, r io.Reader) (digest.Digest, int64, error) {
	return w.putBlob(ctx, d, r)
}

// OpenBlob is Store.OpenBlob.
func (w *Workspace) OpenBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	return w.s.OpenBlob(ctx, d)
}

// BlobPath is Store.BlobPath.
func (w *Workspace) BlobPath(d digest.Digest) string { return w.s.BlobPath(d) }

// HasLayer reports whether an image of the workspace has the layer diffID (the store's
// blobs are shared by every workspace; this is what one workspace has).
func (w *Workspace) HasLayer(ctx context.Context, diffID digest.Digest) (bool, error) {
	var one int
	err := w.s.db.QueryRowContext(ctx,
		`SELECT 1 FROM image_layers WHERE diff_id = ? AND workspace = ? LIMIT 1`, diffID.String(), w.name).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("layer %s: %w", diffID, err)
	}
	return true, nil
}

// BlobSize is Store.BlobSize.
func (w *Workspace) BlobSize(ctx context.Context, d digest.Digest) (int64, error) {
	return w.s.BlobSize(ctx, d)
}

// GC is Store.GC: it collects blobs across all workspaces.
func (w *Workspace) GC(ctx context.Context) (int64, error) { return w.s.GC(ctx) }

// GCNow is Store.GCNow.
func (w *Workspace) GCNow(ctx context.Context) (int64, error) { return w.s.GCNow(ctx) }

// Release frees, among blobs, those nothing references any more (see Store.Release).
func (w *Workspace) Release(ctx context.Context, blobs []digest.Digest, before time.Time) (int64, error) {
	return w.s.Release(ctx, blobs, before)
}

// HoldTime is how long a build's hold on an image lasts without being renewed: longer
// than any step (a RUN is limited to seconds), short enough that a killed build's holds
// soon stop mattering.
const HoldTime = 10 * time.Minute

// Hold marks id as in use by holder (a running build): DeleteImage refuses it with
// ErrHeld until Unhold or until the hold expires.
func (w *Workspace) Hold(ctx context.Context, holder string, id digest.Digest) error {
	err := w.s.write(ctx, func(tx *sql.Tx) error { return w.hold(ctx, tx, holder, id) })
	if err != nil {
		return fmt.Errorf("hold %s: %w", id, err)
	}
	return nil
}

// Unhold releases holder's holds (and drops expired ones of anybody).
func (w *Workspace) Unhold(ctx context.Context, holder string) error {
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM holds WHERE workspace = ? AND (holder = ? OR expires <= ?)`,
			w.name, holder, formatTime(w.s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("unhold %s: %w", holder, err)
	}
	return nil
}
