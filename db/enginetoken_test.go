package db

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestEngineToken: a workspace's token is made once and kept; it finds its workspace;
// rotating replaces it and the old one finds nothing; a token of another form, or
// one that differs in a character, finds nothing.
func TestEngineToken(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, b := workspace(t, s, "a"), workspace(t, s, "b")
	ta, err := a.EngineToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ta, EngineTokenPrefix) || len(ta) < 30 {
		t.Fatalf("token %q: want %q and at least 30 characters", ta, EngineTokenPrefix)
	}
	again, err := a.EngineToken(ctx)
	if err != nil || again != ta {
		t.Fatalf("second EngineToken: %q %v, want the same %q", again, err, ta)
	}
	tb, _ := b.EngineToken(ctx)
	if tb == ta {
		t.Fatal("two workspaces got the same token")
	}
	for tok, want := range map[string]string{ta: "a", tb: "b"} {
		w, err := s.WorkspaceByEngineToken(ctx, tok)
		if err != nil || w.Name() != want {
			t.Fatalf("WorkspaceByEngineToken(%q) = %v, %v; want %s", tok, w, err, want)
		}
	}
	fresh, err := a.RotateEngineToken(ctx)
	if err != nil || fresh == ta {
		t.Fatalf("rotate: %q %v", fresh, err)
	}
	if _, err := s.WorkspaceByEngineToken(ctx, ta); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the rotated-away token: %v, want ErrNotFound", err)
	}
	if w, err := s.WorkspaceByEngineToken(ctx, fresh); err != nil || w.Name() != "a" {
		t.Fatalf("the new token: %v %v", w, err)
	}
	flipped := fresh[:len(fresh)-1] + "9" // not in the alphabet: differs in its last character
	for _, bad := range []string{"", "builds", "x" + fresh[1:], flipped, strings.Repeat("l", 200)} {
		if _, err := s.WorkspaceByEngineToken(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("WorkspaceByEngineToken(%q): %v, want ErrNotFound", bad, err)
		}
	}
}
