// Package handlers serves the playground: pages (templ, from web/), their form and
// JSON actions, the websocket build stream and the terminal. Each browser gets its own
// workspace in the store, named from a random token in an HttpOnly cookie.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"layerlab/db"
	"layerlab/lessons"
	"layerlab/static"
)

// Deps is what the server needs; New fills the zero fields with defaults.
type Deps struct {
	Store *db.Store
	Log   *slog.Logger
	Now   func() time.Time
	// Secure marks the session and flash cookies Secure (set it when serving over HTTPS).
	Secure bool
	// PublicURL is the server's address as clients reach it (https://lab.example.org);
	// the hub's login challenge names it. "" takes the listener's address.
	PublicURL string
	// Limits are the quotas and fairness bounds; zero fields take DefaultLimits.
	Limits Limits
	// Lessons are the lessons the playground's panel offers; nil: lessons.Builtin().
	Lessons *lessons.Set
	// NoEngineAPI turns the Docker Engine API under /ws/<token>/ off (engineapi.go):
	// every request there gets 404 saying so.
	NoEngineAPI bool
}

// Server is the playground's http.Handler. Close cancels the running builds and waits
// for them, and stops the broadcaster of build events.
type Server struct {
	store     *db.Store
	log       *slog.Logger
	now       func() time.Time
	secure    bool
	publicURL string
	limits    Limits
	router    chi.Router
	broadcast *broadcaster // build events to the websockets watching them
	builds    *runner
	transfers *transfers
	queue     *buildQueue  // MaxBuilds at once, BuildsPerMinute per workspace (queue.go)
	janitor   *janitor     // idle expiry and collection (janitor.go)
	library   libraryState // the hub's library/ stand-ins' use (registry_manifests.go)
	sessions  sessionState // the signing key and the new-workspace limiter (session.go)
	lessons   *lessons.Set // the lessons the panel offers (lesson.go)
	evals     *lessonEvals // the lesson's checks after builds and commands (lesson.go)
	follow    followHub    // follow-the-teacher rooms and their followers (follow.go)
	teach     classState   // the joins limiter (class.go)
	classes   *classHub    // the class dashboards' live cards and the presence counts (classhub.go)
	// noEngineAPI: the Docker Engine API is off (Deps.NoEngineAPI, engineapi.go).
	noEngineAPI bool
	saves       saveCounter // the Engine API's docker saves streaming, per workspace (engineapi_transfer.go)
	// feed announces builds to the workspace's open pages (workspacefeed.go).
	feed workspaceFeed
}

// New returns the playground's handler over store.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{store: d.Store, log: d.Log, now: d.Now, secure: d.Secure, publicURL: d.PublicURL, limits: d.Limits.withDefaults(), noEngineAPI: d.NoEngineAPI}
	s.broadcast = newBroadcaster()
	s.setupLessons(d.Lessons)
	s.classes = newClassHub(s)
	s.queue = newBuildQueue(s.limits.MaxBuilds, s.limits.BuildsPerMinute, d.Now)
	s.builds = newRunner(s)
	s.transfers = newTransfers(d.Now)
	s.transfers.slots, s.transfers.perWorkspace = s.limits.TransferSlots, s.limits.TransfersPerWorkspace
	s.janitor = s.startJanitor() // also sets the store's quota and upload bounds
	s.router = s.routes()
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Close cancels running builds, pulls and pushes, waits for them to record their end,
// and stops the broadcaster.
func (s *Server) Close(ctx context.Context) error {
	err := errors.Join(s.builds.close(ctx), s.transfers.close(ctx), s.janitor.close(ctx), s.evals.close(ctx))
	s.broadcast.close()
	s.classes.close()
	return err
}

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.recoverer, securityHeaders)
	r.Handle("/static/*", http.StripPrefix("/static/", staticHandler()))
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	r.Mount("/v2", s.registryRoutes()) // the hub (OCI registry): its own auth, no session or CSRF
	s.engineRoutes(r)                  // the Docker Engine API per workspace: its token, no session or CSRF
	r.Group(func(r chi.Router) {
		r.Use(s.session, s.checkCSRF, s.createWorkspace)
		s.playgroundRoutes(r)
		s.imageRoutes(r)
		s.terminalRoutes(r)
		s.transferRoutes(r)
		s.lessonRoutes(r)
		s.followRoutes(r)
		s.classRoutes(r) // the teacher's pages and actions, /join (class.go)
		s.dashboardRoutes(r)
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errNotFound("no page at "+r.URL.Path))
	})
	return r
}

func staticHandler() http.Handler {
	files := http.FileServerFS(static.FS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// securityHeaders: no framing, no sniffing, and a content security policy that allows
// only this origin's scripts and styles (the pages use no CDN).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic in a handler into a logged 500, never a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
