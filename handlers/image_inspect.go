package handlers

// The inspect page (GET /images/{ref}/inspect) and its --format box
// (POST /api/inspect/format): `docker inspect` as text and as a tree (jsonTree).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"layerlab/db"
	"layerlab/engine/image"
	"layerlab/web"
)

const maxFormatLen = 4 << 10

// inspectPage is `docker inspect` as a tree and as text, with a --format box (a GET
// form: ?format=, so it works without JavaScript).
func (s *Server) inspectPage(w http.ResponseWriter, r *http.Request) {
	ws := workspace(r)
	ref, err := refParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.lookupImage(r.Context(), ws, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	raw := s.docker(r.Context(), ws, "docker inspect "+shellQuote(ref), "inspect", "--", rec.ID.String())
	if !raw.ok() {
		s.fail(w, r, fmt.Errorf("inspect %s: %w", ref, raw.failure()))
		return
	}
	tree, err := jsonTree(raw.Output)
	if err != nil {
		s.fail(w, r, fmt.Errorf("inspect %s: %w", ref, err))
		return
	}
	v := web.InspectView{Ref: ref, ID: rec.ID.String(), ShortID: image.ShortID(rec.ID), Cmd: raw.Cmd, Raw: raw.Output,
		Tree: tree, HistoryURL: imageLink(ref, "history"), FormatCmd: inspectFormatCmd("{{.Config.Cmd}}", ref)}
	code := http.StatusOK
	if q := r.URL.Query(); q.Has("format") {
		f := q.Get("format")
		if len(f) > maxFormatLen {
			s.fail(w, r, errTooLarge(fmt.Sprintf("--format template longer than %d KiB", maxFormatLen>>10)))
			return
		}
		res := s.inspectWithFormat(r.Context(), ws, ref, rec, f)
		v.Format, v.FormatRan, v.FormatCmd, v.FormatOut, v.FormatErr = f, true, res.Cmd, res.Output, res.Error
		if !res.ok() {
			code = s.httpStatus(res)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	web.InspectPage(s.page(r, "Inspect "+ref, "images"), v).Render(r.Context(), w)
}

func inspectFormatCmd(format, ref string) string {
	if format == "" {
		return "docker inspect " + shellQuote(ref)
	}
	return "docker inspect --format " + shellQuote(format) + " " + shellQuote(ref)
}

func (s *Server) inspectWithFormat(ctx context.Context, ws *db.Workspace, ref string, rec *image.Record, format string) *dockerRun {
	args := []string{"inspect"}
	if format != "" {
		args = append(args, "--format", format)
	}
	return s.docker(ctx, ws, inspectFormatCmd(format, ref), append(args, "--", rec.ID.String())...)
}

// inspectFormat runs `docker inspect --format F REF` for the page's format box:
// {"cmd", "output", "exit_code"}, or Docker's template error with status 400.
func (s *Server) inspectFormat(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Ref    string `json:"ref"`
		Format string `json:"format"`
	}
	if err := decodeJSON(w, r, maxImageFormBytes, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(in.Format) > maxFormatLen {
		s.fail(w, r, errTooLarge(fmt.Sprintf("--format template longer than %d KiB", maxFormatLen>>10)))
		return
	}
	ref := strings.TrimSpace(in.Ref)
	if ref == "" || len(ref) > maxRefLen {
		s.fail(w, r, errBadRequest("give the image to inspect (a name such as demo:v1 or an ID)"))
		return
	}
	ws := workspace(r)
	rec, err := s.lookupImage(r.Context(), ws, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := s.inspectWithFormat(r.Context(), ws, ref, rec, in.Format)
	code := http.StatusOK
	if !res.ok() {
		code = s.httpStatus(res)
	}
	writeJSON(w, code, res)
}

// jsonTree decodes JSON into a tree for the page, keeping the keys in their order (the
// order docker prints them), every key and value as text for the template to escape.
func jsonTree(raw string) (*web.JSONNode, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	n, err := jsonNode(dec, "", 0)
	if err != nil {
		return nil, fmt.Errorf("decode inspect output: %w", err)
	}
	return n, nil
}

func jsonNode(dec *json.Decoder, key string, depth int) (*web.JSONNode, error) {
	if depth > 64 {
		return nil, errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	n := &web.JSONNode{Key: key, Depth: depth}
	switch t := tok.(type) {
	case json.Delim:
		n.Kind = "object"
		if t == '[' {
			n.Kind = "array"
		}
		for i := 0; dec.More(); i++ {
			k := fmt.Sprint(i)
			if n.Kind == "object" {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ = kt.(string)
			}
			c, err := jsonNode(dec, k, depth+1)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		// As JSON, but with <, > and & as themselves (the page escapes them as HTML).
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(t)
		n.Kind, n.Value = "string", strings.TrimSuffix(b.String(), "\n")
	case json.Number:
		n.Kind, n.Value = "number", t.String()
	case bool:
		n.Kind, n.Value = "bool", fmt.Sprint(t)
	case nil:
		n.Kind, n.Value = "null", "null"
	}
	return n, nil
}
