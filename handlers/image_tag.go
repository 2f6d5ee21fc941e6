package handlers

// `docker tag SOURCE TARGET` from the images page's form or its JSON
// (POST /images/tag, /api/images/tag).

import (
	"net/http"

	"layerlab/engine/commands"
)

// tagImage is `docker tag SOURCE TARGET`.
func (s *Server) tagImage(w http.ResponseWriter, r *http.Request) {
	in, err := readAction(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Source == "" || in.Target == "" {
		s.answerAction(w, r, in, &dockerRun{Cmd: "docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", Code: 1, err: commands.ErrUsage,
			Error: "\"docker tag\" requires exactly 2 arguments: give the image to tag and the new name, e.g. demo:v2"})
		return
	}
	cmd := "docker tag " + shellQuote(in.Source) + " " + shellQuote(in.Target)
	s.answerAction(w, r, in, s.docker(r.Context(), workspace(r), cmd, "tag", "--", in.Source, in.Target))
}
