package handlers

import "net/http"

// Placeholders until helper C's transfers land (issue 14, in progress).

func (s *Server) engineImageCreate(w http.ResponseWriter, r *http.Request) {
	engineError(w, http.StatusNotImplemented, "not implemented yet")
}
func (s *Server) engineImagePush(w http.ResponseWriter, r *http.Request, name string) {
	engineError(w, http.StatusNotImplemented, "not implemented yet")
}
func (s *Server) engineAuthLogin(w http.ResponseWriter, r *http.Request) {
	engineError(w, http.StatusNotImplemented, "not implemented yet")
}
func (s *Server) engineImagesSave(w http.ResponseWriter, r *http.Request) {
	engineError(w, http.StatusNotImplemented, "not implemented yet")
}
func (s *Server) engineImagesLoad(w http.ResponseWriter, r *http.Request) {
	engineError(w, http.StatusNotImplemented, "not implemented yet")
}
