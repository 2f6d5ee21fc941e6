package handlers

// Registry authentication as Docker's daemon needs it.
//
// A Docker daemon (20.10, and the classic image store since) decides how to
// authenticate once, from its ping of GET /v2/: a 200 means "anonymous", after which it
// never sends credentials (so docker push fails, and docker login accepts any password);
// a Basic challenge means "basic", after which it refuses to pull without credentials
// ("no basic auth credentials"). Only a Bearer challenge gives both anonymous pulls and
// authenticated pushes, as Docker Hub does. So the hub challenges with Bearer, and
// GET /v2/token is its token service:
//
//   - with basic credentials (a namespace and its token) it checks them (401 when they
//     are wrong: that is what makes docker login fail) and returns a bearer token that
//     carries them; every request with that token is checked by hubAuthorize exactly
//     as a basic-auth request is (the token is the credential, not a grant);
//   - without credentials it returns the anonymous token, which pulls (open to all).
//
// Clients that send basic auth directly (curl -u, layerlab's own CLI) never see any of
// this. serveRegistry turns a bearer token back into what it carries before any
// handler runs.

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"time"

	"layerlab/db"
)

const (
	// regWrongToken is the token service's refusal of a namespace and token, which a
	// Docker daemon shows for a failed login or push ("unauthorized: " before it).
	regWrongToken     = "the user name or token is wrong: log in with your namespace and the token `layerlab hub token` prints"
	regService        = "layerlab hub"
	regAnonymousToken = "anonymous"
	regTokenPrefix    = "llhub1." // then base64url(namespace ":" token)
	regTokenLifetime  = time.Hour
)

type regCtxKey int

const keyRegAnonymous regCtxKey = 0

// regUnbearer rewrites a request's bearer token into what it stands for: basic
// credentials, or none (the anonymous token, remembered in the context). It reports
// false, having answered 401, for a token the hub never issued.
func (s *Server) regUnbearer(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return r, true
	}
	token = strings.TrimSpace(token)
	if token == regAnonymousToken {
		r = r.WithContext(context.WithValue(r.Context(), keyRegAnonymous, true))
		r.Header.Del("Authorization")
		return r, true
	}
	if raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, regTokenPrefix)); err == nil &&
		strings.HasPrefix(token, regTokenPrefix) && strings.Contains(string(raw), ":") {
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(raw))
		return r, true
	}
	s.regChallenge(w, r, "")
	regWriteError(w, http.StatusUnauthorized, "UNAUTHORIZED", "the bearer token was not issued by this hub: log in again", nil)
	return r, false
}

// regChallenge sets the Bearer challenge that points clients at the token service;
// scope ("repository:<name>:pull,push") names what the request needed. The realm is
// the server's public URL (--public-url) or else the address the client connected to
// (the listener's): never the request's Host or X-Forwarded-* headers, which any client
// can write, so a crafted request cannot make a client send its credentials elsewhere.
func (s *Server) regChallenge(w http.ResponseWriter, r *http.Request, scope string) {
	c := `Bearer realm="` + s.regBaseURL(r) + `/v2/token",service="` + regService + `"`
	if scope != "" {
		c += `,scope="` + scope + `"`
	}
	w.Header().Set("WWW-Authenticate", c)
}

// regBaseURL is the hub's URL as a client reaches it, without a trailing slash:
// s.publicURL when set, else the scheme and local address of the request's connection
// (http.Server puts it in the context). A handler called outside a server (no
// connection) answers with localhost.
func (s *Server) regBaseURL(r *http.Request) string {
	if s.publicURL != "" {
		return strings.TrimRight(s.publicURL, "/")
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	host := "localhost"
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a != nil {
		host = a.String()
	}
	return proto + "://" + host
}

// regToken is the token service, GET /v2/token (and POST, the OAuth2 password grant
// some clients use).
func (s *Server) regToken(w http.ResponseWriter, r *http.Request) {
	if !regAllow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	user, pass, ok := r.BasicAuth()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			regWriteError(w, http.StatusBadRequest, db.HubUnsupported, "the token request's form cannot be read", nil)
			return
		}
		if r.PostForm.Get("grant_type") == "password" {
			user, pass, ok = r.PostForm.Get("username"), r.PostForm.Get("password"), true
		}
	}
	token := regAnonymousToken
	if ok {
		valid, err := s.store.CheckHubToken(r.Context(), user, pass)
		if err != nil {
			s.regFail(w, r, err)
			return
		}
		if !valid {
			regWriteError(w, http.StatusUnauthorized, "UNAUTHORIZED", regWrongToken, nil)
			return
		}
		token = regTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(user+":"+pass))
	}
	regJSON(w, http.StatusOK, "application/json", map[string]any{
		"token":        token,
		"access_token": token,
		"expires_in":   int(regTokenLifetime.Seconds()),
		"issued_at":    s.now().UTC().Format(time.RFC3339),
	})
}
