package handlers

// Pull, push, login, save and load through the Docker Engine API (issue 14).
//
// Pulls and pushes are the page's transfers (transfers.go): the same slots, the same
// bound per workspace, the same quota check before they start; the handler streams a
// transfer's messages in the daemon's JSON stream shape and cancels it when the client
// goes away, as the daemon does. The registry is the built-in hub: a name with this
// server's address (docker pull HOST:PORT/ns/app:1) is the hub's repository ns/app,
// read and written as the hub's registry API would (pushes need the namespace's token
// in X-Registry-Auth, checked by hubAuthorize); a docker.io name (busybox,
// docker.io/library/alpine) is what the page's pull and push of that name do. Any other
// registry is not asked: the server must not fetch from or send to an address a
// client chooses, and the error says so.
//
// Save streams the archive `layerlab save` writes (engine/archive, Docker 20.10's
// legacy layout); load reads the request's body, and nothing else, with the command
// line's archive limits, under the workspace's quota.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/archive"
	"layerlab/engine/build"
	"layerlab/engine/commands"
	"layerlab/engine/image"
	"layerlab/remote"
)

// maxAuthBody bounds POST /auth's JSON body.
const maxAuthBody = 64 << 10

// ---- the daemon's JSON stream ----

// engineJSONMessage is one object of the daemon's progress stream (moby's JSONMessage),
// with its keys in the daemon's order.
type engineJSONMessage struct {
	Status   string        `json:"status"`
	Detail   *engineDetail `json:"progressDetail,omitempty"`
	Progress string        `json:"progress,omitempty"`
	ID       string        `json:"id,omitempty"`
}

// engineDetail is a progressDetail: {} for a layer's status line, the bytes for a bar.
// The CLI without a terminal prints a message whose detail has bytes not at all, and
// one with an empty detail as "ID: status".
type engineDetail struct {
	Current int64 `json:"current,omitempty"`
	Total   int64 `json:"total,omitempty"`
}

// engineStreamError is the stream's last object when the operation failed; the CLI
// prints the message and exits 1.
type engineStreamError struct {
	Detail struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Error string `json:"error"`
}

// enginePushAux is the push's last object: what `docker push` needs for its digest.
type enginePushAux struct {
	Detail engineDetail `json:"progressDetail"`
	Aux    struct {
		Tag    string
		Digest string
		Size   int
	} `json:"aux"`
}

// engineStreamLine is the {"stream": text} object of load's answer.
type engineStreamLine struct {
	Stream string `json:"stream"`
}

// engineStream writes a 200 application/json stream, one object a line, each flushed
// so the CLI shows it as it happens.
type engineStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newEngineStream(w http.ResponseWriter) *engineStream {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	return &engineStream{w: w, rc: http.NewResponseController(w)}
}

// send writes v; it reports false when the client is gone.
func (s *engineStream) send(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	b = append(b, '\n')
	if _, err := s.w.Write(b); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

func (s *engineStream) fail(msg string) bool {
	var e engineStreamError
	e.Detail.Message, e.Error = msg, msg
	return s.send(e)
}

// engineProgressMessage is m as the daemon streams it: a layer's status line carries
// an empty progressDetail (a progress update in moby's stream formatter), "Pulling
// from" and the lines without a layer none, a bar its bytes and Docker's bar text.
func engineProgressMessage(m remote.Message) engineJSONMessage {
	out := engineJSONMessage{Status: m.Status, ID: m.ID}
	switch {
	case m.Progress != nil:
		out.Detail = &engineDetail{Current: m.Progress.Current, Total: m.Progress.Total}
		out.Progress = progressBar(m.Progress.Current, m.Progress.Total)
	case m.ID != "" && !strings.HasPrefix(m.Status, "Pulling from "):
		out.Detail = &engineDetail{}
	}
	return out
}

// progressBar is the daemon's text for a bar (moby's JSONProgress.String without the
// time left): "[=====>      ]  1.536kB/3.072kB".
func progressBar(current, total int64) string {
	if current <= 0 && total <= 0 {
		return ""
	}
	if total <= 0 {
		return fmt.Sprintf("%8v", progressSize(current))
	}
	pct := min(max(current*100/total, 0), 100)
	n := int(pct / 2)
	return fmt.Sprintf("[%s>%s] %8v/%v", strings.Repeat("=", n), strings.Repeat(" ", 50-n), progressSize(current), progressSize(total))
}

// progressSize is go-units' HumanSize (four significant digits, decimal units), which
// the daemon's bars use.
func progressSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.4g%s", f, units[i])
}

