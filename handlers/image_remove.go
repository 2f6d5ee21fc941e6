package handlers

// `docker image rm [-f] REF` from the images page's form or its JSON
// (POST /images/rm, /api/images/rm).

import (
	"net/http"
	"strings"

	"layerlab/engine/commands"
)

// removeImage is `docker image rm [-f] REF`.
func (s *Server) removeImage(w http.ResponseWriter, r *http.Request) {
	in, err := readAction(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Ref == "" {
		s.answerAction(w, r, in, &dockerRun{Cmd: "docker image rm IMAGE", Code: 1, err: commands.ErrUsage,
			Error: "\"docker image rm\" requires at least 1 argument: give an image name or ID"})
		return
	}
	args := []string{"image", "rm"}
	if in.Force {
		args = append(args, "-f")
	}
	cmd := "docker " + strings.Join(args, " ") + " " + shellQuote(in.Ref)
	s.answerAction(w, r, in, s.docker(r.Context(), workspace(r), cmd, append(args, "--", in.Ref)...))
}
