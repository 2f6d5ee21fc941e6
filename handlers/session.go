package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"layerlab/db"
	"layerlab/examples"
)

// sessionCookie holds the browser's session token. The workspace is named from a hash
// of it, so the name shown on the page does not reveal the token.
const sessionCookie = "layerlab_session"

// maxFormBytes bounds a urlencoded form (the pages' forms carry a few short fields).
const maxFormBytes = 64 << 10

type ctxKey int

const (
	keyWorkspace ctxKey = iota
	keyToken
	keySession
)

// sessionState is the server's part of the sessions: the key that signs tokens and
// flashes (the store's, made once per data directory), the limiter of new workspaces
// per client address, and the lock that makes creating a workspace and seeding it one
// step. Its zero value is ready: the key is read on first use.
type sessionState struct {
	mu     sync.Mutex
	key    []byte
	create sync.Mutex
	newWS  *rateLimiter
}

// sessionKey is the key tokens and flashes are signed with: the store's "session"
// secret, so every server on this data directory, and every restart, accepts them.
func (s *Server) sessionKey(ctx context.Context) ([]byte, error) {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if s.sessions.key == nil {
		k, err := s.store.Secret(ctx, "session")
		if err != nil {
			return nil, fmt.Errorf("session key: %w", err)
		}
		s.sessions.key = k
	}
	return s.sessions.key, nil
}

// sign is the MAC of the parts under key, for purpose ("session", "flash"): a value
// signed for one purpose is never valid for another.
func sign(key []byte, purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("layerlab " + purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return m.Sum(nil)[:16]
}

// newToken is a session token the server issues: 24 random bytes and their MAC, both
// base64url, joined by a dot. Only the server can make one, so a token a page or
// another site made up is never taken for a workspace (session fixation).
func newToken(key []byte) string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on Linux; see crypto/rand
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	return id + "." + base64.RawURLEncoding.EncodeToString(sign(key, "session", id))
}

// issuedToken reports whether t is a token newToken made with key.
func issuedToken(key []byte, t string) bool {
	id, mac, ok := strings.Cut(t, ".")
	if !ok || !legacyToken(id) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	return err == nil && hmac.Equal(got, sign(key, "session", id))
}

// legacyToken reports whether t has the form of the unsigned tokens issued before
// tokens were signed: such a cookie is kept only while its workspace exists.
func legacyToken(t string) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == 24
}

// workspaceName is the store's name for a browser's workspace.
func workspaceName(token string) string {
	h := sha256.Sum256([]byte("layerlab workspace\x00" + token))
	return "web-" + hex.EncodeToString(h[:8])
}

// csrfToken is the session's CSRF token: only a page of this origin, which received it
// in its HTML, can send it back; another site cannot read it nor derive it.
func csrfToken(token string) string {
	h := sha256.Sum256([]byte("layerlab csrf\x00" + token))
	return hex.EncodeToString(h[:16])
}

// sessionInfo is what the request's session knows: whether its workspace is stored
// yet, and the client address that would create it.
type sessionInfo struct {
	name   string
	stored bool
	client string
}

// session finds the browser's session, or issues a token for a new one, and puts its
// workspace in the context. It stores nothing: a GET without a cookie (a crawler, a
// health check, a first visit) costs the store nothing. A workspace that is not stored
// yet reads as a new one, and createWorkspace stores it at the session's first
// state-changing request.
func (s *Server) session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := s.sessionKey(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		token, stored := "", false
		if c, err := r.Cookie(sessionCookie); err == nil {
			switch {
			case issuedToken(key, c.Value):
				token = c.Value
			case legacyToken(c.Value):
				// Issued before tokens were signed: it keeps its workspace, and cannot
				// start one.
				if _, err := s.store.ExistingWorkspace(r.Context(), workspaceName(c.Value)); err == nil {
					token, stored = c.Value, true
				}
			}
		}
		if token == "" {
			token = newToken(key)
			// SameSite=Lax, not Strict: a browser sends a Strict cookie on no navigation
			// from another site, so a student opening the playground or the join link
			// from a chat or an email would arrive without it, and this new token would
			// replace the cookie and lose the workspace. Lax still keeps the cookie off
			// other sites' POSTs; every state-changing request also needs the CSRF token
			// and a same-origin Origin (checkCSRF).
			http.SetCookie(w, &http.Cookie{
				Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
				SameSite: http.SameSiteLaxMode, MaxAge: 400 * 24 * 3600,
			})
		}
		name := workspaceName(token)
		ws, err := s.store.ExistingWorkspace(r.Context(), name)
		switch {
		case err == nil:
			stored = true
			s.touch(r.Context(), ws) // idle expiry (janitor.go): at most a write an hour
		case errors.Is(err, db.ErrNotFound):
			ws, err = s.store.UnstoredWorkspace(name)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), keyWorkspace, ws)
		ctx = context.WithValue(ctx, keyToken, token)
		ctx = context.WithValue(ctx, keySession, &sessionInfo{name: name, stored: stored, client: clientAddr(r)})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// readOnlyPosts are the POSTs that change nothing (they take a body, hence POST): they
