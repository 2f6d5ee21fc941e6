package handlers

// The images pages' routes (imageRoutes) and what their handlers share: the limits on
// what they accept, an image's page link, the reference a history or inspect request
// names and its lookup, and the action forms' input (readAction) and answer
// (answerAction), which tag, rm, prune and the pull and push forms all use. Each
// resource action has its file: image_list.go, image_tag.go, image_remove.go,
// image_prune.go, image_history.go, image_inspect.go; flash.go carries an action's
// result over the redirect, dockerrun.go runs the docker commands.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/distribution/reference"
	"github.com/go-chi/chi/v5"

	"layerlab/db"
	"layerlab/engine/image"
	"layerlab/web"
)

// Limits on what the image pages accept, and on a command's output they keep.
const (
	maxImageFormBytes = 16 << 10 // a tag, rm or prune form, or its JSON
	maxRefLen         = 512      // an image reference as typed
	maxCmdOutput      = 64 << 20 // the pages parse image ls and history output: 1,000 images are ~300 KB
)

// imageRoutes: the images, history and inspect pages and their actions.
//
// The pages run the same docker commands as the terminal (engine/commands), so what
// they show (rows, sizes, times, errors) is what `docker image ls`, `docker history`
// and `docker inspect` print. The page's pull and push forms (/images/pull,
// /images/push) are transferRoutes', with the transfers they start.
func (s *Server) imageRoutes(r chi.Router) {
	r.Get("/images", s.imagesPage)
	r.Get("/base-images", s.baseImagesPage)
	r.Post("/images/tag", s.tagImage)
	r.Post("/images/rm", s.removeImage)
	r.Get("/images/prune", s.prunePage)
	r.Post("/images/prune", s.pruneImages)
	r.Get("/images/history", s.historyPage) // ?ref=, for references a path cannot carry
	r.Get("/images/inspect", s.inspectPage) // ?ref=
	r.Get("/images/{ref}/history", s.historyPage)
	r.Get("/images/{ref}/inspect", s.inspectPage)

	r.Get("/api/images", s.imagesJSON)
	r.Post("/api/images/tag", s.tagImage)
	r.Post("/api/images/rm", s.removeImage)
	r.Get("/api/images/prune", s.prunePreview)
	r.Post("/api/images/prune", s.pruneImages)
	r.Post("/api/inspect/format", s.inspectFormat)
}

// imageLink is the URL of an image's page ("history", "inspect"): the reference (or
// ID) as one escaped path segment, so "bench/app:v1" stays one segment.
func imageLink(ref, page string) string {
	return "/images/" + url.PathEscape(ref) + "/" + page
}

// refParam is the image reference of a history or inspect request: the path segment
// (unescaped: chi gives it raw when the path was escaped) or, else, ?ref=.
func refParam(r *http.Request) (string, error) {
	ref := chi.URLParam(r, "ref")
	if ref == "" {
		ref = r.URL.Query().Get("ref")
	} else if u, err := url.PathUnescape(ref); err == nil {
		ref = u
	}
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return "", errBadRequest("no image named: give an image ID or a name such as demo:v1")
	case len(ref) > maxRefLen:
		return "", errBadRequest(fmt.Sprintf("image reference longer than %d bytes", maxRefLen))
	}
	return ref, nil
}

// lookupImage finds the image a page is about, with Docker's words when there is none:
// a malformed reference is a 400 with the daemon's message, an unknown image a 404 that
// says what to do.
func (s *Server) lookupImage(ctx context.Context, ws *db.Workspace, ref string) (*image.Record, error) {
	if _, err := reference.ParseAnyReference(ref); err != nil {
		// The daemon's own wording ("invalid reference format: repository name must be
		// lowercase", as Docker 20.10 put it), from the command that would have been
		// typed; its error is an ErrInvalid.
		res := s.docker(ctx, ws, "", "history", "--", ref)
		if res.ok() {
			return nil, fmt.Errorf("history %q: the command took a reference the parser refused (%v)", ref, err)
		}
		return nil, res.failure()
	}
	rec, err := ws.Lookup(ctx, ref)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, errNotFound(fmt.Sprintf("Error: No such image: %s. Your workspace has no image by that name or ID: "+
			"pick one on the Images page (docker image ls -a lists them all) or build it in the playground.", ref))
	case errors.Is(err, db.ErrAmbiguous):
		return nil, errBadRequest(fmt.Sprintf("%s is the start of more than one image ID: type more of the ID", ref))
	case err != nil:
		return nil, err
	}
	return rec, nil
}

