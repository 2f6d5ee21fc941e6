package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"layerlab/db"
	"layerlab/remote"
)

// TestJanitorExpiresIdleWorkspaces: at start the janitor removes the workspaces idle
// past IdleExpiry, and keeps the hub library's and those used within it.
func TestJanitorExpiresIdleWorkspaces(t *testing.T) {
	ctx := context.Background()
	st, err := db.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{"idle", "recent", remote.LibraryWorkspace} {
		if _, err := st.Workspace(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	// The server's clock is 2 hours on: every workspace was last used 2 hours ago.
	later := time.Now().Add(2 * time.Hour)
	tests := []struct {
		name   string
		expiry time.Duration
		gone   bool
	}{
		{"used within the expiry", 3 * time.Hour, false},
		{"idle past the expiry", time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := New(Deps{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Now: func() time.Time { return later }, Limits: Limits{IdleExpiry: tt.expiry}})
			defer srv.Close(ctx)
			select {
			case <-srv.janitor.first:
			case <-time.After(30 * time.Second):
				t.Fatal("the janitor's first sweep did not end")
			}
			_, err := st.ExistingWorkspace(ctx, "idle")
			if gone := errors.Is(err, db.ErrNotFound); gone != tt.gone {
				t.Errorf("idle workspace gone=%v, want %v (%v)", gone, tt.gone, err)
			}
			if _, err := st.ExistingWorkspace(ctx, remote.LibraryWorkspace); err != nil {
				t.Errorf("the hub library's workspace: %v", err)
			}
		})
	}
}
