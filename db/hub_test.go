package db

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

func TestParseHubDigest(t *testing.T) {
	sha256 := digest.FromString("x").String()
	sha512 := digest.SHA512.FromString("x").String()
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"sha256", sha256, true},
		{"sha512", sha512, true},
		{"path traversal", "sha256:../../x", false},
		{"wrong length", "sha256:abcd", false},
		{"upper-case hex", strings.ToUpper(sha256[:7]) + sha256[7:], false},
		{"sha384 is not allowed", digest.SHA384.FromString("x").String(), false},
		{"unknown algorithm", "md5:" + strings.Repeat("a", 32), false},
		{"no algorithm", strings.TrimPrefix(sha256, "sha256:"), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHubDigest(tt.in)
			var he *HubError
			if tt.ok != (err == nil) {
				t.Fatalf("ParseHubDigest(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && (!errors.As(err, &he) || he.Code != HubDigestInvalid || !errors.Is(err, ErrInvalid)) {
				t.Errorf("error %v is not a DIGEST_INVALID HubError", err)
			}
		})
	}
}

func TestValidHubRepo(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"alice/app", true},
		{"a/b/c", true},
		{"a.b/c_d/e__f/g-h/i--j", true},
		{"library", true},
		{"Alice/app", false},
		{"alice//app", false},
		{"alice/app/", false},
		{"/alice", false},
		{"alice/_app", false},
		{"alice/app.", false},
		{"alice/a___b", false},
		{"alice/" + strings.Repeat("a", 250), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidHubRepo(tt.name); (err == nil) != tt.ok {
				t.Errorf("ValidHubRepo(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
		})
	}
}

func TestParseHubManifest(t *testing.T) {
	d := digest.FromString("blob").String()
	desc := `{"mediaType":"application/octet-stream","digest":"` + d + `","size":4}`
	tests := []struct {
		name, contentType, body string
		wantType                string
		wantRefs                int
		wantErr                 string
	}{
		{"OCI image", MediaTypeOCIManifest, `{"schemaVersion":2,"config":` + desc + `,"layers":[` + desc + `]}`, MediaTypeOCIManifest, 2, ""},
		{"mediaType from the body", "", `{"schemaVersion":2,"mediaType":"` + MediaTypeDockerManifest + `","config":` + desc + `,"layers":[]}`, MediaTypeDockerManifest, 1, ""},
		{"OCI index", MediaTypeOCIIndex, `{"schemaVersion":2,"manifests":[` + desc + `]}`, MediaTypeOCIIndex, 1, ""},
		{"empty index", MediaTypeDockerList, `{"schemaVersion":2,"manifests":[]}`, MediaTypeDockerList, 0, ""},
		{"index that is also an image", MediaTypeOCIIndex, `{"schemaVersion":2,"manifests":[],"config":` + desc + `}`, "", 0, "both an index"},
		{"image that is also an index", MediaTypeOCIManifest, `{"schemaVersion":2,"manifests":[],"layers":[]}`, "", 0, "both an index"},
		{"image without config", MediaTypeOCIManifest, `{"schemaVersion":2,"layers":[]}`, "", 0, "must have a config"},
		{"index without manifests", MediaTypeOCIIndex, `{"schemaVersion":2}`, "", 0, "must have a manifests"},
		{"content type mismatch", MediaTypeOCIIndex, `{"schemaVersion":2,"mediaType":"` + MediaTypeOCIManifest + `","config":` + desc + `}`, "", 0, "does not match"},
		{"schema 1", "application/vnd.docker.distribution.manifest.v1+prettyjws", `{"schemaVersion":1,"fsLayers":[]}`, "", 0, "schema 1"},
		{"schema version 3", MediaTypeOCIManifest, `{"schemaVersion":3,"config":` + desc + `}`, "", 0, "schemaVersion"},
		{"unknown media type", "application/json", `{"schemaVersion":2,"config":` + desc + `}`, "", 0, "not a manifest type"},
		{"no media type at all", "", `{"schemaVersion":2,"config":` + desc + `}`, "", 0, "no mediaType"},
		{"bad descriptor digest", MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:../../x","size":1}}`, "", 0, "digest"},
		{"descriptor without size", MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + d + `"}}`, "", 0, "size"},
		{"descriptor data that is not the blob", MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + d + `","size":4,"data":"bm9wZQ=="}}`, "", 0, "embedded data"},
		{"descriptor data that is the blob", MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + d + `","size":4,"data":"YmxvYg=="}}`, MediaTypeOCIManifest, 1, ""},
		{"not JSON", MediaTypeOCIManifest, `{"schemaVersion":2,`, "", 0, "not valid JSON"},
		{"trailing garbage", MediaTypeOCIManifest, `{"schemaVersion":2,"config":` + desc + `} x`, "", 0, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseHubManifest(tt.contentType, []byte(tt.body))
			if tt.wantErr != "" {
				var he *HubError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &he) || he.Code != HubManifestInvalid {
					t.Fatalf("err = %v, want MANIFEST_INVALID containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.mediaType != tt.wantType || len(p.refs) != tt.wantRefs {
				t.Errorf("got %s with %d refs, want %s with %d", p.mediaType, len(p.refs), tt.wantType, tt.wantRefs)
			}
		})
	}
}

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

// TestHubUploadChunks: a chunk that is out of order, or not the length announced, or
// cut off, leaves the upload as it was; a wrong digest at the end discards it all.
func TestHubUploadChunks(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	u, err := s.HubStartUpload(ctx, "alice/app")
	if err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		t.Helper()
		got, err := s.HubUpload(ctx, "alice/app", u.ID)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(s.hubUploadDir(), u.ID))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != got.Size {
			t.Fatalf("upload file has %d bytes, the session %d", fi.Size(), got.Size)
		}
		return got.Size
	}
	tests := []struct {
		name     string
		chunk    HubChunk
		wantErr  error
		wantSize int64
	}{
		{"first chunk", HubChunk{Start: 0, Length: 5, R: strings.NewReader("01234")}, nil, 5},
		{"shorter than announced", HubChunk{Start: 5, Length: 10, R: strings.NewReader("567")}, ErrInvalid, 5},
		{"longer than announced", HubChunk{Start: 5, Length: 2, R: strings.NewReader("56789")}, ErrInvalid, 5},
		{"skips ahead", HubChunk{Start: 7, Length: 3, R: strings.NewReader("789")}, ErrHubRange, 5},
		{"goes back", HubChunk{Start: 0, Length: 5, R: strings.NewReader("01234")}, ErrHubRange, 5},
		{"a broken body", HubChunk{Start: 5, Length: -1, R: io.MultiReader(strings.NewReader("56"), errReader{})}, errBroken, 5},
		{"streamed", HubChunk{Start: -1, Length: -1, R: strings.NewReader("56789")}, nil, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.HubAppendUpload(ctx, "alice/app", u.ID, tt.chunk)
			if (tt.wantErr == nil) != (err == nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := size(); got != tt.wantSize {
				t.Errorf("upload has %d bytes, want %d", got, tt.wantSize)
			}
		})
	}
	// A wrong digest ends the session and stores nothing.
	_, err = s.HubFinishUpload(ctx, "alice/app", u.ID, digest.FromString("not it"), nil)
	var he *HubError
	if !errors.As(err, &he) || he.Code != HubDigestInvalid {
		t.Fatalf("finish with a wrong digest: %v", err)
	}
	if hasBlob(t, s, digest.FromString("0123456789")) {
		t.Error("the refused upload's bytes are in the blob store")
	}
	if _, err := s.HubUpload(ctx, "alice/app", u.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the session outlived its refused digest: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.hubUploadDir(), u.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the upload's file outlived it: %v", err)
	}
}

