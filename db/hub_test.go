package db

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// hubImage stores a config and a layer in repo and returns a manifest naming them.
func hubImage(t *testing.T, s *Store, repo, layer string) []byte {
	t.Helper()
	ctx := context.Background()
	cfg := []byte(`{"os":"linux","layer":"` + layer + `"}`)
	cd, ld := digest.FromBytes(cfg), digest.FromString(layer)
	for d, b := range map[digest.Digest][]byte{cd: cfg, ld: []byte(layer)} {
		if _, err := s.HubPutBlob(ctx, repo, d, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": MediaTypeOCIManifest,
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": len(layer)}}})
	return m
}

func hasBlob(t *testing.T, s *Store, d digest.Digest) bool {
	t.Helper()
	_, err := s.BlobSize(context.Background(), d)
	if err != nil && !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	_, statErr := os.Stat(s.BlobPath(d))
	if (err == nil) != (statErr == nil) {
		t.Fatalf("blob %s: row %v but file %v", d, err, statErr)
	}
	return err == nil
}

// TestHubGCKeepsWhatTheHubNeeds: GC removes no blob a hub repository links, a manifest
// is, or a manifest names, and no upload in progress; it frees them once nothing does.
func TestHubGCKeepsWhatTheHubNeeds(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	man := hubImage(t, s, "alice/app", "layer one")
	m, err := s.HubPutManifest(ctx, "alice/app", "v1", MediaTypeOCIManifest, man, nil)
	if err != nil {
		t.Fatal(err)
	}
	layer := digest.FromString("layer one")
	// A sha512 blob is filed under its sha256.
	big := []byte("named by sha512")
	if _, err := s.HubPutBlob(ctx, "alice/app", digest.SHA512.FromBytes(big), bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	// An upload in progress.
	u, err := s.HubStartUpload(ctx, "alice/app")
	if err != nil {
		t.Fatal(err)
	}
	part := []byte("half of a layer")
	if _, err := s.HubAppendUpload(ctx, "alice/app", u.ID, HubChunk{Start: 0, Length: int64(len(part)), R: bytes.NewReader(part)}); err != nil {
		t.Fatal(err)
	}

	gc := func() {
		t.Helper()
		if _, err := s.GCNow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	gc()
	for _, d := range []digest.Digest{m.StoreDigest, layer, digest.FromBytes(big)} {
		if !hasBlob(t, s, d) {
			t.Errorf("GC removed %s, which the hub still needs", d)
		}
	}
	// The upload goes on after GC and finishes.
	rest := []byte(" and the other half")
	whole := append(append([]byte{}, part...), rest...)
	if _, err := s.HubFinishUpload(ctx, "alice/app", u.ID, digest.FromBytes(whole), &HubChunk{Start: int64(len(part)), Length: -1, R: bytes.NewReader(rest)}); err != nil {
		t.Fatalf("finish the upload after GC: %v", err)
	}

	// Unlinking the layer keeps it while the manifest names it.
	if err := s.HubDeleteBlob(ctx, "alice/app", layer); err != nil {
		t.Fatal(err)
	}
	gc()
	if !hasBlob(t, s, layer) {
		t.Fatal("GC removed a layer a manifest still names")
	}
	// Once the manifest is gone too, GC frees the layer and the manifest's bytes.
	if err := s.HubDeleteManifest(ctx, "alice/app", m.Digest); err != nil {
		t.Fatal(err)
	}
	gc()
	for _, d := range []digest.Digest{m.StoreDigest, layer} {
		if hasBlob(t, s, d) {
			t.Errorf("GC kept %s, which nothing needs any more", d)
		}
	}
	if !hasBlob(t, s, digest.FromBytes(big)) {
		t.Error("GC removed a blob still linked into a repository")
	}
}

// TestHubManifestRaceLeavesNothing: a blob deleted between the manifest's first check
// and its transaction makes the push fail, and the manifest's bytes are not left in the
// store.
func TestHubManifestRaceLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	man := hubImage(t, s, "alice/app", "racy layer")
	s.afterPlace = func() {
		s.afterPlace = nil
		if err := s.HubDeleteBlob(ctx, "alice/app", digest.FromString("racy layer")); err != nil {
			t.Error(err)
		}
	}
	_, err := s.HubPutManifest(ctx, "alice/app", "v1", MediaTypeOCIManifest, man, nil)
	var he *HubError
	if !errors.As(err, &he) || he.Code != HubManifestBlobUnknown {
		t.Fatalf("err = %v, want MANIFEST_BLOB_UNKNOWN", err)
	}
	if hasBlob(t, s, digest.FromBytes(man)) {
		t.Error("the refused manifest's bytes stayed in the blob store")
	}
	if _, err := os.Stat(s.BlobPath(digest.FromBytes(man))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused manifest's file is there: %v", err)
	}
	if _, err := s.HubManifest(ctx, "alice/app", "v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("tag v1 after the refused push: %v", err)
	}
}
