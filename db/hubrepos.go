package db

// Hub repositories: a repository exists while it holds a blob, a manifest or an upload
// (the first one creates it, the last one to go drops it), and the catalog lists them.

import (
	"context"
	"database/sql"
	"fmt"
)

func ensureHubRepo(ctx context.Context, tx *sql.Tx, repo string, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO hub_repositories (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, repo, now)
	return err
}

// dropHubRepoIfEmpty removes a repository that holds nothing any more.
func dropHubRepoIfEmpty(ctx context.Context, tx *sql.Tx, repo string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM hub_repositories WHERE name = ?1
		AND NOT EXISTS (SELECT 1 FROM hub_blobs WHERE repo = ?1)
		AND NOT EXISTS (SELECT 1 FROM hub_manifests WHERE repo = ?1)
		AND NOT EXISTS (SELECT 1 FROM hub_uploads WHERE repo = ?1)`, repo)
	return err
}

// HubRepositories lists up to n repositories after last that hold a manifest or a
// blob, in byte order, and reports whether more follow.
func (s *Store) HubRepositories(ctx context.Context, last string, n int) ([]string, bool, error) {
	return s.hubList(ctx, `SELECT name FROM hub_repositories r WHERE name > ?
		AND (EXISTS (SELECT 1 FROM hub_manifests WHERE repo = r.name) OR EXISTS (SELECT 1 FROM hub_blobs WHERE repo = r.name))
		ORDER BY name LIMIT ?`, []any{last}, n)
}

func (s *Store) hubList(ctx context.Context, q string, args []any, n int) ([]string, bool, error) {
	rows, err := s.db.QueryContext(ctx, q, append(args, n+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("hub list: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, false, fmt.Errorf("hub list: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("hub list: %w", err)
	}
	if len(out) > n {
		return out[:n], true, nil
	}
	return out, false, nil
}
