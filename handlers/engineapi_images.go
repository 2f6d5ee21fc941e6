package handlers

// The Engine API's image endpoints: `docker images`, `history`, `image inspect`,
// `tag`, `rmi` and `image prune` against a workspace. Each parses the request as
// Docker 20.10's image router does and answers what engine/commands' API functions
// compute (the same code as the command line and the web terminal), in the daemon's
// shapes.

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"layerlab/engine/commands"
)

// engineImageList is GET /images/json?all=&filters= (and, before API 1.41, filter=
// as a reference pattern, as the daemon still takes it).
func (s *Server) engineImageList(w http.ResponseWriter, r *http.Request) {
	f, err := commands.ParseFilters(r.FormValue("filters"))
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	if p := r.FormValue("filter"); p != "" && versionLess(engineVersion(r), "1.41") {
		if f["reference"] == nil {
			f["reference"] = map[string]bool{}
		}
		f["reference"][p] = true
	}
	sums, err := commands.ListImages(r.Context(), engineWorkspace(r), engineBool(r, "all"), f)
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	engineJSON(w, http.StatusOK, sums)
}

// engineImagePrune is POST /images/prune?filters=.
func (s *Server) engineImagePrune(w http.ResponseWriter, r *http.Request) {
	f, err := commands.ParseFilters(r.FormValue("filters"))
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	rep, err := commands.PruneImages(r.Context(), engineWorkspace(r), f, s.now())
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	engineJSON(w, http.StatusOK, rep)
}

// engineImageGet is GET /images/{name}/json and /images/{name}/history; the name may
// hold "/", ":" and "@".
func (s *Server) engineImageGet(w http.ResponseWriter, r *http.Request) {
	name, action := engineImageAction(r)
	ws := engineWorkspace(r)
	switch action {
	case "json":
		v, err := commands.InspectImage(r.Context(), ws, name)
		if err != nil {
			s.engineFail(w, r, err)
			return
		}
		engineJSON(w, http.StatusOK, v)
	case "history":
		v, err := commands.ImageHistory(r.Context(), ws, name)
		if err != nil {
			s.engineFail(w, r, err)
			return
		}
		engineJSON(w, http.StatusOK, v)
	default:
		engineNotServed(w, r)
	}
}

// engineImagePost is POST /images/{name}/tag?repo=&tag= and /images/{name}/push.
func (s *Server) engineImagePost(w http.ResponseWriter, r *http.Request) {
	name, action := engineImageAction(r)
	switch action {
	case "tag":
		err := commands.TagImage(r.Context(), engineWorkspace(r), name, r.FormValue("repo"), r.FormValue("tag"))
		if errors.Is(err, commands.ErrBadReference) {
			// The daemon answers a repo or tag it cannot parse with a 500 and the
			// parser's words (shapes/tag_bad.txt); the CLI prints them either way.
			engineError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if err != nil {
			s.engineFail(w, r, err)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusCreated)
	case "push":
		s.engineImagePush(w, r, name)
	default:
		engineNotServed(w, r)
	}
}

// engineImageDelete is DELETE /images/{name}?force=&noprune=.
func (s *Server) engineImageDelete(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "*")
	items, err := commands.RemoveImage(r.Context(), engineWorkspace(r), name, engineBool(r, "force"), engineBool(r, "noprune"))
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	engineJSON(w, http.StatusOK, items)
}

// engineImageAction splits /images/{name}/{action}: the action is the last segment,
// the name all before it.
func engineImageAction(r *http.Request) (name, action string) {
	rest := chi.URLParam(r, "*")
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return rest, ""
	}
	return rest[:i], rest[i+1:]
}

// engineBool is the daemon's httputils.BoolValue: set unless empty, 0, no, false or
// none.
func engineBool(r *http.Request, key string) bool {
	switch strings.ToLower(strings.TrimSpace(r.FormValue(key))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}