// daemonMessage is err's message as the daemon sends it: without the "Error response
// from daemon: " the CLI adds itself.
func daemonMessage(err error) error {
	var de *remote.DaemonError
	if errors.As(err, &de) {
		return de.Err
	}
	return err
}

// ---- this server's address ----

// isThisServer reports whether host (a registry address, "HOST:PORT") is this server:
// the address the request came to (the CLI's DOCKER_HOST), the listener's, or
// --public-url's. localhost and 127.0.0.1 are the same host.
func (s *Server) isThisServer(r *http.Request, host string) bool {
	norm := func(h string) string {
		h = strings.ToLower(strings.TrimSuffix(h, "/"))
		name, port, err := net.SplitHostPort(h)
		if err != nil {
			name, port = h, ""
		}
		if name == "localhost" || name == "::1" || name == "[::1]" {
			name = "127.0.0.1"
		}
		return net.JoinHostPort(name, port)
	}
	want := norm(host)
	mine := []string{r.Host, strings.TrimPrefix(strings.TrimPrefix(s.regBaseURL(r), "http://"), "https://")}
	if u, err := url.Parse(s.publicURL); err == nil && u.Host != "" {
		mine = append(mine, u.Host)
		if u.Port() == "" { // the default port: the name alone, as a client types it
			mine = append(mine, u.Hostname())
		}
	}
	for _, h := range mine {
		if h != "" && norm(h) == want {
			return true
		}
	}
	return false
}

// hubHost is this server's registry address as a client types it (HOST:PORT).
func (s *Server) hubHost(r *http.Request) string {
	if r.Host != "" && s.publicURL == "" {
		return r.Host
	}
	u := s.baseURL(r)
	return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
}

// notReachable is the error for a registry other than this server's hub.
func (s *Server) notReachable(r *http.Request, host, verb string) string {
	return fmt.Sprintf("[layerlab] the playground does not reach %s (no network): docker %s works with this server's hub, %s, "+
		"and the official images' stand-ins (docker %s %s/NAMESPACE/IMAGE:TAG, or docker %s alpine:3.20)",
		host, verb, s.hubHost(r), verb, s.hubHost(r), verb)
}

// ---- POST /images/create: pull ----

