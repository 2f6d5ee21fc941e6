package handlers

import (
	"runtime"
	"time"
)

// Limits are the server's quotas and fairness bounds: what one workspace, one client
// address or one request may spend of what the whole class shares. `layerlab serve`
// sets them from its flags (cmd/layerlab/serve.go shows each default in --help); New
// fills zero fields from DefaultLimits.
type Limits struct {
	// WorkspaceQuota bounds the bytes stored that only this workspace uses (layers,
	// configs, context files; a pull counts its layers uncompressed). It is checked
	// before a build, pull, push or upload writes.
	WorkspaceQuota int64
	// MaxBuilds is the number of builds the server runs at once; more wait in a queue
	// that tells each student its place. One per CPU (at least 2): a build is CPU work
	// and commits to the store's one writer; more at once than CPUs only interleave
	// them, and a build descheduled while it holds the writer holds up every other.
	// Measured with a class of 100's first builds on 2 CPUs: 2 at once met the p95
	// target in five runs of five, 3 in one of two, 4 in four of eleven (BENCHMARKS.md).
	MaxBuilds int
	// BuildsPerMinute bounds the builds one workspace may start per minute.
	BuildsPerMinute int
	// KeepBuilds is how many builds (and their events) a workspace keeps; older ones
	// are trimmed.
	KeepBuilds int
	// IdleExpiry removes a workspace, its images and builds, when it has not been used
	// for this long.
	IdleExpiry time.Duration
	// NewWorkspacesPerMinute bounds the workspaces one client address may create per
	// minute. A class behind one NAT or proxy address shares it, so the default lets a
	// large class in within a minute while stopping a script's thousands a second.
	NewWorkspacesPerMinute int
	// UploadSessions bounds the hub upload sessions open at once in one namespace, and
	// UploadBytes the bytes one upload session may receive.
	UploadSessions int
	UploadBytes    int64
	// WatchersPerBuild and WatchersPerWorkspace bound the open event streams
	// (websockets and event replays) of one build and of one workspace.
	// WatchersPerWorkspace also bounds, counted apart, a workspace's open live feeds
	// (/ws/workspace, one per playground page: workspacefeed.go).
	WatchersPerBuild     int
	WatchersPerWorkspace int
	// TransferSlots is the number of pulls and pushes the server runs at once, and
	// TransfersPerWorkspace how many of them one workspace may hold.
	TransferSlots         int
	TransfersPerWorkspace int
	// LibraryBytes bounds the bytes of the hub's library/ stand-ins made on demand
	// (their manifests and gzipped layers): past it the least recently pulled are
	// evicted, to be made again when asked for.
	LibraryBytes int64
}

// DefaultLimits are the defaults `layerlab serve --help` shows: sized for a class of
// about 30 on a small server.
func DefaultLimits() Limits {
	return Limits{
		WorkspaceQuota:         2 << 30,
		MaxBuilds:              max(2, runtime.NumCPU()),
		BuildsPerMinute:        30,
		KeepBuilds:             50,
		IdleExpiry:             30 * 24 * time.Hour,
		NewWorkspacesPerMinute: 120,
		UploadSessions:         16,
		UploadBytes:            1 << 30,
		WatchersPerBuild:       16,
		WatchersPerWorkspace:   32,
		TransferSlots:          8,
		TransfersPerWorkspace:  2,
		LibraryBytes:           2 << 30,
	}
}

// withDefaults returns l with its zero fields taken from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.MaxBuilds, d.MaxBuilds)
	set(&l.BuildsPerMinute, d.BuildsPerMinute)
	set(&l.KeepBuilds, d.KeepBuilds)
	set(&l.NewWorkspacesPerMinute, d.NewWorkspacesPerMinute)
	set(&l.UploadSessions, d.UploadSessions)
	set(&l.WatchersPerBuild, d.WatchersPerBuild)
	set(&l.WatchersPerWorkspace, d.WatchersPerWorkspace)
	set(&l.TransferSlots, d.TransferSlots)
	set(&l.TransfersPerWorkspace, d.TransfersPerWorkspace)
	if l.WorkspaceQuota <= 0 {
		l.WorkspaceQuota = d.WorkspaceQuota
	}
	if l.UploadBytes <= 0 {
		l.UploadBytes = d.UploadBytes
	}
	if l.LibraryBytes <= 0 {
		l.LibraryBytes = d.LibraryBytes
	}
	if l.IdleExpiry <= 0 {
		l.IdleExpiry = d.IdleExpiry
	}
	return l
}
