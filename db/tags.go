package db

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// TagRow is one tag of a workspace (see image.TagRow).
type TagRow = image.TagRow

// Tag points ref at image id, moving it off any image it named before. Refs are stored
// normalised (docker.io/library/demo:v1). The image must be in the workspace
// (else ErrNotFound). Re-tagging an image with a ref it has keeps the tag's time.
func (w *Workspace) Tag(ctx context.Context, ref image.Ref, id digest.Digest) error {
	if ref.IsZero() {
		return fmt.Errorf("tag %s: empty reference: %w", id, ErrInvalid)
	}
	// Rebuilding an unchanged image re-tags it: answer that from a read, no write lock.
	var cur string
	if err := w.s.db.QueryRowContext(context.WithoutCancel(ctx), `SELECT image_id FROM tags WHERE workspace = ? AND ref = ?`,
		w.name, ref.String()).Scan(&cur); err == nil && cur == id.String() {
		return nil
	}
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM images WHERE workspace = ? AND id = ?`,
			w.name, id.String()).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("image %s: %w", id, ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tags (workspace, ref, image_id, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (workspace, ref) DO UPDATE SET image_id = excluded.image_id, created = excluded.created
			WHERE tags.image_id != excluded.image_id`,
			w.name, ref.String(), id.String(), formatTime(w.s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("tag %s as %s: %w", id, ref.Familiar(), err)
	}
	return nil
}

// Untag removes ref and returns the image it named, or ErrNotFound. The image stays
// (it may become dangling).
func (w *Workspace) Untag(ctx context.Context, ref image.Ref) (digest.Digest, error) {
	if ref.IsZero() {
		return "", fmt.Errorf("untag: empty reference: %w", ErrInvalid)
	}
	var id string
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `DELETE FROM tags WHERE workspace = ? AND ref = ? RETURNING image_id`,
			w.name, ref.String()).Scan(&id)
	})
	if isNoRows(err) {
		return "", fmt.Errorf("untag %s: %w", ref.Familiar(), ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("untag %s: %w", ref.Familiar(), err)
	}
	return digest.Digest(id), nil
}

// TagsOf returns the refs naming image id, in familiar form ("demo:v1"), sorted.
func (w *Workspace) TagsOf(ctx context.Context, id digest.Digest) ([]string, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT ref FROM tags WHERE workspace = ? AND image_id = ?`,
		w.name, id.String())
	if err != nil {
		return nil, fmt.Errorf("tags of %s: %w", id, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("tags of %s: %w", id, err)
		}
		ref, err := image.ParseRef(s)
		if err != nil {
			return nil, fmt.Errorf("tags of %s: stored %w", id, err)
		}
		out = append(out, ref.Familiar())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tags of %s: %w", id, err)
	}
	sort.Strings(out)
	return out, nil
}

// AllTags returns every tag of the workspace, sorted by repository, then tag.
func (w *Workspace) AllTags(ctx context.Context) ([]TagRow, error) {
	// One row holding every tag (see ImageList): image ls lists thousands.
	var all sql.NullString
	err := w.s.db.QueryRowContext(ctx, `SELECT group_concat(ref || ' ' || image_id || ' ' || created, char(10))
		FROM tags WHERE workspace = ?`, w.name).Scan(&all)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	out := []TagRow{}
	for _, line := range strings.Split(all.String, "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, " ")
		if len(f) != 3 {
			return nil, fmt.Errorf("list tags: malformed row %q", line)
		}
		// Stored refs were validated by ParseRef when tagged.
		familiar, repo, tag := image.SplitStored(f[0])
		t, err := parseTime(f[2])
		if err != nil {
			return nil, fmt.Errorf("list tags: %w", err)
		}
		out = append(out, TagRow{Ref: familiar, Repository: repo, Tag: tag, ID: digest.Digest(f[1]), Created: t})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repository != out[j].Repository {
			return out[i].Repository < out[j].Repository
		}
		return out[i].Ref < out[j].Ref
	})
	return out, nil
}

// Lookup resolves what a user typed to an image of the workspace, by Docker's rules:
//  1. "sha256:<64 hex>" is an image ID, never a name;
//  2. a reference (name, name:tag, name@digest; "demo" means docker.io/library/demo:latest)
//     stored by Tag names its image;
//  3. hex, optionally after "sha256:", is a full ID or a unique prefix of one
//     (a prefix of several IDs is ErrAmbiguous);
//
// else ErrNotFound, with s in the message.
func (w *Workspace) Lookup(ctx context.Context, s string) (*image.Record, error) {
	if s == "" {
		return nil, fmt.Errorf("lookup: empty reference: %w", ErrInvalid)
	}
	hex := strings.TrimPrefix(s, "sha256:")
	full := image.LooksLikeID(s) && len(hex) == 64
	if full && hex != s {
		return w.lookupID(ctx, s, digest.Digest(s))
	}
	if ref, err := image.ParseRef(s); err == nil {
		var id string
		err := w.s.db.QueryRowContext(ctx, `SELECT image_id FROM tags WHERE workspace = ? AND ref = ?`,
			w.name, ref.String()).Scan(&id)
		if err == nil {
			return w.lookupID(ctx, s, digest.Digest(id))
		}
		if !isNoRows(err) {
			return nil, fmt.Errorf("lookup %s: %w", s, err)
		}
	}
	if !image.LooksLikeID(s) {
		return nil, fmt.Errorf("no such image: %s: %w", s, ErrNotFound)
	}
	if full {
		return w.lookupID(ctx, s, digest.NewDigestFromEncoded(digest.SHA256, hex))
	}
	// Every ID with the prefix p sorts in [p, p+"g"): hex digits are all below 'g'.
	p := "sha256:" + hex
	rows, err := w.s.db.QueryContext(ctx, `SELECT id FROM images WHERE workspace = ? AND id >= ? AND id < ?
		ORDER BY id LIMIT 2`, w.name, p, p+"g")
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", s, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("lookup %s: %w", s, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lookup %s: %w", s, err)
	}
	rows.Close()
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("no such image: %s: %w", s, ErrNotFound)
	case 1:
		return w.lookupID(ctx, s, digest.Digest(ids[0]))
	default:
		return nil, fmt.Errorf("lookup %s: %w: give more of the ID", s, ErrAmbiguous)
	}
}

func (w *Workspace) lookupID(ctx context.Context, s string, id digest.Digest) (*image.Record, error) {
	rec, err := w.Image(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", s, err)
	}
	return rec, nil
}
