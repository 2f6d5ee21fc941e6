package handlers

import (
	"errors"
	"io"
	"layerlab/remote"
	"net/http"
	"strconv"
	"strings"

	"layerlab/db"
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
	// library/ is the official stand-ins, made on first use.
	if _, err := remote.EnsureLibrary(r.Context(), s.store, repo, ref); err != nil {
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
