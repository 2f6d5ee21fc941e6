package handlers

// The Docker Engine API, per workspace (issue 14): every workspace answers the API
// that the docker CLI speaks under /ws/<token>/, where <token> is the workspace's
// Engine API token (db.Workspace.EngineToken). `docker context create layerlab
// --docker host=tcp://HOST:PORT/ws/<token>` then makes `docker build`, `images`,
// `history`, `push` ... act on that workspace, through the same store, runner, queue
// and quotas as the page, and a build appears live on the workspace's page.
//
// What the CLIs send and expect was recorded from Docker 20.10's daemon with the 20.10
// and 28.2 CLIs (../shared/research/docker-engine-api/README.md): every command starts
// with HEAD /_ping; the ping's API-Version (1.41) sets the /v1.41/ prefix of what
// follows; no Builder-Version header, or the 20.10 CLI switches to BuildKit, which
// layerlab does not serve; errors are {"message": ...} with a 4xx/5xx status.
//
// The routes (engineRoutes) and the shared helpers are here; the images' endpoints
// are in engineapi_images.go, the build in engineapi_build.go, pull, push, login, save
// and load in engineapi_transfer.go.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"layerlab/db"
	"layerlab/engine/image"
)

// The API versions served: the ping advertises engineAPIVersion; a request names one
// in its path (/v1.41/...), or none (the newest). 1.12 is the daemon's own minimum.
const (
	engineAPIVersion    = "1.41"
	engineAPIMinVersion = "1.12"
	// engineServer is the Server header: what `docker version` shows as the engine.
	engineServer = "layerlab (Docker Engine API " + engineAPIVersion + ")"
)

type engineKey int

const (
	keyEngineWorkspace engineKey = iota // the *db.Workspace the token named
	keyEngineVersion                    // the API version of the request's path ("" for none)
)

// engineWorkspace is the workspace of an Engine API request (set by engineAuth).
func engineWorkspace(r *http.Request) *db.Workspace {
	ws, _ := r.Context().Value(keyEngineWorkspace).(*db.Workspace)
	return ws
}

// engineVersion is the API version the request's path named ("1.41"), or
// engineAPIVersion when it named none.
func engineVersion(r *http.Request) string {
	if v, _ := r.Context().Value(keyEngineVersion).(string); v != "" {
		return v
	}
	return engineAPIVersion
}

// engineRoutes mounts the Engine API under /ws/{token}. It sits beside the page's
// websockets under /ws/ (builds, presence, teach, class, transfers): a token always
// starts with db.EngineTokenPrefix and is longer than any of those names, and chi
// tries the fixed names first.
func (s *Server) engineRoutes(r chi.Router) {
	r.Route("/ws/{token}", func(r chi.Router) {
		r.Use(s.engineAuth, engineStripVersion)
		r.Get("/_ping", enginePing)
		r.Head("/_ping", enginePing)
		r.Get("/version", s.engineVersionInfo)
		r.Get("/info", s.engineInfo)

		// Images (engineapi_images.go).
		r.Get("/images/json", s.engineImageList)
		r.Post("/images/prune", s.engineImagePrune)
		r.Get("/images/*", s.engineImageGet)       // {name}/json, {name}/history
		r.Post("/images/*", s.engineImagePost)     // {name}/tag, {name}/push (engineapi_transfer.go)
		r.Delete("/images/*", s.engineImageDelete) // {name}

		// The build (engineapi_build.go).
		r.Post("/build", s.engineBuild)
		r.Post("/build/prune", s.engineBuildPrune)

		// Pull, login, save, load (engineapi_transfer.go).
		r.Post("/images/create", s.engineImageCreate)
		r.Post("/auth", s.engineAuthLogin)
		r.Get("/images/get", s.engineImagesSave)
		r.Post("/images/load", s.engineImagesLoad)

		// `docker inspect NAME` asks for a container first and falls through to the
		// image on a 404, as against Docker.
		r.Get("/containers/{name}/json", engineNoSuchContainer)
		// It then asks for a network, a volume and a plugin: Docker's 404s, so that
		// `docker inspect nosuch` ends in "Error: No such object: nosuch".
		r.Get("/networks/{name}", engineNoSuchObject("network %s not found"))
		r.Get("/volumes/{name}", engineNoSuchObject("get %s: no such volume"))
		r.Get("/plugins/{name}/json", engineNoSuchObject("plugin %q not found"))
		r.NotFound(engineNotServed)
		r.MethodNotAllowed(engineNotServed)
	})
}

