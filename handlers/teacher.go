package handlers

// The teacher: whoever opened the teacher link. The link carries a key made from the
// store's "teacher" secret; opening it gives the browser's own workspace a cookie
// signed with that secret. Rotating the secret (`layerlab teacher link --rotate`, in
// another process on the same data directory) makes every link and cookie made before
// it worthless, so the secret is read from the store at each check, never cached.

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"layerlab/db"
)

// teacherCookie holds the teacher's proof: its workspace's name and their MAC.
const teacherCookie = "layerlab_teacher"

// TeacherSecret is the name of the store secret behind the teacher link and cookies
// (`layerlab teacher link --rotate` replaces it).
const TeacherSecret = "teacher"

// teacherLinkHelp is what a refusal tells a student who opened a teacher's page.
const teacherLinkHelp = "this page is the teacher's: open the teacher link `layerlab teacher link` prints (on the server)"

// TeacherKey is the key the teacher link carries: the MAC of "teacher link" under the
// store's teacher secret, base64url. It changes when the secret is rotated.
func TeacherKey(ctx context.Context, store *db.Store) (string, error) {
	secret, err := store.Secret(ctx, TeacherSecret)
	if err != nil {
		return "", fmt.Errorf("teacher key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sign(secret, "teacher link")), nil
}

// TeacherLink is the teacher link of store on the server reached at base
// ("http://10.0.0.5:8080"): `layerlab serve` and `layerlab teacher link` print it.
func TeacherLink(ctx context.Context, store *db.Store, base string) (string, error) {
	key, err := TeacherKey(ctx, store)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(base, "/") + "/teach/login?key=" + key, nil
}

// baseURL is the server's address as the request's client reached it: --public-url
// when set, else the Host the browser asked for (a join link the teacher's browser
// shows is then one the room's browsers can reach, if the teacher's could).
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return strings.TrimRight(s.publicURL, "/")
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	host := r.Host
	if host == "" {
		return s.regBaseURL(r)
	}
	return proto + "://" + host
}

// teacherCookieValue is the cookie that makes workspace the teacher, under secret.
func teacherCookieValue(secret []byte, workspace string) string {
	return workspace + "." + base64.RawURLEncoding.EncodeToString(sign(secret, "teacher", workspace))
}

// teacherOf returns the teacher's workspace name when the request carries a teacher
// cookie that is valid under the current secret and made for the request's own
// workspace: a cookie copied into another browser (another session) does not work.
func (s *Server) teacherOf(r *http.Request) (string, bool) {
	c, err := r.Cookie(teacherCookie)
	if err != nil {
		return "", false
	}
	ws, ok := r.Context().Value(keyWorkspace).(*db.Workspace)
	if !ok {
		return "", false
	}
	name, mac, ok := strings.Cut(c.Value, ".")
	if !ok || name != ws.Name() {
		return "", false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil {
		return "", false
	}
	secret, err := s.store.Secret(r.Context(), TeacherSecret)
	if err != nil {
		s.log.Error("teacher secret", "err", err)
		return "", false
	}
	if !hmac.Equal(got, sign(secret, "teacher", name)) { // constant time
		return "", false
	}
	return name, true
}

// teachLogin opens the teacher link: with the right key it stores the session's
// workspace (the link is a secret only the operator hands out, so a GET may), gives it
// the teacher cookie, and goes to /teach.
func (s *Server) teachLogin(w http.ResponseWriter, r *http.Request) {
	want, err := TeacherKey(r.Context(), s.store)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	got := r.URL.Query().Get("key")
	if !hmac.Equal([]byte(got), []byte(want)) {
		s.fail(w, r, errForbidden("this teacher link is wrong or was replaced (layerlab teacher link --rotate makes a new one): "+
			"ask the server's operator for the link again (`layerlab teacher link` prints it)"))
		return
	}
	info, _ := r.Context().Value(keySession).(*sessionInfo)
	if info == nil {
		s.fail(w, r, fmt.Errorf("teacher login: no session"))
		return
	}
	if err := s.storeWorkspace(r.Context(), w, info); err != nil {
		s.fail(w, r, err)
		return
	}
	secret, err := s.store.Secret(r.Context(), TeacherSecret)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: teacherCookie, Value: teacherCookieValue(secret, workspace(r).Name()), Path: "/",
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: 400 * 24 * 3600,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/teach", http.StatusSeeOther)
}

// requireTeacher lets through only a request with a valid teacher cookie.
func (s *Server) requireTeacher(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.teacherOf(r); !ok {
			s.fail(w, r, errForbidden(teacherLinkHelp))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type classKey struct{}

// requireClassTeacher lets through only the teacher of the class the route's {class}
// names, and puts the class in the context (classOf).
func (s *Server) requireClassTeacher(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		teacher, ok := s.teacherOf(r)
		if !ok {
			s.fail(w, r, errForbidden(teacherLinkHelp))
			return
		}
		c, err := s.store.Class(r.Context(), chi.URLParam(r, "class"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if c.Teacher != teacher {
			s.fail(w, r, errForbidden("this class belongs to another teacher: open your own classes at /teach"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), classKey{}, c)))
	})
}

// classOf is the class requireClassTeacher checked.
func classOf(r *http.Request) *db.Class { return r.Context().Value(classKey{}).(*db.Class) }
