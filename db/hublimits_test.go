package db

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// TestHubUploadSessionLimit: a namespace may hold the limit's number of sessions
// open, the next is refused (TOOMANYREQUESTS, naming the limit) while other
// namespaces are not; ending one, or leaving one idle past HubUploadTTL, makes room.
func TestHubUploadSessionLimit(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := baseTime
	s.now = func() time.Time { return now }
	s.SetHubUploadLimits(2, 0)
	start := func(repo string) (HubUpload, error) { return s.HubStartUpload(ctx, repo) }
	first, err := start("alice/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start("alice/b"); err != nil {
		t.Fatalf("the second session (at the limit): %v", err)
	}
	_, err = start("alice/c")
	var he *HubError
	if !errors.Is(err, ErrHubTooMany) || !errors.As(err, &he) || he.Code != HubTooManyRequests || !strings.Contains(he.Message, "2 upload sessions") {
		t.Fatalf("the third session: %v, want TOOMANYREQUESTS naming 2", err)
	}
	if _, err := start("bob/a"); err != nil {
		t.Errorf("another namespace's session: %v", err)
	}
	if err := s.HubCancelUpload(ctx, "alice/a", first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := start("alice/c"); err != nil {
		t.Errorf("after a cancel: %v", err)
	}
	now = now.Add(HubUploadTTL + time.Minute) // both idle past the TTL: purged to make room
	for i := range 2 {
		if _, err := start("alice/d"); err != nil {
			t.Errorf("session %d after the others went idle: %v", i, err)
		}
	}
}

// TestHubUploadBytesLimit: a session takes up to the limit; a chunk that announces
// more is refused before it is read, one that streams more when it passes, and a
// monolithic upload likewise; the session keeps what it had.
func TestHubUploadBytesLimit(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	s.SetHubUploadLimits(0, 10)
	u, err := s.HubStartUpload(ctx, "alice/app")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		chunk    HubChunk
		wantErr  bool
		wantSize int64
	}{
		{"announced past the limit, not read", HubChunk{Start: 0, Length: 11, R: failReader{}}, true, 0},
		{"streamed past the limit", HubChunk{Start: -1, Length: -1, R: strings.NewReader("0123456789a")}, true, 0},
		{"up to the limit", HubChunk{Start: 0, Length: 10, R: strings.NewReader("0123456789")}, false, 10},
		{"one byte more", HubChunk{Start: 10, Length: 1, R: failReader{}}, true, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.HubAppendUpload(ctx, "alice/app", u.ID, tt.chunk)
			if tt.wantErr != (err != nil) || (err != nil && (!errors.Is(err, ErrHubTooLarge) || !strings.Contains(err.Error(), "10B"))) {
				t.Fatalf("err = %v, want a refusal naming the 10B limit: %v", err, tt.wantErr)
			}
			if cur, _ := s.HubUpload(ctx, "alice/app", u.ID); cur.Size != tt.wantSize {
				t.Errorf("upload has %d bytes (answer %d), want %d", cur.Size, got.Size, tt.wantSize)
			}
		})
	}
	if _, err := s.HubPutBlob(ctx, "alice/app", digest.FromString("0123456789a"), strings.NewReader("0123456789a")); !errors.Is(err, ErrHubTooLarge) {
		t.Errorf("a monolithic upload past the limit: %v", err)
	}
	if err := s.HubCheckWrite(ctx, "alice/app", 11); !errors.Is(err, ErrHubTooLarge) {
		t.Errorf("a monolithic upload announced past the limit: %v", err)
	}
	if _, err := s.HubPutBlob(ctx, "alice/app", digest.FromString("0123456789"), strings.NewReader("0123456789")); err != nil {
		t.Errorf("a monolithic upload at the limit: %v", err)
	}
}

// TestHubUploadQuota: an upload into a workspace's namespace counts against its
// storage quota, announced or as it streams, and is refused (DENIED, ErrQuota) past it.
func TestHubUploadQuota(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, "alice")
	ns, _, err := w.HubToken(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	s.SetWorkspaceQuota(10)
	u, err := s.HubStartUpload(ctx, ns+"/app")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubAppendUpload(ctx, ns+"/app", u.ID, HubChunk{Start: 0, Length: 8, R: strings.NewReader("01234567")}); err != nil {
		t.Fatalf("under the quota: %v", err)
	}
	for _, c := range []HubChunk{{Start: 8, Length: 3, R: failReader{}}, {Start: -1, Length: -1, R: strings.NewReader("89a")}} {
		_, err = s.HubAppendUpload(ctx, ns+"/app", u.ID, c)
		var he *HubError
		if !errors.Is(err, ErrQuota) || !errors.As(err, &he) || he.Code != HubDenied {
			t.Errorf("past the quota: %v, want DENIED wrapping ErrQuota", err)
		}
	}
	if _, err := s.HubAppendUpload(ctx, ns+"/app", u.ID, HubChunk{Start: 8, Length: 2, R: strings.NewReader("89")}); err != nil {
		t.Errorf("up to the quota: %v", err)
	}
}
