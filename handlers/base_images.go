package handlers

import (
	"net/http"

	"layerlab/engine/baseimage"
	"layerlab/engine/commands"
	"layerlab/web"
)

// maxBaseQuery bounds the search word; Docker Hub's own limit is longer, but no image
// name is.
const maxBaseQuery = 100

// baseImagesPage is `docker search TERM` as a page: the base images the playground
// serves without a network, with their versions, variants and example tags, each tag
// a link to pull it.
func (s *Server) baseImagesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if len(q) > maxBaseQuery {
		s.fail(w, r, errBadRequest("the search word is longer than 100 characters: no image name is that long"))
		return
	}
	v := web.BaseImagesView{Query: q, Cmd: "docker search " + orDefault(q, "TERM"), Total: len(baseimage.Catalog())}
	for _, res := range commands.Search(q) {
		repo := web.BaseRepo{Name: res.Name, Description: res.Description, Official: res.Official, Versions: res.Versions}
		if len(repo.Versions) > 6 {
			repo.Versions = repo.Versions[:6]
		}
		for _, vr := range res.Variants {
			tags := vr.Tags
			if len(tags) > 4 {
				tags = tags[:4]
			}
			repo.Variants = append(repo.Variants, web.BaseVariant{Name: vr.Name, Tags: tags})
		}
		v.Repos = append(v.Repos, repo)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	web.BaseImagesPage(s.page(r, "Base images", "base-images"), v).Render(r.Context(), w)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
