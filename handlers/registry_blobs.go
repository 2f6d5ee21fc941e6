package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
)

// regBlob serves /v2/<name>/blobs/<digest>: GET and HEAD (with ranges), DELETE.
func (s *Server) regBlob(w http.ResponseWriter, r *http.Request, repo, ref string) {
	if !regAllow(w, r, http.MethodGet, http.MethodHead, http.MethodDelete) {
		return
	}
	action := hubPull
	if r.Method == http.MethodDelete {
		action = hubDelete
	}
	if !s.regAuthorize(w, r, repo, action) {
		return
	}
	d, err := db.ParseHubDigest(ref)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	if r.Method == http.MethodDelete {
		if err := s.store.HubDeleteBlob(r.Context(), repo, d); err != nil {
			s.regFail(w, r, err)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	f, _, err := s.store.HubOpenBlob(r.Context(), repo, d)
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	defer f.Close()
	regDigestHeaders(w, d)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "max-age=31536000, immutable") // content-addressed
	// ServeContent answers HEAD, Range (206, or 416 past the end) and If-None-Match.
	http.ServeContent(w, r, "", time.Time{}, f)
}

// regUpload serves /v2/<name>/blobs/uploads/ (POST) and /v2/<name>/blobs/uploads/<id>
// (GET, PATCH, PUT, DELETE).
func (s *Server) regUpload(w http.ResponseWriter, r *http.Request, repo, id string) {
	if id == "" {
		if regAllow(w, r, http.MethodPost) && s.regAuthorize(w, r, repo, hubPush) {
			s.regStartUpload(w, r, repo)
		}
		return
	}
	if !regAllow(w, r, http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete) ||
		!s.regAuthorize(w, r, repo, hubPush) {
		return
	}
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet:
		u, err := s.store.HubUpload(ctx, repo, id)
		if err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		regUploadHeaders(w, u)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		c, err := regChunk(w, r)
		if err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		u, err := s.store.HubAppendUpload(ctx, repo, id, c)
		if u.ID != "" {
			regUploadHeaders(w, u) // on a 416 too: where the upload stands
		}
		if err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	case http.MethodPut:
		d, err := regDigestParam(r)
		if err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		var last *db.HubChunk
		if r.ContentLength != 0 || r.Header.Get("Content-Range") != "" {
			c, err := regChunk(w, r)
			if err != nil {
				s.regFailUpload(w, r, err)
				return
			}
			last = &c
		}
		b, err := s.store.HubFinishUpload(ctx, repo, id, d, last)
		if err != nil {
			if errors.Is(err, db.ErrHubRange) {
				if u, uerr := s.store.HubUpload(ctx, repo, id); uerr == nil {
					regUploadHeaders(w, u)
				}
			}
			s.regFailUpload(w, r, err)
			return
		}
		regBlobCreated(w, repo, b)
	case http.MethodDelete:
		if err := s.store.HubCancelUpload(ctx, repo, id); err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
	}
}

// regStartUpload is POST /v2/<name>/blobs/uploads/: a cross-repository mount
// (?mount=&from=), a monolithic upload (?digest= with the body), or a new session.
func (s *Server) regStartUpload(w http.ResponseWriter, r *http.Request, repo string) {
	ctx := r.Context()
	q := r.URL.Query()
	if mount := q.Get("mount"); mount != "" {
		d, err := db.ParseHubDigest(mount)
		if err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		from := q.Get("from")
		if from != "" {
			if err := db.ValidHubRepo(from); err != nil {
				s.regFailUpload(w, r, err)
				return
			}
			if !s.regAuthorize(w, r, from, hubPull) {
				return
			}
		}
		b, ok, err := s.store.HubMountBlob(ctx, repo, from, d)
		if err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		if ok {
			regBlobCreated(w, repo, b)
			return
		}
		// Not there to mount: the client uploads it into the session started below.
	}
	if q.Has("digest") {
		d, err := regDigestParam(r)
		if err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		if r.ContentLength >= 0 { // refused before a byte is read
			if err := s.store.HubCheckWrite(ctx, repo, r.ContentLength); err != nil {
				s.regFailUpload(w, r, err)
				return
			}
		}
		b, err := s.store.HubPutBlob(ctx, repo, d, regBody(w, r))
		if err != nil {
			s.regFailUpload(w, r, err)
			return
		}
		regBlobCreated(w, repo, b)
		return
	}
	u, err := s.store.HubStartUpload(ctx, repo)
	if err != nil {
		s.regFailUpload(w, r, err)
		return
	}
	regUploadHeaders(w, u)
	w.WriteHeader(http.StatusAccepted)
}

