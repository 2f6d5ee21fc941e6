package db

import (
	"context"
	"database/sql"
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
		if c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("file name %q: control characters are not allowed: %w", p, ErrInvalid)
		}
	}
	return path.Clean(p), nil
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
		return nil
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
