package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"layerlab/db"
	"layerlab/engine/baseimage"
	"layerlab/engine/build"
	"layerlab/engine/image"
	"layerlab/remote"
)

// regManifest serves /v2/<name>/manifests/<reference>: GET and HEAD, PUT, DELETE.
func (s *Server) regManifest(w http.ResponseWriter, r *http.Request, repo, ref string) {
	if !regAllow(w, r, http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete) {
		return
	}
	action := map[string]hubAction{http.MethodPut: hubPush, http.MethodDelete: hubDelete}[r.Method]
	if action == "" {
		action = hubPull
	}
	if !s.regAuthorize(w, r, repo, action) {
		return
	}
	switch r.Method {
	case http.MethodPut:
		s.regPutManifest(w, r, repo, ref)
	case http.MethodDelete:
		s.regDeleteManifest(w, r, repo, ref)
	default:
		s.regGetManifest(w, r, repo, ref)
	}
}

// regGetManifest sends a manifest's bytes as they were pushed, with the media type they
// were pushed as (whatever the Accept header: the hub converts nothing).
func (s *Server) regGetManifest(w http.ResponseWriter, r *http.Request, repo, ref string) {
	// library/ is the official stand-ins, made on first use, within their budget.
	if err := s.ensureLibrary(r, repo, ref); err != nil {
		var he *db.HubError
		if errors.As(err, &he) && he.Code == db.HubTooManyRequests {
			if le := (*limitError)(nil); errors.As(err, &le) {
				w.Header().Set("Retry-After", strconv.Itoa(int(le.retry.Seconds()+0.999)))
			}
			regWriteError(w, http.StatusTooManyRequests, he.Code, he.Message, he.Detail)
			return
		}
		s.regFail(w, r, err)
		return
	}
	f, m, err := s.store.HubOpenManifest(r.Context(), repo, ref)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	defer f.Close()
	regDigestHeaders(w, m.Digest)
	w.Header().Set("Content-Type", m.MediaType)
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	io.Copy(w, f)
}

