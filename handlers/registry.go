package handlers

// The hub: layerlab's built-in OCI registry, the OCI Distribution API (v2) under /v2/
// on the playground's own server, backed by the store's blobs and SQLite (db/hub.go).
//
//	GET    /v2/                                        API version check (and docker login)
//	GET    /v2/token                                   bearer tokens (registry_token.go)
//	GET    /v2/_catalog?n=&last=                       repositories
//	GET    /v2/<name>/tags/list?n=&last=               tags
//	GET    /v2/<name>/manifests/<tag|digest>           pull a manifest (HEAD too)
//	PUT    /v2/<name>/manifests/<tag|digest>?tag=...   push a manifest
//	DELETE /v2/<name>/manifests/<tag|digest>           delete a tag, or a manifest
//	GET    /v2/<name>/blobs/<digest>                   pull a blob, ranges too (HEAD too)
//	DELETE /v2/<name>/blobs/<digest>                   delete a blob
//	POST   /v2/<name>/blobs/uploads/                   start an upload; ?digest= monolithic;
//	                                                   ?mount=&from= cross-repository mount
//	GET    /v2/<name>/blobs/uploads/<id>               upload status
//	PATCH  /v2/<name>/blobs/uploads/<id>               a chunk (Content-Range) or a stream
//	PUT    /v2/<name>/blobs/uploads/<id>?digest=       the last chunk, and verify
//	DELETE /v2/<name>/blobs/uploads/<id>               cancel an upload
//	GET    /v2/<name>/referrers/<digest>?artifactType= manifests whose subject is digest
//
// Registry clients have no session cookie and no CSRF token: these routes sit outside
// the session group, and every handler asks hubAuthorize first (pulls are open; pushes
// and deletes need the namespace's token, over HTTP basic auth or as a bearer token
// from GET /v2/token, which carries the same credentials).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
)

var (
	regUploadPath    = regexp.MustCompile(`^/v2/(.+)/blobs/uploads/([^/]*)$`)
	regBlobPath      = regexp.MustCompile(`^/v2/(.+)/blobs/([^/]+)$`)
	regManifestPath  = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)
	regTagsPath      = regexp.MustCompile(`^/v2/(.+)/tags/list$`)
	regReferrersPath = regexp.MustCompile(`^/v2/(.+)/referrers/([^/]+)$`)
)

// Paging: a list request without n gets regPageDefault entries, and n is capped at
// regPageMax, so no listing holds more than that in memory.
const (
	regPageDefault = 1000
	regPageMax     = 10000
)

// regIdle is how long a blob upload may go without receiving a byte. It replaces the
// server's whole-request read timeout for blob bodies, which may take long to arrive.
const regIdle = 2 * time.Minute

// registryRoutes is the hub's router, mounted at /v2.
func (s *Server) registryRoutes() http.Handler { return http.HandlerFunc(s.serveRegistry) }

func (s *Server) serveRegistry(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	r, ok := s.regUnbearer(w, r)
	if !ok {
		return
	}
	// Routes match the escaped path, so an escaped "/" inside a digest or a tag
	// ("sha256:..%2F..%2Fx") stays in its segment and is refused as what it claims to be.
	p := r.URL.EscapedPath()
	var m []string
	match := func(re *regexp.Regexp) bool {
		if m = re.FindStringSubmatch(p); m == nil {
			return false
		}
		for i := range m {
			if u, err := url.PathUnescape(m[i]); err == nil {
				m[i] = u
			}
		}
		return true
	}
	switch {
	case p == "/v2" || p == "/v2/":
		s.regBase(w, r)
	case p == "/v2/token":
		s.regToken(w, r)
	case p == "/v2/_catalog":
		s.regCatalog(w, r)
	case match(regUploadPath):
		s.regRepo(w, r, m[1], func(repo string) { s.regUpload(w, r, repo, m[2]) })
	case match(regBlobPath):
		s.regRepo(w, r, m[1], func(repo string) { s.regBlob(w, r, repo, m[2]) })
	case match(regManifestPath):
		s.regRepo(w, r, m[1], func(repo string) { s.regManifest(w, r, repo, m[2]) })
	case match(regTagsPath):
		s.regRepo(w, r, m[1], func(repo string) { s.regTags(w, r, repo) })
	case match(regReferrersPath):
		s.regRepo(w, r, m[1], func(repo string) { s.regReferrers(w, r, repo, m[2]) })
	default:
		regWriteError(w, http.StatusNotFound, "NAME_UNKNOWN", "no registry endpoint at "+p, nil)
	}
}

