package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// EngineTokenPrefix starts every Engine API token, so that a token can never be one
// of the fixed names under /ws/ (builds, presence, teach, class, transfers).
const EngineTokenPrefix = "ll"

// engineTokenBytes is a token's randomness: 160 bits.
const engineTokenBytes = 20

// tokenEncoding is lower-case base32 without padding: URL- and shell-safe, and no
// letter a docker context or a DOCKER_HOST would mangle.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newEngineToken() (string, error) {
	b := make([]byte, engineTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return EngineTokenPrefix + tokenEncoding.EncodeToString(b), nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// EngineToken returns the workspace's Engine API token, making one on first use.
func (w *Workspace) EngineToken(ctx context.Context) (string, error) {
	var tok string
	err := w.s.db.QueryRowContext(ctx, `SELECT token FROM engine_tokens WHERE workspace = ?`, w.name).Scan(&tok)
	if err == nil {
		return tok, nil
	}
	if !isNoRows(err) {
		return "", fmt.Errorf("engine token: %w", err)
	}
	return w.putEngineToken(ctx, false)
}

// RotateEngineToken replaces the workspace's Engine API token with a new one and
// returns it: the old one stops answering at once.
func (w *Workspace) RotateEngineToken(ctx context.Context) (string, error) {
	return w.putEngineToken(ctx, true)
}

func (w *Workspace) putEngineToken(ctx context.Context, replace bool) (string, error) {
	tok, err := newEngineToken()
	if err != nil {
		return "", fmt.Errorf("engine token: %w", err)
	}
	err = w.s.write(ctx, func(tx *sql.Tx) error {
		if !replace {
			// Made meanwhile by another request: keep that one.
			var cur string
			switch err := tx.QueryRowContext(ctx, `SELECT token FROM engine_tokens WHERE workspace = ?`, w.name).Scan(&cur); {
			case err == nil:
				tok = cur
				return nil
			case !isNoRows(err):
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO engine_tokens (workspace, token, hash, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (workspace) DO UPDATE SET token = excluded.token, hash = excluded.hash, created = excluded.created`,
			w.name, tok, tokenHash(tok), formatTime(w.s.now()))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("engine token: %w", err)
	}
	return tok, nil
}

// WorkspaceByEngineToken returns the workspace whose Engine API token is token, or
// ErrNotFound (also for a token of the wrong form, and for one rotated away).
func (s *Store) WorkspaceByEngineToken(ctx context.Context, token string) (*Workspace, error) {
	if !strings.HasPrefix(token, EngineTokenPrefix) || len(token) > 128 {
		return nil, fmt.Errorf("engine token: %w", ErrNotFound)
	}
	var name, stored string
	err := s.db.QueryRowContext(ctx, `SELECT workspace, token FROM engine_tokens WHERE hash = ?`, tokenHash(token)).Scan(&name, &stored)
	if isNoRows(err) {
		return nil, fmt.Errorf("engine token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("engine token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(token)) != 1 {
		return nil, fmt.Errorf("engine token: %w", ErrNotFound)
	}
	return &Workspace{s: s, name: name}, nil
}