// engineImageCreate is POST /images/create?fromImage=NAME&tag=TAG: `docker pull`.
// X-Registry-Auth is optional for a pull, as for the daemon (a missing or unreadable
// one means none); the hub's pulls are open to everyone.
func (s *Server) engineImageCreate(w http.ResponseWriter, r *http.Request) {
	ws := engineWorkspace(r)
	q := r.URL.Query()
	if q.Get("fromSrc") != "" {
		engineError(w, http.StatusNotImplemented, "[layerlab] docker import is not part of the playground: build an image with a Dockerfile, or docker load an archive")
		return
	}
	name, tag := q.Get("fromImage"), q.Get("tag")
	if name == "" {
		engineError(w, http.StatusBadRequest, "invalid reference format")
		return
	}
	if tag != "" {
		if _, err := digest.Parse(tag); err == nil {
			name += "@" + tag
		} else {
			name += ":" + tag
		}
	} else if named, err := reference.ParseNormalizedNamed(name); err == nil && reference.IsNameOnly(named) {
		// The CLI sends no tag for --all-tags only.
		engineError(w, http.StatusNotImplemented, "[layerlab] docker pull --all-tags is not supported: pull one tag at a time")
		return
	}
	if len(name) > maxRefLen {
		engineError(w, http.StatusBadRequest, fmt.Sprintf("invalid reference format: the image name is longer than %d characters", maxRefLen))
		return
	}
	if p := q.Get("platform"); p != "" && p != "linux/amd64" && p != "linux" {
		engineError(w, http.StatusBadRequest, "[layerlab] the built-in hub has linux/amd64 images only")
		return
	}
	n, err := remote.ParseName(name)
	if err != nil {
		engineError(w, http.StatusBadRequest, "invalid reference format")
		return
	}
	var pull func(ctx context.Context, progress func(remote.Message)) error
	repo := ""
	switch {
	case n.HasHost && s.isThisServer(r, n.Ref.Domain()):
		// The hub's repository as its registry API names it. No namespace: a pull of
		// HOST:PORT/library/alpine reads library/alpine, not the workspace's own
		// alpine first, as a pull over HTTP would.
		hub := &remote.Hub{Store: s.store}
		repo = n.Ref.Path()
		pull = func(ctx context.Context, progress func(remote.Message)) error {
			_, err := remote.Pull(ctx, ws, hub, n.Ref, remote.PullOptions{Progress: progress})
			return err
		}
	default:
		arg := name
		if n.Ref.Domain() == "docker.io" {
			arg = familiarName(name) // the 28.x CLI's docker.io/library/busybox is busybox
		}
		target, err := s.hubTarget(ws, false, arg)
		if err != nil {
			engineError(w, http.StatusInternalServerError, s.notReachable(r, n.Ref.Domain(), "pull"))
			return
		}
		repo = target.hub.Repo(target.name.Ref.Path())
		pull = func(ctx context.Context, progress func(remote.Message)) error {
			_, err := target.pull(ctx, ws, remote.PullOptions{Progress: progress})
			return err
		}
	}
	if err := ws.CheckQuota(r.Context(), 1, "this pull"); err != nil {
		s.engineFail(w, r, err)
		return
	}
	t, err := s.transfers.start(ws.Name(), "pull", name, "docker pull "+shellQuote(name), repo,
		func(ctx context.Context, progress func(remote.Message)) error {
			err := pull(ctx, progress)
			if err != nil && !errors.Is(err, context.Canceled) {
				s.log.Info("engine api pull failed", "ref", name, "workspace", ws.Name(), "err", err)
			}
			return err
		})
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	s.engineFollow(w, r, t, nil)
}

// engineFollow streams transfer t to the client until it ends: a failure before any
// message is an HTTP error ({"message"}, as the daemon answers a pull that fails
// before its output), after that the stream's error object. done, when set, adds the
// objects of a success. The client going away cancels the transfer, as the daemon
// cancels a pull whose client left.
func (s *Server) engineFollow(w http.ResponseWriter, r *http.Request, t *transfer, done func(*engineStream)) {
	wake := t.watch()
	defer t.unwatch(wake)
	var c cursor
	var st *engineStream
	for {
		msgs, end := t.since(&c)
		if st == nil && len(msgs) == 0 && end != nil && !end.OK {
			err := daemonMessage(end.err)
			code, msg, internal := status(err)
			switch {
			case internal:
				s.log.Error("engine api transfer failed", "kind", t.Kind, "ref", t.Ref, "err", err)
			case code == http.StatusBadGateway:
				code = http.StatusInternalServerError // Docker answers a registry's failure with 500 and its words
			case code == 499:
				return // the client went away
			}
			engineError(w, code, msg)
			return
		}
		if st == nil && (len(msgs) > 0 || end != nil) {
			st = newEngineStream(w)
		}
		for _, m := range msgs {
			if m.Progress != nil && m.Progress.Current <= 0 && m.Progress.Total <= 0 {
				continue // an empty bar would print as a line without a terminal
			}
			if !st.send(engineProgressMessage(m)) {
				t.cancel()
				return
			}
		}
		if end != nil {
			if !end.OK {
				msg := daemonMessage(end.err).Error()
				if end.Canceled {
					msg = "context canceled"
				}
				st.fail(msg)
			} else if done != nil {
				done(st)
			}
			return
		}
		select {
		case <-wake:
		case <-r.Context().Done():
			t.cancel()
			return
		}
	}
}

