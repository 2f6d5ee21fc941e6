package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

// ContextFile is one file of a workspace's build context, as the playground edits it.
type ContextFile struct {
	Path     string      // slash-separated, relative, clean: "app/main.py"
	Data     []byte      // the file's bytes
	Mode     fs.FileMode // permission bits; 0 means 0644
	Modified time.Time   // set by the store
}

// CleanContextPath checks a context file path and returns it in its one stored form:
// relative, slash-separated, no "." or ".." elements, no leading or trailing slash.
func CleanContextPath(p string) (string, error) {
	p = strings.TrimPrefix(strings.ReplaceAll(p, "\\", "/"), "./")
	if p == "" || strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("file name %q: use a relative path such as app/main.py: %w", p, ErrInvalid)
	}
	if len(p) > 1024 {
		return "", fmt.Errorf("file name %.40q...: longer than 1024 bytes: %w", p, ErrInvalid)
	}
	for _, el := range strings.Split(p, "/") {
		if el == "" || el == "." || el == ".." {
			return "", fmt.Errorf("file name %q: empty, \".\" and \"..\" parts are not allowed: %w", p, ErrInvalid)
		}
	}
	for _, c := range p {
		if name := hiddenRune(c); name != "" {
			return "", fmt.Errorf("file name %q: holds %s: control characters, bidirectional controls and "+
				"zero-width characters are not allowed in a file name (they hide or reorder what it shows): "+
				"rename the file: %w", p, name, ErrInvalid)
		}
	}
	return path.Clean(p), nil
}

// invisibleRunes are the characters a file name may not hold besides control
// characters: the bidirectional embeddings, overrides, isolates and marks, which make a
// name display in another order than it is ("gpj.exe" shown as "exe.jpg"), and the
// zero-width characters, which make two different names look the same.
var invisibleRunes = map[rune]string{
	0x061C: "ARABIC LETTER MARK",
	0x200B: "ZERO WIDTH SPACE",
	0x200C: "ZERO WIDTH NON-JOINER",
	0x200D: "ZERO WIDTH JOINER",
	0x200E: "LEFT-TO-RIGHT MARK",
	0x200F: "RIGHT-TO-LEFT MARK",
	0x202A: "LEFT-TO-RIGHT EMBEDDING",
	0x202B: "RIGHT-TO-LEFT EMBEDDING",
	0x202C: "POP DIRECTIONAL FORMATTING",
	0x202D: "LEFT-TO-RIGHT OVERRIDE",
	0x202E: "RIGHT-TO-LEFT OVERRIDE",
	0x2060: "WORD JOINER",
	0x2066: "LEFT-TO-RIGHT ISOLATE",
	0x2067: "RIGHT-TO-LEFT ISOLATE",
	0x2068: "FIRST STRONG ISOLATE",
	0x2069: "POP DIRECTIONAL ISOLATE",
	0xFEFF: "ZERO WIDTH NO-BREAK SPACE",
}

// hiddenRune names c as a message says it ("U+202E RIGHT-TO-LEFT OVERRIDE", "the
// control character U+0009") when a file name may not hold it, and is "" otherwise.
func hiddenRune(c rune) string {
	if c < 0x20 || (c >= 0x7f && c <= 0x9f) {
		return fmt.Sprintf("the control character U+%04X", c)
	}
	if name, ok := invisibleRunes[c]; ok {
		return fmt.Sprintf("U+%04X %s", c, name)
	}
	return ""
}