// regRepo checks the repository name of a request before its handler runs.
func (s *Server) regRepo(w http.ResponseWriter, r *http.Request, repo string, next func(repo string)) {
	if err := db.ValidHubRepo(repo); err != nil {
		s.regFail(w, r, err)
		return
	}
	next(repo)
}

// regAllow answers 405 unless r's method is one of methods.
func regAllow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	allow := strings.Join(methods, ", ")
	w.Header().Set("Allow", allow)
	regWriteError(w, http.StatusMethodNotAllowed, db.HubUnsupported, r.Method+" is not supported here (allowed: "+allow+")", nil)
	return false
}

// regAuthorize asks hubAuthorize and answers the refusal; it reports whether to go on.
func (s *Server) regAuthorize(w http.ResponseWriter, r *http.Request, repo string, action hubAction) bool {
	if e := s.hubAuthorize(r, repo, action); e != nil {
		if e.Status == http.StatusUnauthorized {
			actions := map[hubAction]string{hubPull: "pull", hubPush: "pull,push", hubDelete: "delete"}[action]
			s.regChallenge(w, r, "repository:"+repo+":"+actions)
		}
		s.regFail(w, r, e)
		return false
	}
	return true
}

// regBase is GET /v2/, the version check. A request without credentials gets 401 and
// the Bearer challenge (see registry_token.go: that is how a Docker daemon learns to
// fetch tokens); one with the anonymous token, or right credentials, 200 {}; wrong
// credentials 401 (so docker login fails).
func (s *Server) regBase(w http.ResponseWriter, r *http.Request) {
	if !regAllow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	if r.Header.Get("Authorization") == "" && r.Context().Value(keyRegAnonymous) == nil {
		s.regChallenge(w, r, "")
		regWriteError(w, http.StatusUnauthorized, "UNAUTHORIZED",
			"authentication required: pulls need only the anonymous token the realm hands out; pushes log in with your namespace and its token", nil)
		return
	}
	if r.Header.Get("Authorization") != "" {
		user, pass, ok := r.BasicAuth()
		valid := false
		if ok {
			var err error
			if valid, err = s.store.CheckHubToken(r.Context(), user, pass); err != nil {
				s.regFail(w, r, err)
				return
			}
		}
		if !valid {
			s.regFail(w, r, &hubAuthError{http.StatusUnauthorized, "UNAUTHORIZED",
				"the user name or token is wrong: log in with your namespace and the token `layerlab hub token` prints"})
			return
		}
	}
	regJSON(w, http.StatusOK, "application/json", struct{}{})
}

// regCatalog lists the hub's repositories (pulls are open, so all of them).
func (s *Server) regCatalog(w http.ResponseWriter, r *http.Request) {
	if !regAllow(w, r, http.MethodGet) {
		return
	}
	n, last, err := regPage(r)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	repos, more, err := s.store.HubRepositories(r.Context(), last, n)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	if more && len(repos) > 0 {
		regLink(w, "/v2/_catalog", url.Values{"last": {repos[len(repos)-1]}, "n": {strconv.Itoa(n)}})
	}
	regJSON(w, http.StatusOK, "application/json", map[string][]string{"repositories": repos})
}

// regTags lists a repository's tags, n at a time after last.
func (s *Server) regTags(w http.ResponseWriter, r *http.Request, repo string) {
	if !regAllow(w, r, http.MethodGet) || !s.regAuthorize(w, r, repo, hubPull) {
		return
	}
	n, last, err := regPage(r)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	tags, more, err := s.store.HubTags(r.Context(), repo, last, n)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	if more && len(tags) > 0 {
		regLink(w, "/v2/"+repo+"/tags/list", url.Values{"last": {tags[len(tags)-1]}, "n": {strconv.Itoa(n)}})
	}
	regJSON(w, http.StatusOK, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{repo, tags})
}