// ---- POST /images/{name}/push ----

// registryAuth is X-Registry-Auth's JSON (the CLI's AuthConfig).
type registryAuth struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	ServerAddress string `json:"serveraddress"`
}

// decodeRegistryAuth reads X-Registry-Auth as the daemon does: base64url of a JSON
// object. A missing header fails as it does for a push ("...: EOF").
func decodeRegistryAuth(h string) (registryAuth, error) {
	var a registryAuth
	dec := json.NewDecoder(base64.NewDecoder(base64.URLEncoding, strings.NewReader(h)))
	if err := dec.Decode(&a); err != nil {
		return a, err
	}
	return a, nil
}

// engineImagePush is POST /images/{name}/push?tag=TAG: `docker push`. Whatever goes
// wrong once the header is read is in the 200 stream, as the daemon sends it: no such
// local image, the hub's refusal of the credentials.
func (s *Server) engineImagePush(w http.ResponseWriter, r *http.Request, name string) {
	ws := engineWorkspace(r)
	auth, err := decodeRegistryAuth(r.Header.Get("X-Registry-Auth"))
	if err != nil {
		engineError(w, http.StatusBadRequest, "Bad parameters and missing X-Registry-Auth: "+err.Error())
		return
	}
	tag := r.URL.Query().Get("tag")
	if tag == "" {
		engineError(w, http.StatusNotImplemented, "[layerlab] docker push --all-tags is not supported: push one tag at a time")
		return
	}
	full := name + ":" + tag
	if len(full) > maxRefLen {
		engineError(w, http.StatusBadRequest, fmt.Sprintf("invalid reference format: the image name is longer than %d characters", maxRefLen))
		return
	}
	n, err := remote.ParseName(full)
	if err != nil {
		engineError(w, http.StatusBadRequest, "invalid reference format")
		return
	}
	var push func(ctx context.Context, progress func(remote.Message)) (*remote.PushResult, error)
	repo, note := "", ""
	switch {
	case n.HasHost && s.isThisServer(r, n.Ref.Domain()):
		repo = n.Ref.Path()
		hub := &remote.Hub{Store: s.store} // the repository as named (see engineImageCreate)
		denied := s.engineHubAuthorize(r, repo, auth)
		push = func(ctx context.Context, progress func(remote.Message)) (*remote.PushResult, error) {
			if denied != nil {
				return nil, refusePush(ctx, ws, n.Ref, progress, denied)
			}
			return remote.Push(ctx, ws, hub, n.Ref, remote.PushOptions{Progress: progress})
		}
	case n.Ref.Domain() == "docker.io":
		// The page's push of the name: into the workspace's own namespace in the hub,
		// as the workspace the token names (no docker.io to log in to).
		target, err := s.hubTarget(ws, true, familiarName(full))
		if err != nil {
			st := newEngineStream(w)
			st.send(engineJSONMessage{Status: "The push refers to repository [" + n.Ref.Domain() + "/" + n.Ref.Path() + "]"})
			st.fail(daemonMessage(err).Error())
			return
		}
		repo = target.hub.Repo(n.Ref.Path())
		note = fmt.Sprintf("[layerlab] docker.io is not reachable from the playground: this pushes to the built-in hub as %s:%s "+
			"(classmates pull it with docker pull %s/%s:%s)", repo, tag, s.hubHost(r), repo, tag)
		push = func(ctx context.Context, progress func(remote.Message)) (*remote.PushResult, error) {
			return remote.Push(ctx, ws, target.hub, n.Ref, remote.PushOptions{Progress: progress})
		}
	default:
		st := newEngineStream(w)
		st.send(engineJSONMessage{Status: "The push refers to repository [" + n.Ref.Domain() + "/" + n.Ref.Path() + "]"})
		st.fail(s.notReachable(r, n.Ref.Domain(), "push"))
		return
	}
	if err := ws.CheckQuota(r.Context(), 1, "this push"); err != nil {
		s.engineFail(w, r, err)
		return
	}
	var res *remote.PushResult
	t, err := s.transfers.start(ws.Name(), "push", full, "docker push "+shellQuote(full), repo,
		func(ctx context.Context, progress func(remote.Message)) error {
			if note != "" {
				progress(remote.Message{Status: note})
			}
			var err error
			res, err = push(ctx, progress)
			if err != nil && !errors.Is(err, context.Canceled) {
				s.log.Info("engine api push failed", "ref", full, "workspace", ws.Name(), "err", err)
			}
			return err
		})
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	s.engineFollow(w, r, t, func(st *engineStream) {
		var aux enginePushAux
		aux.Aux.Tag, aux.Aux.Digest, aux.Aux.Size = tag, res.Digest.String(), res.Size
		st.send(aux)
	})
}

