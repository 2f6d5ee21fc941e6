package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// namespacePattern is a hub namespace: one path component of a repository name as the
// distribution spec allows it, lower case.
var namespacePattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)

// HubNamespace is the workspace's namespace of the built-in registry: its name, made a
// valid repository path component ("default" stays "default").
func HubNamespace(workspace string) string {
	ns := strings.ToLower(workspace)
	ns = regexp.MustCompile(`[^a-z0-9._-]+`).ReplaceAllString(ns, "-")
	ns = strings.Trim(ns, "-._")
	if ns == "" || !namespacePattern.MatchString(ns) || ns == "library" {
		h := sha256.Sum256([]byte(workspace))
		ns = "ws-" + hex.EncodeToString(h[:8])
	}
	return ns
}

// HubToken returns the workspace's hub namespace and its push token, making the token
// on first use; rotate makes a new one (the old one stops working).
func (w *Workspace) HubToken(ctx context.Context, rotate bool) (namespace, token string, err error) {
	namespace = HubNamespace(w.name)
	if !rotate {
		// Most calls find the token: a read, no write lock.
		err := w.s.db.QueryRowContext(ctx, `SELECT token FROM hub_tokens WHERE workspace = ?`, w.name).Scan(&token)
		if err == nil {
			return namespace, token, nil
		}
		if !isNoRows(err) {
			return "", "", fmt.Errorf("hub token: %w", err)
		}
	}
	err = w.s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT token FROM hub_tokens WHERE workspace = ?`, w.name).Scan(&token)
		if err != nil && !isNoRows(err) {
			return err
		}
		if err == nil && !rotate {
			return nil
		}
		var raw [24]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		token = base64.RawURLEncoding.EncodeToString(raw[:])
		_, err = tx.ExecContext(ctx, `INSERT INTO hub_tokens (workspace, namespace, token, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (workspace) DO UPDATE SET token = excluded.token, created = excluded.created`,
			w.name, namespace, token, formatTime(w.s.now()))
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("hub token: %w", err)
	}
	return namespace, token, nil
}

// CheckHubToken reports whether token is the push token of namespace.
func (s *Store) CheckHubToken(ctx context.Context, namespace, token string) (bool, error) {
	var want string
	err := s.db.QueryRowContext(ctx, `SELECT token FROM hub_tokens WHERE namespace = ?`, namespace).Scan(&want)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check hub token: %w", err)
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1, nil
}