// regPutManifest stores a manifest (at most 4 MiB) under a tag or its digest, plus any
// ?tag= parameters (answered with OCI-Tag), and names its subject in OCI-Subject.
func (s *Server) regPutManifest(w http.ResponseWriter, r *http.Request, repo, ref string) {
	tooLarge := &db.HubError{Code: db.HubManifestInvalid, Err: db.ErrHubTooLarge,
		Message: "the manifest is over the hub's limit of 4 MiB"}
	if r.ContentLength > db.HubMaxManifestSize {
		s.regFail(w, r, tooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, db.HubMaxManifestSize))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.regFail(w, r, tooLarge)
		return
	}
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	tags := r.URL.Query()["tag"]
	m, err := s.store.HubPutManifest(r.Context(), repo, ref, r.Header.Get("Content-Type"), body, tags)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Location", "/v2/"+repo+"/manifests/"+m.Digest.String())
	h.Set("Docker-Content-Digest", m.Digest.String())
	if m.Subject != "" {
		h.Set("OCI-Subject", m.Subject.String())
	}
	for _, t := range tags {
		h.Add("OCI-Tag", t)
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// regDeleteManifest deletes a tag (the manifest stays) or, by digest, a manifest and
// every tag pointing at it.
func (s *Server) regDeleteManifest(w http.ResponseWriter, r *http.Request, repo, ref string) {
	var err error
	if strings.Contains(ref, ":") {
		d, perr := db.ParseHubDigest(ref)
		if perr != nil {
			s.regFail(w, r, perr)
			return
		}
		err = s.store.HubDeleteManifest(r.Context(), repo, d)
	} else {
		if err := db.ValidHubTag(ref); err != nil {
			s.regFail(w, r, err)
			return
		}
		err = s.store.HubDeleteTag(r.Context(), repo, ref)
	}
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

// Bounds of the hub's library/, whose stand-ins are made on demand by anyone,
// anonymous clients included: making one takes seconds of CPU and writes its gzipped
// layers (up to hundreds of MB).
const (
	// libraryMakesPerMinute is how many stand-ins one client address may have made
	// per minute; those made already are served without limit.
	libraryMakesPerMinute = 4
	// libraryRecentUse protects a tag pulled this recently from eviction: a client
	// fetches the manifest, then its blobs.
	libraryRecentUse = 10 * time.Minute
)

// libraryState is what the server knows of library/'s use.
type libraryState struct {
	make  sync.Mutex // one stand-in made, and the budget kept, at a time
	mu    sync.Mutex
	used  map[string]time.Time // "repo:tag" -> its last GET or HEAD in this process
	makes *rateLimiter
}

func (l *libraryState) touch(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used == nil || len(l.used) > 10_000 {
		l.used = map[string]time.Time{}
	}
	l.used[key] = now
}

func (l *libraryState) lastUse(t db.HubLibraryTag) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if u, ok := l.used[t.Repo+":"+t.Tag]; ok && u.After(t.Updated) {
		return u
	}
	return t.Updated
}

// ensureLibrary makes library/NAME:TAG when it is a stand-in not made yet (or
// evicted), within the bounds: at most libraryMakesPerMinute per client address, and
// the bytes of library/ at most limits.LibraryBytes: before a new one is made the least
// recently pulled are evicted until library/ is under the budget (refused when only
// tags pulled in the last libraryRecentUse are left), and after it, until it is within
// it again. A tag made already is only marked used.
func (s *Server) ensureLibrary(r *http.Request, repo, tag string) error {
	ctx := r.Context()
	name, ok := strings.CutPrefix(repo, "library/")
	if !ok || strings.Contains(name, "/") || strings.Contains(tag, ":") {
		return nil
	}
	key := repo + ":" + tag
	if _, err := s.store.HubManifest(ctx, repo, tag); err == nil {
		s.library.touch(key, s.now())
		return nil
	}
	ref, err := image.ParseRef(name + ":" + tag)
	if err != nil {
		return nil
	}
	if _, err := baseimage.Lookup(ref.String()); err != nil {
		return nil // not a stand-in: the manifest lookup answers MANIFEST_UNKNOWN
	}
	if err := s.libraryLimiter().take(clientAddr(r)); err != nil {
		return &db.HubError{Code: db.HubTooManyRequests, Message: err.Error(), Err: err,
			Detail: map[string]int{"per_minute": libraryMakesPerMinute}}
	}
	s.library.make.Lock()
	defer s.library.make.Unlock()
	if _, err := s.store.HubManifest(ctx, repo, tag); err == nil { // made meanwhile
		s.library.touch(key, s.now())
		return nil
	}
	budget := s.limits.LibraryBytes
	used, err := s.evictLibrary(ctx, budget-1, key)
	if err != nil {
		return err
	}
	if used >= budget {
		return &db.HubError{Code: db.HubTooManyRequests, Message: fmt.Sprintf(
			"the hub's stand-in images take %s of their %s budget (--library-bytes) and every one was pulled in the last %d minutes: try again in a few minutes",
			build.HumanSize(used), build.HumanSize(budget), int(libraryRecentUse.Minutes()))}
	}
	made, err := remote.EnsureLibrary(ctx, s.store, repo, tag)
	if err != nil {
		return err
	}
	if made {
		s.library.touch(key, s.now())
		if _, err := s.evictLibrary(context.WithoutCancel(ctx), budget, key); err != nil {
			return err
		}
	}
	return nil
}

// evictLibrary evicts library/'s least recently used tags, but keep and those used in
// the last libraryRecentUse, until its bytes are at most target; it returns them.
func (s *Server) evictLibrary(ctx context.Context, target int64, keep string) (int64, error) {
	used, err := s.store.HubLibraryBytes(ctx)
	if err != nil || used <= target {
		return used, err
	}
	tags, err := s.store.HubLibraryTags(ctx)
	if err != nil {
		return used, err
	}
	slices.SortStableFunc(tags, func(a, b db.HubLibraryTag) int { return s.library.lastUse(a).Compare(s.library.lastUse(b)) })
	now := s.now()
	for _, t := range tags {
		if used <= target {
			break
		}
		if t.Repo+":"+t.Tag == keep || now.Sub(s.library.lastUse(t)) < libraryRecentUse {
			continue
		}
		if _, err := s.store.HubEvictLibrary(ctx, t.Repo, t.Tag); err != nil {
			return used, err
		}
		s.log.Info("hub: evicted a stand-in past the library budget", "image", t.Repo+":"+t.Tag, "budget", s.limits.LibraryBytes)
		if used, err = s.store.HubLibraryBytes(ctx); err != nil {
			return used, err
		}
	}
	return used, nil
}

// libraryLimiter is the limiter of stand-ins made per client address.
func (s *Server) libraryLimiter() *rateLimiter {
	s.library.mu.Lock()
	defer s.library.mu.Unlock()
	if s.library.makes == nil {
		s.library.makes = newRateLimiter(libraryMakesPerMinute, s.now, func(client string) string {
			return fmt.Sprintf("the hub makes at most %d stand-in images a minute for one client address (%s), and this one had that many made; those made already are served at once",
				libraryMakesPerMinute, client)
		})
	}
	return s.library.makes
}