// engineHubAuthorize checks X-Registry-Auth's credentials for a push into repo exactly
// as the hub's registry API checks a request's (hubAuthorize); nil means go ahead.
func (s *Server) engineHubAuthorize(r *http.Request, repo string, auth registryAuth) error {
	req := r.Clone(r.Context())
	req.Header = http.Header{}
	if auth.Username != "" || auth.Password != "" {
		// A daemon trades the credentials for a token first (registry_token.go):
		// wrong ones are refused there, in the token service's words.
		ok, err := s.store.CheckHubToken(r.Context(), auth.Username, auth.Password)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("unauthorized: " + regWrongToken)
		}
		req.SetBasicAuth(auth.Username, auth.Password)
	}
	if e := s.hubAuthorize(req, repo, hubPush); e != nil {
		// What the daemon prints of a registry's error: its code in words, then its
		// message (distribution's errcode).
		code := strings.ToLower(strings.ReplaceAll(e.Code, "_", " "))
		if e.Status >= 500 {
			return fmt.Errorf("received unexpected HTTP status: %d %s", e.Status, http.StatusText(e.Status))
		}
		return fmt.Errorf("%s: %s", code, e.Message)
	}
	return nil
}

// refusePush is what the daemon streams for a push the registry refuses: the
// repository, each layer Preparing, then the refusal (or, with no such local image,
// remote.Push's own words for that).
func refusePush(ctx context.Context, ws *db.Workspace, ref image.Ref, progress func(remote.Message), denied error) error {
	rec, err := ws.Lookup(ctx, ref.String())
	if errors.Is(err, build.ErrNotFound) {
		// remote.Push says there is no such image, as the daemon does, before any
		// registry call.
		_, err := remote.Push(ctx, ws, refusingRegistry{denied}, ref, remote.PushOptions{Progress: progress})
		if err == nil {
			return denied
		}
		return err
	}
	if err != nil {
		return err
	}
	progress(remote.Message{Status: "The push refers to repository [" + ref.Domain() + "/" + ref.Path() + "]"})
	seen := map[digest.Digest]bool{}
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		if d := rec.Layers[i].DiffID; !seen[d] {
			seen[d] = true
			progress(remote.Message{ID: image.ShortID(d), Status: "Preparing"})
		}
	}
	return denied
}

// ---- POST /auth ----

// engineAuthLogin is POST /auth: `docker login HOST:PORT`. It checks the credentials
// as the hub's token service does (a namespace and its token) and fails in the words
// a Docker daemon uses for this hub; the CLI keeps them and sends them with each push.
func (s *Server) engineAuthLogin(w http.ResponseWriter, r *http.Request) {
	var a registryAuth
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAuthBody))
	if err := dec.Decode(&a); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			engineError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the login request is larger than %s", humanBytes(maxAuthBody)))
			return
		}
		engineError(w, http.StatusBadRequest, "Bad parameters: "+err.Error())
		return
	}
	host := a.ServerAddress
	for _, p := range []string{"https://", "http://"} {
		host = strings.TrimPrefix(host, p)
	}
	host, _, _ = strings.Cut(host, "/")
	if host == "" || !s.isThisServer(r, host) {
		if host == "" {
			host = "docker.io"
		}
		engineError(w, http.StatusInternalServerError, fmt.Sprintf(
			"[layerlab] the playground does not reach %s (no network): docker login %s -u NAMESPACE logs in to this server's hub "+
				"(the password is your namespace's token: layerlab hub token prints both)", host, s.hubHost(r)))
		return
	}
	ok, err := s.store.CheckHubToken(r.Context(), a.Username, a.Password)
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	if !ok {
		// What a Docker daemon says of this hub's refusal: its token service answers
		// the /v2/ ping's challenge with 401 (Docker says "login attempt to ... failed
		// with status: 401 Unauthorized" of a registry with basic auth only).
		engineError(w, http.StatusInternalServerError, `Get "http://`+host+`/v2/": unauthorized: `+regWrongToken)
		return
	}
	engineJSON(w, http.StatusOK, struct {
		IdentityToken string
		Status        string
	}{"", "Login Succeeded"})
}