// regDigestParam is the ?digest= a request must carry.
func regDigestParam(r *http.Request) (digest.Digest, error) {
	v := r.URL.Query().Get("digest")
	if v == "" {
		return "", &db.HubError{Code: db.HubDigestInvalid, Message: "the request needs ?digest=<algorithm>:<hex>, the digest of the whole blob"}
	}
	return db.ParseHubDigest(v)
}

// regChunk reads a PATCH or PUT's Content-Range ("start-end", inclusive; "bytes "
// or "bytes=" prefixes and a "/total" suffix are accepted) against its Content-Length.
func regChunk(w http.ResponseWriter, r *http.Request) (db.HubChunk, error) {
	c := db.HubChunk{Start: -1, Length: -1, R: regBody(w, r)}
	cr := strings.TrimSpace(r.Header.Get("Content-Range"))
	if cr == "" {
		if r.ContentLength > 0 {
			c.Length = r.ContentLength // so the bounds refuse it before a byte is read
		}
		return c, nil
	}
	spec := strings.TrimPrefix(strings.TrimPrefix(cr, "bytes"), "=")
	spec, _, _ = strings.Cut(strings.TrimSpace(spec), "/")
	a, b, ok := strings.Cut(spec, "-")
	start, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	end, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if !ok || err1 != nil || err2 != nil || start < 0 {
		return c, &db.HubError{Code: db.HubBlobUploadInvalid, Message: "Content-Range " + strconv.Quote(cr) + " is not <start>-<end>"}
	}
	if end < start {
		return c, &db.HubError{Code: db.HubBlobUploadInvalid, Message: "Content-Range " + strconv.Quote(cr) + " ends before it starts", Err: db.ErrHubRange}
	}
	c.Start, c.Length = start, end-start+1
	if r.ContentLength >= 0 && r.ContentLength != c.Length {
		return c, &db.HubError{Code: db.HubSizeInvalid, Message: "Content-Length " + strconv.FormatInt(r.ContentLength, 10) +
			" does not match Content-Range " + strconv.Quote(cr)}
	}
	return c, nil
}

// regUploadHeaders describes an upload session: where to send the next request and
// the bytes received so far ("0-<last byte>"; "0-0" when empty, as Docker's registry
// answers).
func regUploadHeaders(w http.ResponseWriter, u db.HubUpload) {
	end := u.Size - 1
	if end < 0 {
		end = 0
	}
	h := w.Header()
	h.Set("Location", "/v2/"+u.Repo+"/blobs/uploads/"+u.ID)
	h.Set("Range", "0-"+strconv.FormatInt(end, 10))
	h.Set("Docker-Upload-UUID", u.ID)
	h.Set("Content-Length", "0")
}

// regBlobCreated answers a finished upload or a mount: 201 and where the blob is.
func regBlobCreated(w http.ResponseWriter, repo string, b db.HubBlob) {
	h := w.Header()
	h.Set("Location", "/v2/"+repo+"/blobs/"+b.Digest.String())
	h.Set("Docker-Content-Digest", b.Digest.String())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// regFailUpload is regFail for the upload routes, with the answers of the hub's bounds
// the spec has codes for: too many open sessions in a namespace is 429
// TOOMANYREQUESTS (with Retry-After), a write past the namespace's workspace's storage
// quota 403 DENIED; each message names the limit.
func (s *Server) regFailUpload(w http.ResponseWriter, r *http.Request, err error) {
	var he *db.HubError
	switch {
	case errors.Is(err, db.ErrHubTooMany) && errors.As(err, &he):
		w.Header().Set("Retry-After", strconv.Itoa(int(db.HubUploadTTL/time.Second)))
		regWriteError(w, http.StatusTooManyRequests, he.Code, he.Message, he.Detail)
	case errors.Is(err, db.ErrQuota):
		detail := any(nil)
		if errors.As(err, &he) {
			detail = he.Detail
		}
		msg := err.Error()
		if he != nil {
			msg = he.Message
		}
		regWriteError(w, http.StatusForbidden, db.HubDenied, msg, detail)
	default:
		s.regFail(w, r, err)
	}
}
