package handlers

import (
	"context"
	"fmt"
	"time"

	"layerlab/db"
	"layerlab/remote"
)

// janitorEvery is how often the janitor sweeps (it also sweeps once at start).
const janitorEvery = time.Hour

// janitor keeps the store within its bounds over time: it removes the workspaces idle
// past limits.IdleExpiry (with their images, builds and hub namespace), purges hub
// upload sessions left idle, evicts library/ stand-ins past limits.LibraryBytes, and
// collects the blobs nothing references any more.
type janitor struct {
	s     *Server
	stop  context.CancelFunc
	done  chan struct{}
	first chan struct{} // closed when the sweep at start has ended
}

// startJanitor gives the store the server's quotas (the storage quota of every
// workspace but the hub library's, which the stand-in budget bounds instead, and the
// hub's upload bounds) and starts the janitor's goroutine; Close stops it.
func (s *Server) startJanitor() *janitor {
	ctx, stop := context.WithCancel(context.Background())
	j := &janitor{s: s, stop: stop, done: make(chan struct{}), first: make(chan struct{})}
	if s.store == nil {
		close(j.done)
		close(j.first)
		return j
	}
	s.store.SetWorkspaceQuota(s.limits.WorkspaceQuota, remote.LibraryWorkspace)
	s.store.SetHubUploadLimits(s.limits.UploadSessions, s.limits.UploadBytes)
	go func() {
		defer close(j.done)
		t := time.NewTicker(janitorEvery)
		defer t.Stop()
		for first := true; ; first = false {
			j.sweep(ctx)
			if first {
				close(j.first)
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return j
}

// close stops the janitor and waits for a sweep in progress to end.
func (j *janitor) close(ctx context.Context) error {
	j.stop()
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("janitor still sweeping: %w", ctx.Err())
	}
}

// sweep runs each chore once; a chore that fails is logged and the others still run.
func (j *janitor) sweep(ctx context.Context) {
	s := j.s
	now := s.now()
	gone, err := s.store.ExpireWorkspaces(ctx, now.Add(-s.limits.IdleExpiry), remote.LibraryWorkspace)
	if err != nil && ctx.Err() == nil {
		s.log.Error("janitor: expire idle workspaces", "err", err)
	}
	if len(gone) > 0 {
		s.log.Info("janitor: removed idle workspaces", "count", len(gone), "idle", s.limits.IdleExpiry.String())
	}
	if _, err := s.store.HubPurgeUploads(ctx, now.Add(-db.HubUploadTTL)); err != nil && ctx.Err() == nil {
		s.log.Error("janitor: purge idle uploads", "err", err)
	}
	// In-process pulls of library/ make stand-ins too (remote.Hub): keep the budget.
	if _, err := s.evictLibrary(ctx, s.limits.LibraryBytes, ""); err != nil && ctx.Err() == nil {
		s.log.Error("janitor: evict stand-ins past the library budget", "err", err)
	}
	freed, err := s.store.GC(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Error("janitor: collect blobs", "err", err)
	}
	if freed > 0 {
		s.log.Info("janitor: collected blobs nothing references", "bytes", freed)
	}
}

// touch records that the request's workspace is used (for idle expiry); the store
// writes it at most once an hour per workspace, so reading pages costs no write.
func (s *Server) touch(ctx context.Context, ws *db.Workspace) {
	if err := ws.Touch(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("record workspace use", "workspace", ws.Name(), "err", err)
	}
}