// ---- GET /images/get: save ----

// engineImagesSave is GET /images/get?names=A&names=B: `docker save`, the names
// resolved as `layerlab save` resolves them, the archive in Docker 20.10's layout
// (archive.SaveLegacy: the layout of the API version served, which dive reads),
// streamed.
func (s *Server) engineImagesSave(w http.ResponseWriter, r *http.Request) {
	ws := engineWorkspace(r)
	names := r.URL.Query()["names"]
	if len(names) == 0 {
		engineError(w, http.StatusBadRequest, "no images named: docker save IMAGE [IMAGE...]")
		return
	}
	release, err := s.saves.take(ws.Name(), s.limits.TransfersPerWorkspace)
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	defer release()
	items, err := commands.SaveItems(r.Context(), ws, names)
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	out := &lazyTar{w: w}
	err = archive.SaveLegacy(r.Context(), out, ws, items)
	switch {
	case err == nil:
		if !out.started { // an archive always has bytes; a guard, not a case
			out.Write(nil)
		}
	case !out.started && errors.Is(err, archive.ErrEmptyExport):
		engineError(w, http.StatusInternalServerError, err.Error()) // Docker 20.10's words and status
	case !out.started:
		s.engineFail(w, r, err)
	default:
		if !errors.Is(err, context.Canceled) {
			s.log.Error("engine api save", "workspace", ws.Name(), "err", err)
		}
		// The archive is cut short: end the connection so the CLI fails, rather
		// than leave it a tar that merely looks whole.
		panic(http.ErrAbortHandler)
	}
}

// lazyTar answers 200 application/x-tar at the archive's first byte, so that an
// error found before it is still an HTTP error.
type lazyTar struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyTar) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "application/x-tar")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// ---- POST /images/load ----

