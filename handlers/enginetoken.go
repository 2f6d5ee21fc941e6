package handlers

// The page's side of the Docker Engine API (engineapi.go): the playground's panel "Use
// your own docker CLI" shows the lines that point a docker CLI at this browser's
// workspace, and its "New token" button replaces the token. `layerlab context`
// (cmd/layerlab) prints the same lines, made by EngineCLILines, for the command line's
// workspace.

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"layerlab/web"
)

// EngineContextName is the docker context the lines create and use.
const EngineContextName = "layerlab"

// EngineLines are the docker CLI lines that point at one workspace's Engine API.
type EngineLines struct {
	Host   string // tcp://HOST:PORT/ws/<token>: DOCKER_HOST's value
	Create string // docker context create layerlab --docker host=...
	Build  string // docker --context layerlab build -t my_image:latest .
	Export string // export DOCKER_HOST=... (this shell only, no context)
	Update string // docker context update layerlab --docker host=...: after a new token
	Token  string // the token in them
	// TLS: the server's public URL is https. The docker CLI speaks plain HTTP to a
	// tcp:// host unless it is given TLS options, which the lines do not carry.
	TLS bool
}

// EngineCLILines are the lines for token at hostport (HOST:PORT, as the docker CLI
// reaches the server; tls when that address is HTTPS).
func EngineCLILines(hostport, token string, tls bool) EngineLines {
	host := "tcp://" + hostport + "/ws/" + token
	return EngineLines{
		Host:   host,
		Create: "docker context create " + EngineContextName + " --docker host=" + host,
		Build:  "docker --context " + EngineContextName + " build -t my_image:latest .",
		Export: "export DOCKER_HOST=" + host,
		Update: "docker context update " + EngineContextName + " --docker host=" + host,
		Token:  token,
		TLS:    tls,
	}
}

// EngineHostPort is HOST:PORT of a server at publicURL (http or https; "" when unset)
// or, without one, at host (a request's Host, or a listener's address). The port is
// always written: the docker CLI takes a tcp:// host without one to mean Docker's own
// port, 2375. tls reports an https public URL.
func EngineHostPort(publicURL, host string, hostTLS bool) (hostport string, tls bool) {
	if publicURL != "" {
		if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
			host, hostTLS = u.Host, u.Scheme == "https"
		}
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		port := "80"
		if hostTLS {
			port = "443"
		}
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	return host, hostTLS
}

// engineTokenRoutes are the panel's actions. POST /api/engine-token[/rotate] answer
// JSON (static/engineapi.js); /engine-token[/rotate] are the forms' fallback without
// JavaScript, which redirect back to the page's panel.
func (s *Server) engineTokenRoutes(r chi.Router) {
	r.Post("/api/engine-token", s.showEngineToken)
	r.Post("/api/engine-token/rotate", s.rotateEngineToken)
	r.Post("/engine-token", s.showEngineToken)
	r.Post("/engine-token/rotate", s.rotateEngineToken)
}

// engineLinesFor are the lines for the request's workspace and token, at the address
// the browser reached (or Deps.PublicURL).
func (s *Server) engineLinesFor(r *http.Request, token string) EngineLines {
	hp, tls := EngineHostPort(s.publicURL, r.Host, r.TLS != nil)
	return EngineCLILines(hp, token, tls)
}

// engineAPIView is the playground's panel for the request's workspace. The token is
// made here, at the first page view of a stored workspace (one row, once); a workspace
// not stored yet (a first visit, a crawler) gets a button that stores it and makes the
// token (showEngineToken), so a GET stores nothing.
func (s *Server) engineAPIView(r *http.Request) web.EngineAPIView {
	v := web.EngineAPIView{Off: s.noEngineAPI, Open: r.URL.Query().Get("engine") == "1"}
	if v.Off || !sessionStored(r) {
		return v
	}
	tok, err := workspace(r).EngineToken(r.Context())
	if err != nil {
		// The page still works without its panel's lines: say so there, log once here.
		s.log.Error("engine token for the page", "err", err)
		v.Error = "The token could not be read (the server log has the details): reload the page to try again."
		return v
	}
	v.Lines = webLines(s.engineLinesFor(r, tok))
	return v
}

func webLines(l EngineLines) *web.EngineLines {
	return &web.EngineLines{Host: l.Host, Create: l.Create, Build: l.Build, Export: l.Export, Update: l.Update, TLS: l.TLS, Token: l.Token}
}

// engineTokenJSON is the panel's actions' answer.
type engineTokenJSON struct {
	Host    string `json:"host"`
	Create  string `json:"create"`
	Build   string `json:"build"`
	Export  string `json:"export"`
	Update  string `json:"update"`
	Token   string `json:"token"`
	TLS     bool   `json:"tls"`
	Rotated bool   `json:"rotated"`
}

// showEngineToken makes the workspace's token if it has none (a workspace stored by
// this POST, whose page showed the button) and answers its lines.
func (s *Server) showEngineToken(w http.ResponseWriter, r *http.Request) {
	s.answerEngineToken(w, r, false)
}

// rotateEngineToken replaces the workspace's token: the old one answers 404 from now
// on (engineAuth looks the token up at every request).
func (s *Server) rotateEngineToken(w http.ResponseWriter, r *http.Request) {
	s.answerEngineToken(w, r, true)
}

func (s *Server) answerEngineToken(w http.ResponseWriter, r *http.Request, rotate bool) {
	if s.noEngineAPI {
		s.fail(w, r, errNotFound("the Docker Engine API is turned off on this layerlab server (layerlab serve --engine-api=false): there is no token to show"))
		return
	}
	ws := workspace(r)
	var tok string
	var err error
	if rotate {
		tok, err = ws.RotateEngineToken(r.Context())
	} else {
		tok, err = ws.EngineToken(r.Context())
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := s.engineLinesFor(r, tok)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, engineTokenJSON{Host: l.Host, Create: l.Create, Build: l.Build,
			Export: l.Export, Update: l.Update, Token: l.Token, TLS: l.TLS, Rotated: rotate})
		return
	}
	if rotate {
		s.setNotice(w, r, &web.Notice{OK: true, Text: "A new Engine API token: the old one stops working now. " +
			"Update your docker context with the line in the panel \"Use your own docker CLI\"."})
	}
	http.Redirect(w, r, "/?engine=1#engine-api", http.StatusSeeOther)
}