// checkFileOrDir refuses p when it would be both a file and a directory in the
// context: an ancestor of p is stored as a file ("conf" when writing "conf/g"), or p
// is the directory of a stored file ("conf/g" when writing "conf"). A build context
// is a tree; such a pair would be accepted here and then fail every build.
func checkFileOrDir(ctx context.Context, tx *sql.Tx, ws, p string) error {
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM context_files WHERE workspace = ? AND path = ?`,
			ws, dir).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("file name %q: %q is a file, and a path cannot be both a file and a directory: "+
				"rename or delete %q first: %w", p, dir, dir, ErrInvalid)
		}
	}
	// The files under p/ sort between "p/" and "p0" ('0' follows '/').
	var under string
	err := tx.QueryRowContext(ctx, `SELECT path FROM context_files WHERE workspace = ? AND path > ? AND path < ?
		ORDER BY path LIMIT 1`, ws, p+"/", p+"0").Scan(&under)
	switch {
	case err == nil:
		return fmt.Errorf("file name %q: %q is a directory (it holds %q), and a path cannot be both a file and a directory: "+
			"pick another name or move %q first: %w", p, p, under, under, ErrInvalid)
	case errors.Is(err, sql.ErrNoRows):
		return nil
	}
	return err
}

// ContextFiles returns the workspace's build context, sorted by path.
func (w *Workspace) ContextFiles(ctx context.Context) ([]ContextFile, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT path, data, mode, modified FROM context_files
		WHERE workspace = ? ORDER BY path`, w.name)
	if err != nil {
		return nil, fmt.Errorf("context files: %w", err)
	}
	defer rows.Close()
	out := []ContextFile{}
	for rows.Next() {
		var f ContextFile
		var mode int64
		var mod string
		if err := rows.Scan(&f.Path, &f.Data, &mode, &mod); err != nil {
			return nil, fmt.Errorf("context files: %w", err)
		}
		f.Mode = fs.FileMode(mode)
		if f.Modified, err = parseTime(mod); err != nil {
			return nil, fmt.Errorf("context files: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("context files: %w", err)
	}
	return out, nil
}

func putContextFile(ctx context.Context, tx *sql.Tx, ws string, f ContextFile, now string) error {
	p, err := CleanContextPath(f.Path)
	if err != nil {
		return err
	}
	mode := f.Mode.Perm()
	if mode == 0 {
		mode = 0o644
	}
	if err := checkFileOrDir(ctx, tx, ws, p); err != nil {
		return err
	}
	data := f.Data
	if data == nil {
		data = []byte{}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO context_files (workspace, path, data, mode, modified)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace, path) DO UPDATE
		SET data = excluded.data, mode = excluded.mode, modified = excluded.modified`,
		ws, p, data, int64(mode), now)
	return err
}

// PutContextFile creates or replaces one file of the build context.
func (w *Workspace) PutContextFile(ctx context.Context, f ContextFile) error {
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		return putContextFile(ctx, tx, w.name, f, formatTime(w.s.now()))
	})
	if err != nil {
		return fmt.Errorf("save %s: %w", f.Path, err)
	}
	return nil
}

// DeleteContextFile removes one file of the build context; ErrNotFound if there is none.
func (w *Workspace) DeleteContextFile(ctx context.Context, p string) error {
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM context_files WHERE workspace = ? AND path = ?`, w.name, p)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return nil
}

// RenameContextFile moves a file of the build context to a new path. ErrNotFound when
// from does not exist; ErrInvalid when to is taken or not a valid path.
func (w *Workspace) RenameContextFile(ctx context.Context, from, to string) error {
	to, err := CleanContextPath(to)
	if err != nil {
		return fmt.Errorf("rename %s: %w", from, err)
	}
	err = w.s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM context_files WHERE workspace = ? AND path = ?`,
			w.name, to).Scan(&n); err != nil {
			return err
		}
		if n > 0 && to != from {
			return fmt.Errorf("%s already exists: delete it first or pick another name: %w", to, ErrInvalid)
		}
		res, err := tx.ExecContext(ctx, `UPDATE context_files SET path = ?, modified = ? WHERE workspace = ? AND path = ?`,
			to, formatTime(w.s.now()), w.name, from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		// Checked after the move, so "conf" may become "conf/g" (it no longer is a file).
		return checkFileOrDir(ctx, tx, w.name, to)
	})
	if err != nil {
		return fmt.Errorf("rename %s: %w", from, err)
	}
	return nil
}

// ReplaceContext makes files the whole build context, in one transaction: a failure
// (an invalid path) leaves the old context as it was.
func (w *Workspace) ReplaceContext(ctx context.Context, files []ContextFile) error {
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM context_files WHERE workspace = ?`, w.name); err != nil {
			return err
		}
		now := formatTime(w.s.now())
		for _, f := range files {
			if err := putContextFile(ctx, tx, w.name, f, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace build context: %w", err)
	}
	return nil
}