var errBroken = errors.New("connection reset")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

// TestHubConcurrentChunks: two chunks for the same offset at once: exactly one lands.
func TestHubConcurrentChunks(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	u, err := s.HubStartUpload(ctx, "alice/app")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.HubAppendUpload(ctx, "alice/app", u.ID, HubChunk{Start: 0, Length: 4, R: strings.NewReader("abcd")})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrHubRange):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if got, _ := s.HubUpload(ctx, "alice/app", u.ID); ok != 1 || got.Size != 4 {
		t.Errorf("%d chunks landed and the upload has %d bytes; want 1 and 4", ok, got.Size)
	}
}

// TestHubPurgeUploads: starting an upload purges the sessions untouched for
// HubUploadTTL, with their files; fresh ones stay.
func TestHubPurgeUploads(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := baseTime
	s.now = func() time.Time { return now }
	old, err := s.HubStartUpload(ctx, "alice/old")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubAppendUpload(ctx, "alice/old", old.ID, HubChunk{Start: -1, Length: -1, R: strings.NewReader("abandoned")}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(HubUploadTTL - time.Minute)
	recent, err := s.HubStartUpload(ctx, "alice/recent")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute) // old is past the TTL now, recent is not
	if _, err := s.HubStartUpload(ctx, "alice/new"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubUpload(ctx, "alice/old", old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the abandoned upload was not purged: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.hubUploadDir(), old.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the abandoned upload's file is still there: %v", err)
	}
	if _, err := s.HubUpload(ctx, "alice/recent", recent.ID); err != nil {
		t.Errorf("a recent upload was purged: %v", err)
	}
	repos, _, err := s.HubRepositories(ctx, "", 10)
	if err != nil || len(repos) != 0 {
		t.Errorf("repositories with only uploads are listed: %v %v", repos, err)
	}
}