func queryFlag(r *http.Request, name string) bool {
	v := r.URL.Query().Get(name)
	return v == "1" || v == "true" || v == "on"
}

// actionInput is what an action form (or its JSON) carries.
type actionInput struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Ref    string `json:"ref"`
	Force  bool   `json:"force"`
	All    bool   `json:"all"`
	// Back is the images page query to return to ("all=1"), forms only.
	Back string `json:"-"`
	// Form is the form Ref came from when it is not the remove form's: pull or push.
	Form string `json:"-"`
}

// readAction reads an action's input from a form or a JSON body, within the size limit.
func readAction(w http.ResponseWriter, r *http.Request) (actionInput, error) {
	var in actionInput
	if r.ContentLength > maxImageFormBytes {
		return in, errTooLarge(fmt.Sprintf("request too large: the limit is %s", humanBytes(maxImageFormBytes)))
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := decodeJSON(w, r, maxImageFormBytes, &in); err != nil {
			return in, err
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxImageFormBytes)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return in, err
			}
			return in, errBadRequest("bad form: " + err.Error())
		}
		f := r.PostForm
		in = actionInput{Source: f.Get("source"), Target: f.Get("target"), Ref: f.Get("ref"),
			Force: formBool(f.Get("force")), All: formBool(f.Get("all")), Back: f.Get("back")}
	}
	in.Source, in.Target, in.Ref = strings.TrimSpace(in.Source), strings.TrimSpace(in.Target), strings.TrimSpace(in.Ref)
	for _, v := range []string{in.Source, in.Target, in.Ref} {
		if len(v) > maxRefLen {
			return in, errTooLarge(fmt.Sprintf("image reference longer than %d bytes", maxRefLen))
		}
	}
	return in, nil
}

func formBool(v string) bool { return v == "1" || v == "on" || v == "true" }

// backQuery keeps only the images page's own toggles from a form's "back" field.
func backQuery(back string) string {
	q, _ := url.ParseQuery(back)
	out := url.Values{}
	for _, k := range []string{"all", "dangling"} {
		if formBool(q.Get(k)) {
			out.Set(k, "1")
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "?" + out.Encode()
}

// answerAction ends an action: JSON for fetch, else a redirect back to the images page
// with the result (post/redirect/get) or, when the command failed, the images page again
// with Docker's error and the status Docker's API would give.
func (s *Server) answerAction(w http.ResponseWriter, r *http.Request, in actionInput, res *dockerRun) {
	code := http.StatusOK
	if !res.ok() {
		code = s.httpStatus(res)
	}
	if wantsJSON(r) || strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, code, res)
		return
	}
	flash := &web.Flash{Cmd: res.Cmd, Output: strings.TrimRight(res.Output, "\n"), Error: res.Error, OK: res.ok()}
	if !res.ok() {
		flash.Hint = flashHint(res.failure())
	}
	if res.ok() {
		s.setFlash(w, r, flash)
		http.Redirect(w, r, "/images"+backQuery(in.Back), http.StatusSeeOther)
		return
	}
	// Re-render the page the form came from, with the error and the forms as typed.
	q, _ := url.ParseQuery(in.Back)
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: "/images", RawQuery: q.Encode()}
	v, err := s.imagesView(r2)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Flash = flash
	v.TagSource, v.TagTarget, v.RmForce, v.PruneAll = in.Source, in.Target, in.Force, in.All
	switch in.Form {
	case "pull":
		v.PullRef = in.Ref
	case "push":
		v.PushRef = in.Ref
	default:
		v.RmRef = in.Ref
	}
	s.renderImages(w, r, code, v)
}