// engineAuth finds the workspace the path's token names: an unknown or rotated token
// gets 404 with a message on every path, /_ping included (the 28.x CLI then stops
// with that message; the 20.10 CLI carries on and shows the next request's).
func (s *Server) engineAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		engineHeaders(w)
		if s.noEngineAPI {
			engineError(w, http.StatusNotFound, "the Docker Engine API is turned off on this layerlab server (layerlab serve --engine-api=false)")
			return
		}
		ws, err := s.store.WorkspaceByEngineToken(r.Context(), chi.URLParam(r, "token"))
		if err != nil {
			if !errors.Is(err, db.ErrNotFound) {
				s.log.Error("engine api: token lookup", "err", err)
				engineError(w, http.StatusInternalServerError, "internal error: the server log has the details")
				return
			}
			engineError(w, http.StatusNotFound, "no layerlab workspace answers at this address: its token is unknown or was replaced. "+
				"Copy the docker context lines from your playground page again (or run `layerlab context`)")
			return
		}
		ctx := context.WithValue(r.Context(), keyEngineWorkspace, ws)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// versionPrefix is the /v1.41 a request's path may start with.
var versionPrefix = regexp.MustCompile(`^/v([0-9]+\.[0-9]+)(/|$)`)

// engineStripVersion takes the /v{version} prefix off the route's path and checks the
// version as Docker does: too old or too new is a 400 in plain text.
func engineStripVersion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rctx := chi.RouteContext(r.Context())
		path := rctx.RoutePath
		if path == "" {
			path = r.URL.Path
		}
		m := versionPrefix.FindStringSubmatch(path)
		if m == nil {
			next.ServeHTTP(w, r)
			return
		}
		v := m[1]
		switch {
		case versionLess(v, engineAPIMinVersion):
			http.Error(w, "client version "+v+" is too old. Minimum supported API version is "+engineAPIMinVersion+
				", please upgrade your client to a newer version", http.StatusBadRequest)
			return
		case versionLess(engineAPIVersion, v):
			http.Error(w, "client version "+v+" is too new. Maximum supported API version is "+engineAPIVersion, http.StatusBadRequest)
			return
		}
		rctx.RoutePath = "/" + strings.TrimPrefix(path[len(m[0]):], "/")
		if m[2] == "" {
			rctx.RoutePath = "/"
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyEngineVersion, v)))
	})
}

// versionLess compares two API versions ("1.9" < "1.12").
func versionLess(a, b string) bool {
	am, an, _ := strings.Cut(a, ".")
	bm, bn, _ := strings.Cut(b, ".")
	ai, _ := strconv.Atoi(am)
	bi, _ := strconv.Atoi(bm)
	if ai != bi {
		return ai < bi
	}
	aj, _ := strconv.Atoi(an)
	bj, _ := strconv.Atoi(bn)
	return aj < bj
}

// engineHeaders are the daemon's headers on every answer: API-Version sets the CLIs'
// path version; no Builder-Version (2 would turn the 20.10 CLI into a BuildKit client).
func engineHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Api-Version", engineAPIVersion)
	h.Set("Docker-Experimental", "false")
	h.Set("Ostype", "linux")
	h.Set("Server", engineServer)
}

// enginePing answers HEAD and GET /_ping as the daemon does.
func enginePing(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("OK"))
}

// engineVersionInfo is GET /version: what `docker version` prints as the server.
func (s *Server) engineVersionInfo(w http.ResponseWriter, r *http.Request) {
	engineJSON(w, http.StatusOK, map[string]any{
		"Platform": map[string]string{"Name": "layerlab"},
		"Components": []map[string]any{{
			"Name": "Engine", "Version": layerlabVersion,
			"Details": map[string]string{"ApiVersion": engineAPIVersion, "MinAPIVersion": engineAPIMinVersion, "Os": "linux", "Arch": runtime.GOARCH,
				"GoVersion": runtime.Version(), "Experimental": "false", "GitCommit": "", "BuildTime": ""},
		}},
		"Version":       layerlabVersion,
		"ApiVersion":    engineAPIVersion,
		"MinAPIVersion": engineAPIMinVersion,
		"Os":            "linux",
		"Arch":          runtime.GOARCH,
		"GoVersion":     runtime.Version(),
	})
}

