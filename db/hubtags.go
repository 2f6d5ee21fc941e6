package db

// Hub tags: listing a repository's tags and deleting one (HubPutManifest sets them).

import (
	"context"
	"database/sql"
	"fmt"
)

// HubDeleteTag deletes tag of repo; the manifest it pointed at stays.
func (s *Store) HubDeleteTag(ctx context.Context, repo, tag string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM hub_tags WHERE repo = ? AND tag = ?`, repo, tag)
		if err != nil {
			return fmt.Errorf("delete hub tag: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hubErr(HubManifestUnknown, nil, map[string]string{"tag": tag}, "manifest unknown")
		}
		return nil
	})
}

// HubTags lists up to n tags of repo after last, in byte order, and reports whether
// more follow. An unknown repository is NAME_UNKNOWN.
func (s *Store) HubTags(ctx context.Context, repo, last string, n int) ([]string, bool, error) {
	var k int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM hub_repositories WHERE name = ?`, repo).Scan(&k); err != nil {
		return nil, false, fmt.Errorf("hub tags of %s: %w", repo, err)
	}
	if k == 0 {
		return nil, false, hubErr(HubNameUnknown, nil, map[string]string{"name": repo}, "repository %s is not in the hub", repo)
	}
	return s.hubList(ctx, `SELECT tag FROM hub_tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?`, []any{repo, last}, n)
}