// regReferrers lists the manifests of a repository whose subject is the digest, as an
// OCI index; ?artifactType= filters them.
func (s *Server) regReferrers(w http.ResponseWriter, r *http.Request, repo, ref string) {
	if !regAllow(w, r, http.MethodGet) || !s.regAuthorize(w, r, repo, hubPull) {
		return
	}
	d, err := db.ParseHubDigest(ref)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	q := r.URL.Query()
	at := q.Get("artifactType")
	list, more, err := s.store.HubReferrers(r.Context(), repo, d, at, q.Get("last"), regPageDefault)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	if at != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	if more && len(list) > 0 {
		v := url.Values{"last": {list[len(list)-1].Digest.String()}}
		if at != "" {
			v.Set("artifactType", at)
		}
		regLink(w, "/v2/"+repo+"/referrers/"+d.String(), v)
	}
	regJSON(w, http.StatusOK, db.MediaTypeOCIIndex, struct {
		SchemaVersion int                `json:"schemaVersion"`
		MediaType     string             `json:"mediaType"`
		Manifests     []db.HubDescriptor `json:"manifests"`
	}{2, db.MediaTypeOCIIndex, list})
}

// regPage reads the n and last parameters of a listing.
func regPage(r *http.Request) (n int, last string, err error) {
	q := r.URL.Query()
	n = regPageDefault
	if v := q.Get("n"); v != "" {
		n, err = strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, "", &db.HubError{Code: db.HubUnsupported, Message: "n must be a whole number of entries, 0 or more"}
		}
		n = min(n, regPageMax)
	}
	return n, q.Get("last"), nil
}

// regLink sets the Link header that points at the next page of a listing.
func regLink(w http.ResponseWriter, path string, v url.Values) {
	w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, path, v.Encode()))
}

// regJSON writes v as JSON with the given content type.
func regJSON(w http.ResponseWriter, code int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		regWriteError(w, http.StatusInternalServerError, "UNKNOWN", "internal error", nil)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

// regFail answers a registry request with the spec's error body. A *db.HubError
// carries its code; a refusal from hubAuthorize its status (401 gets the challenge).
// Anything else is a 500, logged once here.
func (s *Server) regFail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *hubAuthError
	var he *db.HubError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		if ae.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
			s.regChallenge(w, r, "")
		}
		regWriteError(w, ae.Status, ae.Code, ae.Message, nil)
	case errors.As(err, &he):
		regWriteError(w, regStatus(he), he.Code, he.Message, he.Detail)
	case errors.As(err, &mbe):
		regWriteError(w, http.StatusRequestEntityTooLarge, db.HubSizeInvalid, "request too large: the limit is "+humanBytes(mbe.Limit), nil)
	case r.Context().Err() != nil && errors.Is(err, r.Context().Err()):
		// The client went away; nobody reads an answer.
	case errors.Is(err, io.ErrUnexpectedEOF):
		regWriteError(w, http.StatusBadRequest, db.HubBlobUploadInvalid, "the request body ended before its Content-Length: nothing of it was kept", nil)
	default:
		s.log.Error("registry request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		regWriteError(w, http.StatusInternalServerError, "UNKNOWN", "internal error: the server log has the details", nil)
	}
}

// regStatus is the HTTP status of a refused hub operation, as the spec pairs them.
func regStatus(he *db.HubError) int {
	switch {
	case errors.Is(he, db.ErrHubRange):
		return http.StatusRequestedRangeNotSatisfiable
	case errors.Is(he, db.ErrHubTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(he, db.ErrNotFound):
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// regWriteError writes {"errors":[{"code","message","detail"}]}.
func regWriteError(w http.ResponseWriter, status int, code, msg string, detail any) {
	type entry struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Detail  any    `json:"detail,omitempty"`
	}
	regJSON(w, status, "application/json; charset=utf-8", map[string][]entry{"errors": {{code, msg, detail}}})
}

// regBody is r's body, with the server's read deadline pushed back by regIdle at every
// read, so a large blob may take as long as it needs while it keeps arriving.
func regBody(w http.ResponseWriter, r *http.Request) io.Reader {
	rc := http.NewResponseController(w)
	return &idleReader{r: r.Body, extend: func() { rc.SetReadDeadline(time.Now().Add(regIdle)) }}
}

type idleReader struct {
	r      io.Reader
	extend func()
	last   time.Time
}

func (i *idleReader) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(i.last) > time.Second {
		i.last = now
		i.extend()
	}
	return i.r.Read(p)
}

// regDigestHeaders sets the headers that name content by digest.
func regDigestHeaders(w http.ResponseWriter, d digest.Digest) {
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("ETag", `"`+d.String()+`"`)
}
