package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/commands"
	"layerlab/remote"
	"layerlab/web"
)

// httpError is an error with the status and the message a user sees.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errNotFound(msg string) error   { return &httpError{http.StatusNotFound, msg} }
func errBadRequest(msg string) error { return &httpError{http.StatusBadRequest, msg} }
func errForbidden(msg string) error  { return &httpError{http.StatusForbidden, msg} }
func errTooLarge(msg string) error   { return &httpError{http.StatusRequestEntityTooLarge, msg} }
func errConflict(msg string) error   { return &httpError{http.StatusConflict, msg} }

// status maps an error to its HTTP status and the message safe to show: a user's
// mistake says what it was; anything else is "internal error" (and is logged). It is
// the one place an error's class becomes a status: the docker commands' failures by
// engine/commands' sentinels, as Docker's API answers them (a missing image 404, a
// conflict 409, a command line, reference or template that is wrong 400), and a pull's
// or push's by remote's: what the registry lacks 404, its refusals 401 and 403, a
// registry that cannot be reached or answers with something that is not an image or
// with an error of no class 502 (the fault is past this server, and Docker's words for
// it are the user's to read), an image layerlab will not take (past the limits, a
// bomb, a format it does not pull) 422, and a push the hub finds too large 413, as the
// hub's registry API answers it.
func status(err error) (int, string, bool) {
	var he *httpError
	var mbe *http.MaxBytesError
	var re *remote.RegistryError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg, false
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "request too large: the limit is " + humanBytes(mbe.Limit), false
	case errors.Is(err, db.ErrHubTooLarge):
		return http.StatusRequestEntityTooLarge, err.Error(), false
	case errors.Is(err, db.ErrNotFound), errors.Is(err, build.ErrNotFound), errors.Is(err, commands.ErrNotFound),
		errors.Is(err, remote.ErrManifestUnknown), errors.Is(err, remote.ErrBlobUnknown):
		return http.StatusNotFound, err.Error(), false
	case errors.Is(err, db.ErrInvalid), errors.Is(err, db.ErrAmbiguous),
		errors.Is(err, commands.ErrUsage), errors.Is(err, commands.ErrInvalid), errors.Is(err, commands.ErrTemplate),
		errors.Is(err, remote.ErrNoHub):
		return http.StatusBadRequest, err.Error(), false
	case errors.Is(err, remote.ErrUnauthorized):
		return http.StatusUnauthorized, err.Error(), false
	case errors.Is(err, remote.ErrDenied):
		return http.StatusForbidden, err.Error(), false
	case errors.Is(err, db.ErrHasChildren), errors.Is(err, db.ErrHasTags), errors.Is(err, db.ErrHeld),
		errors.Is(err, commands.ErrConflict):
		return http.StatusConflict, err.Error(), false
	case errors.Is(err, remote.ErrTooLarge), errors.Is(err, remote.ErrBomb), errors.Is(err, remote.ErrUnsupported):
		return http.StatusUnprocessableEntity, err.Error(), false
	case errors.Is(err, remote.ErrUnreachable), errors.Is(err, remote.ErrInvalid), errors.As(err, &re):
		return http.StatusBadGateway, err.Error(), false
	case errors.Is(err, db.ErrQuota): // the workspace's storage quota: the message says what frees space
		return http.StatusInsufficientStorage, err.Error(), false
	case errors.Is(err, context.Canceled):
		return 499, "request cancelled", false
	}
	return http.StatusInternalServerError, "internal error: the server log has the details", true
}

// fail answers a request with an error: JSON ({"error": msg}) for /api/ requests and
// fetches that accept JSON, the error page otherwise. Internal errors are logged once, here.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg, internal := status(err)
	if internal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if wantsJSON(r) {
		writeJSON(w, code, map[string]string{"error": msg})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	p := web.Page{Title: http.StatusText(code)}
	if ws, ok := r.Context().Value(keyWorkspace).(*db.Workspace); ok {
		p.Workspace = ws.Name()
		p.CSRF = csrfOf(r)
	}
	web.ErrorPage(p, code, msg).Render(r.Context(), w)
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// decodeJSON reads a JSON request body of at most limit bytes into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errBadRequest("bad JSON in the request: " + err.Error())
	}
	return nil
}

// humanBytes is a size as Docker prints it (decimal units: "1.98MB").
func humanBytes(n int64) string { return build.HumanSize(n) }
