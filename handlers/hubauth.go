package handlers

import (
	"net/http"
	"strings"
)

// hubAction is what a registry request does to a repository.
type hubAction string

const (
	hubPull   hubAction = "pull"   // read manifests, blobs, tags
	hubPush   hubAction = "push"   // upload blobs, put manifests
	hubDelete hubAction = "delete" // delete manifests, blobs, tags
)

// hubAuthError is a refused registry request: 401 UNAUTHORIZED (send credentials;
// the response carries the Bearer challenge of registry_token.go) or 403 DENIED
// (these credentials may not).
type hubAuthError struct {
	Status  int
	Code    string // the distribution spec's error code
	Message string
}

func (e *hubAuthError) Error() string { return e.Message }

// hubAuthorize decides whether a registry request may do action on repo. Pulls are
// open to everyone (a class shares its images). Pushes and deletes need the
// repository's namespace (its first path component) as the basic-auth user name and
// that namespace's token as the password; `library/` (the official stand-ins) is
// read-only for everyone. A nil result means go ahead.
func (s *Server) hubAuthorize(r *http.Request, repo string, action hubAction) *hubAuthError {
	if action == hubPull {
		return nil
	}
	ns, _, _ := strings.Cut(repo, "/")
	if ns == "library" || !strings.Contains(repo, "/") {
		return &hubAuthError{http.StatusForbidden, "DENIED",
			"library/ holds the official images and is read-only: push to your own namespace (layerlab hub token prints it)"}
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return &hubAuthError{http.StatusUnauthorized, "UNAUTHORIZED",
			"authentication required: docker login with your namespace as the user name and its token as the password (layerlab hub token)"}
	}
	valid, err := s.store.CheckHubToken(r.Context(), user, pass)
	if err != nil {
		s.log.Error("check hub token", "err", err)
		return &hubAuthError{http.StatusInternalServerError, "UNKNOWN", "internal error"}
	}
	if !valid {
		return &hubAuthError{http.StatusUnauthorized, "UNAUTHORIZED", "the user name or token is wrong: layerlab hub token prints them"}
	}
	if user != ns {
		return &hubAuthError{http.StatusForbidden, "DENIED",
			"namespace " + ns + " belongs to another workspace: push to " + user + "/..."}
	}
	return nil
}
