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

func hashToken(t string) string {
	h := sha256.Sum256([]byte("layerlab hub token\x00" + t))
	return hex.EncodeToString(h[:])
}

// HubToken returns the workspace's hub namespace and a push token for it. The first
// call makes the token; later calls make a new one only when rotate is true (the old
// one stops working), otherwise they return "" as the token, since only its hash is kept.
func (w *Workspace) HubToken(ctx context.Context, rotate bool) (namespace, token string, err error) {
	namespace = HubNamespace(w.name)
	err = w.s.write(ctx, func(tx *sql.Tx) error {
		var have int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM hub_tokens WHERE workspace = ?`, w.name).Scan(&have); err != nil {
			return err
		}
		if have > 0 && !rotate {
			return nil
		}
		var raw [24]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		token = base64.RawURLEncoding.EncodeToString(raw[:])
		_, err := tx.ExecContext(ctx, `INSERT INTO hub_tokens (workspace, namespace, token_hash, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (workspace) DO UPDATE SET token_hash = excluded.token_hash, created = excluded.created`,
			w.name, namespace, hashToken(token), formatTime(w.s.now()))
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
	err := s.db.QueryRowContext(ctx, `SELECT token_hash FROM hub_tokens WHERE namespace = ?`, namespace).Scan(&want)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check hub token: %w", err)
	}
	return subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(want)) == 1, nil
}