// engineImagesLoad is POST /images/load?quiet=0|1: `docker load`. It reads the
// request's body only (never a path of the server's). The body is bounded by the
// workspace's storage quota (nothing larger can be stored in it) and read with the
// command line's archive limits; each layer is counted against the quota as it is
// stored; the load takes a transfer slot as a pull does. Docker answers 200 at once
// and puts a failure in the stream.
func (s *Server) engineImagesLoad(w http.ResponseWriter, r *http.Request) {
	ws := engineWorkspace(r)
	limit := s.limits.WorkspaceQuota
	tooLarge := fmt.Sprintf("the archive is larger than the workspace's storage quota (%s): nothing larger can be loaded into it; "+
		"load fewer images at a time (docker save one image)", humanBytes(limit))
	if r.ContentLength > limit {
		engineError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return
	}
	if err := ws.CheckQuota(r.Context(), 1, "this load"); err != nil {
		s.engineFail(w, r, err)
		return
	}
	body := &boundedBody{r: r.Body, left: limit}
	// A load writes layers as a pull does: it takes a transfer slot, and counts in the
	// workspace's bound on transfers. It reads the request's body, so the handler
	// returns only once it has ended.
	var loaded []archive.Loaded
	t, err := s.transfers.start(ws.Name(), "load", "-", "docker load", "", func(ctx context.Context, _ func(remote.Message)) error {
		var err error
		loaded, err = archive.Load(ctx, body, ws, archive.LoadOptions{})
		return err
	})
	if err != nil {
		s.engineFail(w, r, err)
		return
	}
	st := newEngineStream(w)
	wake := t.watch()
	defer t.unwatch(wake)
	var c cursor
	for end := (*transferEnd)(nil); end == nil; {
		var msgs []remote.Message
		msgs, end = t.since(&c)
		for _, m := range msgs { // the slot's queue: plain lines, which the CLI prints
			st.send(engineStreamLine{Stream: m.Status + "\n"})
		}
		if end != nil {
			err = end.err
			break
		}
		select {
		case <-wake:
		case <-r.Context().Done():
			t.cancel()
			for t.end() == nil {
				<-wake
			}
			return
		}
	}
	if err != nil {
		switch {
		case body.over:
			st.fail(tooLarge)
		case errors.Is(err, context.Canceled):
		default:
			if _, _, internal := status(err); internal && !errors.Is(err, archive.ErrInvalid) && !errors.Is(err, archive.ErrTooLarge) &&
				!errors.Is(err, archive.ErrBomb) && !errors.Is(err, archive.ErrDiffIDMismatch) {
				s.log.Error("engine api load", "workspace", ws.Name(), "err", err)
			}
			st.fail(err.Error())
		}
		return
	}
	// quiet=1 only silences the daemon's "Loading layer" bars, which layerlab does not
	// send (a CLI without a terminal prints none of them either): the lines are the
	// same either way, as the daemon's.
	for _, l := range loaded {
		for _, t := range l.Tags {
			if t.Previous != "" {
				st.send(engineStreamLine{Stream: fmt.Sprintf("The image %s already exists, renaming the old one with ID %s to empty string\n", t.Ref.Familiar(), t.Previous)})
			}
			st.send(engineStreamLine{Stream: "Loaded image: " + t.Ref.Familiar() + "\n"})
		}
		if len(l.Tags) == 0 {
			st.send(engineStreamLine{Stream: "Loaded image ID: " + l.ID.String() + "\n"})
		}
	}
}

// boundedBody reads at most left bytes of a request body; past them it fails and
// notes it (the archive reader wraps its reader's error in words of its own).
type boundedBody struct {
	r    io.Reader
	left int64
	over bool
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the bound from a longer one.
		var one [1]byte
		for {
			n, err := b.r.Read(one[:])
			if n > 0 {
				b.over = true
				return 0, errors.New("the archive is larger than the bound")
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// refusingRegistry is a registry that refuses every call with err: what a push the
// hub refused the credentials of meets, should it get past the image lookup.
type refusingRegistry struct{ err error }

func (g refusingRegistry) Manifest(context.Context, string, string) (*remote.Manifest, error) {
	return nil, g.err
}
func (g refusingRegistry) OpenBlob(context.Context, string, digest.Digest) (io.ReadCloser, error) {
	return nil, g.err
}
func (g refusingRegistry) StatBlob(context.Context, string, digest.Digest) (int64, error) {
	return 0, g.err
}
func (g refusingRegistry) PutBlob(context.Context, string, digest.Digest, int64, func() (io.ReadCloser, error)) error {
	return g.err
}
func (g refusingRegistry) PutManifest(context.Context, string, string, *remote.Manifest) error {
	return g.err
}

// saveCounter bounds the saves a workspace streams at once. A save only reads, so it
// takes no transfer slot (a slow reader would hold one from the class's pulls and
// pushes for as long as it likes), but each holds a connection, a goroutine and open
// blobs while its reader reads: a workspace may have --transfers-per-workspace of them
// at once, and the next is refused. Its zero value is ready.
type saveCounter struct {
	mu sync.Mutex
	n  map[string]int
}

// take counts one more save of workspace ws, or refuses it (429) at limit.
func (c *saveCounter) take(ws string, limit int) (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[ws] >= limit {
		return nil, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"you have %d docker saves streaming, the server's limit per workspace (%d, --transfers-per-workspace): wait for one to finish, then try again",
			c.n[ws], limit)}
	}
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[ws]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.n[ws]--; c.n[ws] <= 0 {
				delete(c.n, ws)
			}
		})
	}, nil
}
