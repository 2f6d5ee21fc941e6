// Package db is layerlab's persistent store: SQLite metadata (images, tags, builds,
// build events, blob rows) in dir/layerlab.db, and a content-addressed blob directory
// dir/blobs/sha256/<hex> shared by every workspace.
//
// What must hold:
//   - Every connection is opened from one DSN (dsn) that carries every pragma, so the
//     pool never hands out a connection without WAL, the busy timeout, foreign keys,
//     immediate transactions or synchronous=NORMAL; the one setting the DSN cannot
//     carry (wal_autocheckpoint=0) is set by the driver's connect hook as each
//     connection opens (checkpoint.go). No PRAGMA is ever run through the pool's Exec.
//   - Every write is one BeginTx/Commit (BEGIN IMMEDIATE, through the DSN), so two
//     processes writing the same database wait for each other instead of failing with
//     "database is locked".
//   - A blob row exists only for a file that was written, fsynced, verified and renamed
//     into place; an image row references only blobs that have rows.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// DefaultWorkspace is the workspace the CLI uses when none is named.
const DefaultWorkspace = "default"

// Store is an open layerlab store. It is safe for concurrent use, and several Stores
// (in one or several processes) may use the same directory at once.
type Store struct {
	dir string
	db  *sql.DB
	now func() time.Time // the clock, replaceable by tests
	// afterPlace, when set by a test, runs between placing a blob file and writing its
	// row: the window in which GC may remove the file.
	afterPlace func()
	records    recordCache // decoded image records, by workspace and ID
	// wlock serialises this process's write transactions in Go: a writer waits here,
	// without holding a pooled connection, instead of polling in SQLite's busy handler
	// (sleeps of 1, 2, 5 ... 100 ms while the lock may already be free). The busy
	// timeout still covers writers in other processes (the CLI).
	wlock chan struct{}
	ckpt  *checkpointer // runs the checkpoints, off the write path (checkpoint.go)
}

// Open opens (creating if needed) the store under dir: dir/layerlab.db and
// dir/blobs/sha256/<hex>. It applies any pending migrations.
func Open(ctx context.Context, dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	for _, d := range []string{abs, filepath.Join(abs, "blobs", "sha256"), filepath.Join(abs, "blobs", "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	db, err := sql.Open(driverName, dsn(filepath.Join(abs, "layerlab.db")))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	// SQLite allows one writer at a time anyway; a bounded pool makes goroutines of this
	// process queue in Go rather than all spinning in SQLite's busy handler.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	s := &Store{dir: abs, db: db, now: time.Now, wlock: make(chan struct{}, 1)}
	s.startCheckpointer()
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	if err := s.loadQuotaOverrides(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	return s, nil
}

// dsn is the one place the connection string is built. Every pooled connection is
// opened from it, so every connection gets every setting:
//   - _journal_mode=WAL: readers never block the writer, nor it them.
//   - _busy_timeout=10000: wait up to 10 s for another writer (another goroutine or
//     process) instead of failing with "database is locked".
//   - _foreign_keys=on: enforce the REFERENCES clauses of the schema.
//   - _txlock=immediate: BeginTx issues BEGIN IMMEDIATE, taking the write lock up
//     front, so a transaction never fails upgrading from read to write.
//   - _synchronous=NORMAL: with WAL, durable at checkpoints, no fsync per commit.
//   - _stmt_cache_size=64: each connection keeps its compiled statements (the cache
//     probe is on the hot path of a rebuild).
func dsn(path string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	q.Set("_stmt_cache_size", "64")
	u.RawQuery = q.Encode()
	// url.URL writes "file:///abs/path"; SQLite's URI parser accepts an empty authority.
	return u.String()
}

// Close closes the database. Blob files need no closing.
func (s *Store) Close() error {
	s.stopCheckpointer()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.dir, err)
	}
	return nil
}

// Dir is the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Workspace is the store scoped to one workspace: its images, tags and builds. Blobs
// are shared by all workspaces. A Workspace is safe for concurrent use.
type Workspace struct {
	s    *Store
	name string
}

// Workspace returns the store scoped to the named workspace, creating it on first use.
func (s *Store) Workspace(ctx context.Context, name string) (*Workspace, error) {
	if err := validWorkspaceName(name); err != nil {
		return nil, err
	}
	// An existing workspace is found with a read; only a new one takes the write lock.
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM workspaces WHERE name = ?`, name).Scan(&n); err == nil && n > 0 {
		return &Workspace{s: s, name: name}, nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO workspaces (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, formatTime(s.now()))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("workspace %q: %w", name, err)
	}
	return &Workspace{s: s, name: name}, nil
}

// Name is the workspace's name.
func (w *Workspace) Name() string { return w.name }

// Store is the store the workspace belongs to.
func (w *Workspace) Store() *Store { return w.s }

func validWorkspaceName(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("workspace name %q: must be 1 to 128 characters: %w", name, ErrInvalid)
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("workspace name %q: control characters are not allowed: %w", name, ErrInvalid)
		}
	}
	return nil
}

// write runs fn in one write transaction (BEGIN IMMEDIATE, through the DSN) and commits
// it; any error rolls it back.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.wlock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.wlock }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.committed()
	return nil
}

// timeLayout is how every time is stored: UTC, fixed width, so that text order is time
// order (RFC 3339 with exactly nine fractional digits).
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// isNoRows reports whether err is sql.ErrNoRows.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
