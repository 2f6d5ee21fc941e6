package handlers

import "net/http"

// Placeholders until helper B's build endpoint lands (issue 14, in progress).

func (s *Server) engineBuild(w http.ResponseWriter, r *http.Request) {
	engineError(w, http.StatusNotImplemented, "not implemented yet")
}
func (s *Server) engineBuildPrune(w http.ResponseWriter, r *http.Request) {
	engineError(w, http.StatusNotImplemented, "not implemented yet")
}
