package handlers

import "net/http"

// Placeholders until helper A's images endpoints land (issue 14, in progress).

func (s *Server) engineImageList(w http.ResponseWriter, r *http.Request)   { engineTODO(w) }
func (s *Server) engineImagePrune(w http.ResponseWriter, r *http.Request)  { engineTODO(w) }
func (s *Server) engineImageGet(w http.ResponseWriter, r *http.Request)    { engineTODO(w) }
func (s *Server) engineImagePost(w http.ResponseWriter, r *http.Request)   { engineTODO(w) }
func (s *Server) engineImageDelete(w http.ResponseWriter, r *http.Request) { engineTODO(w) }

func engineTODO(w http.ResponseWriter) {
	engineError(w, http.StatusNotImplemented, "not implemented yet")
}
