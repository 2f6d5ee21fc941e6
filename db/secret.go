package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
)

// RotateSecret replaces the store's secret key called name with fresh random bytes and
// returns them: everything signed with the old key (the teacher link and the teacher's
// cookies, for "teacher") stops being accepted by every server on this store, at its
// next check.
func (s *Store) RotateSecret(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, secretBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("rotate secret %s: %w", name, err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, fresh)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rotate secret %s: %w", name, err)
	}
	return fresh, nil
}
