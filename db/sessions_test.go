package db

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestSecretIsMadeOnceAndKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Secret(ctx, "session")
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != secretBytes || bytes.Equal(a, make([]byte, secretBytes)) {
		t.Fatalf("secret %x: want %d random bytes", a, secretBytes)
	}
	other, err := s.Secret(ctx, "other")
	if err != nil || bytes.Equal(a, other) {
		t.Fatalf("another name's secret %x, %v: want a different key", other, err)
	}
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Secret(ctx, "session")
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("after reopening: %x, %v; want the same key %x", b, err, a)
	}
}

func TestExistingAndUnstoredWorkspaceCreateNothing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	before, err := s.CountWorkspaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExistingWorkspace(ctx, "web-new"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ExistingWorkspace of a new name: %v, want ErrNotFound", err)
	}
	u, err := s.UnstoredWorkspace("web-new")
	if err != nil {
		t.Fatal(err)
	}
	if files, err := u.ContextFiles(ctx); err != nil || len(files) != 0 {
		t.Fatalf("an unstored workspace's files: %v, %v; want none", files, err)
	}
	if err := u.PutContextFile(ctx, ContextFile{Path: "a"}); err == nil {
		t.Fatal("a write to an unstored workspace succeeded; it must fail, not create rows")
	}
	if n, err := s.CountWorkspaces(ctx); err != nil || n != before {
		t.Fatalf("workspaces: %d, %v; want %d (nothing created)", n, err, before)
	}
	if _, err := s.Workspace(ctx, "web-new"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExistingWorkspace(ctx, "web-new"); err != nil {
		t.Fatalf("ExistingWorkspace after Workspace: %v", err)
	}
	if n, err := s.CountWorkspaces(ctx); err != nil || n != before+1 {
		t.Fatalf("workspaces: %d, %v; want %d", n, err, before+1)
	}
}
