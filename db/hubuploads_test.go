package db

import (
	"context"
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
