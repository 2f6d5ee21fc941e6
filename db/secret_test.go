package db

import (
	"bytes"
	"context"
	"testing"
)

func TestRotateSecret(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.Secret(ctx, "teacher")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Secret(ctx, "session")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := s.RotateSecret(ctx, "teacher")
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != secretBytes || bytes.Equal(fresh, old) {
		t.Fatalf("rotated secret %x (%d bytes), old %x: want %d new bytes", fresh, len(fresh), old, secretBytes)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Another process (a restart) reads the new key, and the other secrets are untouched.
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Secret(ctx, "teacher"); err != nil || !bytes.Equal(got, fresh) {
		t.Errorf("after reopening: teacher secret %x, %v; want the rotated %x", got, err, fresh)
	}
	if got, err := s.Secret(ctx, "session"); err != nil || !bytes.Equal(got, other) {
		t.Errorf("session secret changed by rotating the teacher's: %x, %v; want %x", got, err, other)
	}
	// Rotating a secret never made yet makes it.
	if k, err := s.RotateSecret(ctx, "new"); err != nil || len(k) != secretBytes {
		t.Errorf("rotate a new secret: %x, %v", k, err)
	}
}