// layerlabVersion is the engine's version as `docker version` shows it.
const layerlabVersion = "layerlab"

// engineInfo is GET /info: the 20.10 CLI reads IndexServerAddress before a pull or
// push of a docker.io name, and `docker info` prints the rest.
func (s *Server) engineInfo(w http.ResponseWriter, r *http.Request) {
	ws := engineWorkspace(r)
	n := 0
	if recs, err := ws.Images(r.Context()); err == nil {
		n = len(recs)
	}
	engineJSON(w, http.StatusOK, map[string]any{
		"ID": "layerlab", "Containers": 0, "ContainersRunning": 0, "ContainersPaused": 0, "ContainersStopped": 0,
		"Images": n, "Driver": "layerlab", "OSType": "linux", "OperatingSystem": "layerlab playground (no containers: RUN is simulated)",
		"Architecture": runtime.GOARCH, "NCPU": runtime.NumCPU(), "Name": "layerlab", "ServerVersion": layerlabVersion,
		"IndexServerAddress": "https://index.docker.io/v1/", "Labels": []string{}, "Debug": false,
		"Swarm": map[string]any{"LocalNodeState": "inactive"},
	})
}

// engineNoSuchContainer is GET /containers/{name}/json: a playground has no
// containers; 404, so that `docker inspect NAME` goes on to the image.
func engineNoSuchContainer(w http.ResponseWriter, r *http.Request) {
	engineError(w, http.StatusNotFound, "No such container: "+chi.URLParam(r, "name"))
}

// engineNoSuchObject answers a GET of one network, volume or plugin by name with
// Docker's 404 and words (format has one verb, for the name): the playground has none.
func engineNoSuchObject(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		engineError(w, http.StatusNotFound, fmt.Sprintf(format, chi.URLParam(r, "name")))
	}
}

// engineNotServed answers every other path: containers, volumes, networks, exec ...
// are not part of the playground, which builds and stores images only.
func engineNotServed(w http.ResponseWriter, r *http.Request) {
	path := chi.RouteContext(r.Context()).RoutePath
	what := "this endpoint"
	for _, p := range []string{"containers", "exec", "volumes", "networks", "plugins", "swarm", "services", "nodes", "secrets", "configs", "tasks", "system", "events", "session", "distribution", "grpc"} {
		if strings.HasPrefix(path, "/"+p) {
			what = p
			break
		}
	}
	switch what {
	case "containers", "exec":
		engineError(w, http.StatusNotImplemented, "layerlab runs no containers: `docker run`, `ps`, `exec` and the like are not part of the playground, "+
			"which builds, stores and shares images (RUN steps are simulated while building)")
	case "session":
		engineError(w, http.StatusNotImplemented, "layerlab serves the classic builder only, not BuildKit: build with DOCKER_BUILDKIT=0")
	case "this endpoint":
		engineError(w, http.StatusNotFound, "page not found: layerlab's Docker Engine API serves images and builds only ("+r.Method+" "+path+")")
	default:
		engineError(w, http.StatusNotImplemented, "layerlab does not serve "+what+": the playground builds, stores and shares images only")
	}
}

// engineError answers with Docker's error shape, {"message": msg}.
func engineError(w http.ResponseWriter, code int, msg string) {
	engineJSON(w, code, map[string]string{"message": msg})
}

// engineFail answers with err's status and message (status, errors.go), in Docker's
// shape; internal errors are logged and not shown.
func (s *Server) engineFail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg, internal := status(err)
	if internal {
		s.log.Error("engine api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == 499 { // the client went away: nobody reads the answer
		return
	}
	engineError(w, code, msg)
}

// engineJSON writes v as the daemon does: application/json, one object and a newline.
func engineJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	// The daemon does not escape <, > and & (httputils.WriteJSON), and `docker
	// inspect` prints the JSON as it came: "cat a > b", not "cat a \u003e b".
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// familiarName is a reference as Docker stores and shows it: the 28.x CLI sends
// docker.io/library/lesson for lesson, and docker.io/u/x for u/x.
func familiarName(name string) string {
	ref, err := image.ParseRef(name)
	if err != nil {
		return name
	}
	return ref.Familiar()
}
