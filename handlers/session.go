package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"layerlab/db"
)

// sessionCookie holds the browser's random token. The workspace is named from a hash
// of it, so the name shown on the page does not reveal the token.
const sessionCookie = "layerlab_session"

// maxFormBytes bounds a urlencoded form (the pages' forms carry a few short fields).
const maxFormBytes = 64 << 10

type ctxKey int

const (
	keyWorkspace ctxKey = iota
	keyToken
)

func newToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on Linux; see crypto/rand
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func validToken(t string) bool {
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

// session finds (or starts) the browser's session and puts its workspace in the context.
func (s *Server) session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if c, err := r.Cookie(sessionCookie); err == nil && validToken(c.Value) {
			token = c.Value
		}
		fresh := token == ""
		if fresh {
			token = newToken()
			http.SetCookie(w, &http.Cookie{
				Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
				SameSite: http.SameSiteStrictMode, MaxAge: 400 * 24 * 3600,
			})
		}
		ws, err := s.store.Workspace(r.Context(), workspaceName(token))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if fresh {
			// A new workspace starts with the lesson's example, whichever page the
			// student opens first (the terminal's `docker build .` then has a context).
			if err := s.seedExample(r.Context(), ws); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		ctx := context.WithValue(r.Context(), keyWorkspace, ws)
		ctx = context.WithValue(ctx, keyToken, token)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// workspace is the request's workspace (set by session).
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
