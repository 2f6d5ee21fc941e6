package remote

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/image"
)

// libraryWorkspace holds the official stand-ins the hub's library/ serves: they are
// built there once, then pushed into library/.
const libraryWorkspace = "hub-library"

var libraryMu sync.Mutex // one stand-in is made at a time (each takes a second or two)

// EnsureLibrary makes library/NAME:TAG exist in the hub when it is one of the built-in
// stand-ins of the official images (python:3.9, alpine:3.20, ...): the hub's library/
// is those images, read-only, made on first use. It reports whether the manifest is
// there now; a name that is not a stand-in is simply not there (false, nil).
func EnsureLibrary(ctx context.Context, st *db.Store, repo, reference string) (bool, error) {
	name, ok := strings.CutPrefix(repo, "library/")
	if !ok || strings.Contains(name, "/") || strings.Contains(reference, ":") {
		return false, nil // not an official name, or a digest (only tags are made)
	}
	ref, err := image.ParseRef(name + ":" + reference)
	if err != nil {
		return false, nil
	}
	if _, err := st.HubManifest(ctx, repo, reference); err == nil {
		return true, nil // the usual case: made before
	}
	libraryMu.Lock()
	defer libraryMu.Unlock()
	if _, err := st.HubManifest(ctx, repo, reference); err == nil {
		return true, nil // made meanwhile
	}
	ws, err := st.Workspace(ctx, libraryWorkspace)
	if err != nil {
		return false, err
	}
	if _, err := ws.Lookup(ctx, ref.String()); err != nil {
		if _, _, err := (build.StandIns{}).Pull(ctx, ws, ref); err != nil {
			return false, nil // not a stand-in: the hub has no such image
		}
	}
	if _, err := Push(ctx, ws, &Hub{Store: st, raw: true}, ref, PushOptions{}); err != nil {
		return false, fmt.Errorf("put %s into the hub's library/: %w", ref.Familiar(), err)
	}
	return true, nil
}
