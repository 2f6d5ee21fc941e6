package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// secretBytes is the size of a store's secret keys (HMAC-SHA256's block is larger; 32
// random bytes are its full strength).
const secretBytes = 32

// Secret returns the store's secret key called name, made of random bytes on its first
// use and kept in the store, so every server process on this store (and every restart)
// signs and checks with the same key.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	var key []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&key)
	if err == nil && len(key) == secretBytes {
		return key, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	fresh := make([]byte, secretBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	// Two processes may make one at once: the first insert wins and both read it back.
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE length(secrets.value) <> ?`,
			name, fresh, secretBytes); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return key, nil
}

// ExistingWorkspace returns the named workspace if it is stored, and ErrNotFound (a
// wrapped one) if it is not; unlike Workspace it never creates one.
func (s *Store) ExistingWorkspace(ctx context.Context, name string) (*Workspace, error) {
	if err := validWorkspaceName(name); err != nil {
		return nil, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM workspaces WHERE name = ?`, name).Scan(&n); err != nil {
		return nil, fmt.Errorf("workspace %q: %w", name, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("workspace %q: %w", name, ErrNotFound)
	}
	return &Workspace{s: s, name: name}, nil
}

// UnstoredWorkspace is a handle on a workspace that need not exist and is not
// created: its reads find what a new workspace holds (nothing), and its writes fail
// (every workspace row references the workspaces table), so a page can be rendered for
// a browser that has changed nothing yet without storing anything for it.
func (s *Store) UnstoredWorkspace(name string) (*Workspace, error) {
	if err := validWorkspaceName(name); err != nil {
		return nil, err
	}
	return &Workspace{s: s, name: name}, nil
}

// CountWorkspaces is the number of workspaces stored.
func (s *Store) CountWorkspaces(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM workspaces`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count workspaces: %w", err)
	}
	return n, nil
}