// do not start a workspace. Each reads the workspace, which reads as a new one.
var readOnlyPosts = map[string]bool{
	"/api/lint":           true,
	"/api/inspect/format": true,
}

// createWorkspace stores the session's workspace, seeded with the lesson's example, at
// its first state-changing request (after checkCSRF: a request from another site
// starts nothing), at most limits.NewWorkspacesPerMinute per client address.
func (s *Server) createWorkspace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(keySession).(*sessionInfo)
		switch {
		case info == nil || info.stored, readOnlyPosts[r.URL.Path]:
		case r.Method == http.MethodGet, r.Method == http.MethodHead, r.Method == http.MethodOptions:
		default:
			if err := s.storeWorkspace(r.Context(), w, info); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// storeWorkspace creates the session's workspace with the lesson's example as its
// context, unless it exists; it is refused when the client address has created its
// quota of workspaces this last minute.
func (s *Server) storeWorkspace(ctx context.Context, w http.ResponseWriter, info *sessionInfo) error {
	s.sessions.create.Lock() // one creation at a time: a workspace is seeded once
	defer s.sessions.create.Unlock()
	if _, err := s.store.ExistingWorkspace(ctx, info.name); err == nil {
		info.stored = true
		return nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return err
	}
	if err := s.newWorkspaceLimiter().take(info.client); err != nil {
		var le *limitError
		if errors.As(err, &le) {
			w.Header().Set("Retry-After", fmt.Sprint(int(le.retry.Seconds()+0.999)))
		}
		return err
	}
	ws, err := s.store.Workspace(ctx, info.name)
	if err != nil {
		return err
	}
	// A new workspace starts with the lesson's example, whichever action comes first
	// (the terminal's `docker build .` then has a context).
	if err := s.seedExample(ctx, ws); err != nil {
		return err
	}
	info.stored = true
	return nil
}

// newWorkspaceLimiter is the limiter of workspaces created per client address.
func (s *Server) newWorkspaceLimiter() *rateLimiter {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if s.sessions.newWS == nil {
		n := s.limits.NewWorkspacesPerMinute
		s.sessions.newWS = newRateLimiter(n, s.now, func(client string) string {
			what := fmt.Sprintf("%d workspaces", n)
			if n == 1 {
				what = "a workspace"
			}
			return fmt.Sprintf("this address (%s) has started %s in the last minute, the most the server allows "+
				"(--new-workspaces-per-minute %d). A browser keeps its workspace in a cookie: "+
				"allow cookies for this site and it needs only one", client, what, n)
		})
	}
	return s.sessions.newWS
}

// sessionStored reports whether the request's workspace is stored: false for a new
// session that has changed nothing yet.
func sessionStored(r *http.Request) bool {
	info, _ := r.Context().Value(keySession).(*sessionInfo)
	return info == nil || info.stored
}

// contextFiles is the workspace's build context as its pages show it: a workspace not
// stored yet shows the lesson's example, which it will start with.
func (s *Server) contextFiles(r *http.Request) ([]db.ContextFile, error) {
	if !sessionStored(r) {
		files, ok := examples.Files(examples.All[0].Dir)
		if !ok {
			return nil, fmt.Errorf("lesson example %s: %w", examples.All[0].Dir, db.ErrNotFound)
		}
		out := make([]db.ContextFile, 0, len(files))
		for _, f := range files {
			out = append(out, db.ContextFile{Path: f.Path, Data: f.Data, Mode: 0o644})
		}
		return out, nil
	}
	return workspace(r).ContextFiles(r.Context())
}

// workspace is the request's workspace (set by session). It may not be stored yet (a
// GET of a new session): its reads then find what a new workspace holds.
func workspace(r *http.Request) *db.Workspace { return r.Context().Value(keyWorkspace).(*db.Workspace) }

// csrfOf is the CSRF token of the request's session.
func csrfOf(r *http.Request) string { return csrfToken(r.Context().Value(keyToken).(string)) }

// checkCSRF refuses a state-changing request that does not carry the session's CSRF
// token (header X-CSRF-Token, or form field csrf), or that comes from another origin.
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Host != r.Host {
				s.fail(w, r, errForbidden("request from another origin ("+o+") refused"))
				return
			}
		}
		got := r.Header.Get("X-CSRF-Token")
		if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			// A plain HTML form: its fields are small; bound the body before parsing it.
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			got = r.PostFormValue("csrf")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(csrfOf(r))) != 1 {
			s.fail(w, r, errForbidden("missing or wrong CSRF token: reload the page and try again"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
