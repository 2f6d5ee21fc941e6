package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/image"
)

// The Docker Engine API's image endpoints (GET /images/json, /images/{name}/json and
// /history, POST /images/{name}/tag and /images/prune, DELETE /images/{name}) as
// structured values: the same daemon-side code the commands run (listImages,
// imageHistory, inspectImage, imageIndex.imageDelete, pruneImages), answered in the
// types of Docker 20.10's API 1.41 instead of the CLI's text. The handlers only parse
// the request and write these as JSON, so the command line, the web terminal and the
// Engine API agree.

// Filters are the API's filters parameter decoded: key -> set of values, as Docker's
// filters.Args marshals them ({"dangling":{"true":true}}).
type Filters map[string]map[string]bool

// ParseFilters decodes a filters query parameter as Docker's filters.FromJSON: the
// current form {"key":{"value":true}}, or the legacy {"key":["value"]}; "" is none.
func ParseFilters(raw string) (Filters, error) {
	f := Filters{}
	if raw == "" {
		return f, nil
	}
	err := json.Unmarshal([]byte(raw), &f)
	if err == nil {
		return f, nil
	}
	var legacy map[string][]string
	if json.Unmarshal([]byte(raw), &legacy) != nil {
		return nil, invalidf("invalid JSON: %v", err) // Docker's invalidJSONError
	}
	f = Filters{}
	for k, vs := range legacy {
		f[k] = map[string]bool{}
		for _, v := range vs {
			f[k][v] = true
		}
	}
	return f, nil
}

// imageFilters copies f for the commands' filters, a dangling value written 1 or 0
// read as true or false, as filters.Args.GetBoolOrDefault does.
func (f Filters) imageFilters() imageFilters {
	out := imageFilters{}
	for k, vs := range f {
		for v, on := range vs {
			if !on {
				continue
			}
			if k == "dangling" {
				switch v {
				case "1":
					v = "true"
				case "0":
					v = "false"
				}
			}
			out.add(k, v)
		}
	}
	return out
}

// ImageSummary is one element of GET /images/json (types.ImageSummary), its fields in
// the order the daemon writes them.
type ImageSummary struct {
	Containers  int64             // -1: the daemon counts containers only for `system df`
	Created     int64             // Unix seconds
	ID          string            `json:"Id"`
	Labels      map[string]string // the config's labels; null when it has none
	ParentID    string            `json:"ParentId"` // "" for none
	RepoDigests []string          // ["<none>@<none>"] for a dangling image; null when none
	RepoTags    []string          // ["<none>:<none>"] for a dangling image; null when none
	SharedSize  int64             // -1, as in a plain list
	Size        int64
	VirtualSize int64
}

// ListImages is GET /images/json: the images `docker image ls` lists (with all, the
// intermediate images too), filtered by dangling, label, before, since and reference,
// newest first.
func ListImages(ctx context.Context, st Store, all bool, filters Filters) ([]ImageSummary, error) {
	sums, err := listImages(ctx, st, filters.imageFilters(), all)
	if err != nil {
		return nil, err
	}
	out := make([]ImageSummary, 0, len(sums))
	for _, s := range sums {
		img, err := s.rec.ConfigFile(ctx)
		if errors.Is(err, build.ErrNotFound) {
			continue // deleted since it was listed (a concurrent rmi or prune): gone
		}
		if err != nil {
			return nil, fmt.Errorf("read config of %s: %w", s.rec.ID, err)
		}
		sum := ImageSummary{Containers: -1, Created: s.rec.Created.Unix(), ID: s.rec.ID.String(),
			ParentID: s.rec.Parent.String(), RepoDigests: s.repoDigests, RepoTags: s.repoTags,
			SharedSize: -1, Size: s.rec.Size(), VirtualSize: s.rec.Size()}
		if img.Config != nil && len(img.Config.Labels) > 0 {
			sum.Labels = img.Config.Labels
		}
		if s.dangling {
			sum.RepoDigests = []string{"<none>@<none>"}
			sum.RepoTags = []string{"<none>:<none>"}
		}
		out = append(out, sum)
	}
	return out, nil
}

// HistoryItem is one element of GET /images/{name}/history
// (image.HistoryResponseItem), its fields in the daemon's order.
type HistoryItem struct {
	Comment   string
	Created   int64 // Unix seconds
	CreatedBy string
	ID        string `json:"Id"` // the step's image, or "<missing>" past the parent chain
	Size      int64
	Tags      []string // the tags of that image; null when it has none
}

// ImageHistory is GET /images/{name}/history: the image's history, newest first, as
// `docker history` shows it.
func ImageHistory(ctx context.Context, st Store, name string) ([]HistoryItem, error) {
	rec, err := lookupImage(ctx, st, name)
	if err != nil {
		return nil, err
	}
	items, err := imageHistory(ctx, st, rec)
	if err != nil {
		return nil, err
	}
	tags, err := st.AllTags(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	refs := refsByImage(tags)
	out := make([]HistoryItem, len(items))
	for i, h := range items {
		out[i] = HistoryItem{Comment: h.comment, Created: h.created.Unix(), CreatedBy: h.createdBy, ID: h.id, Size: h.size}
		if h.id == "<missing>" {
			continue
		}
		for _, t := range refs[digest.Digest(h.id)] {
			if t.Tag != "" { // tags only: the daemon skips digest references here
				out[i].Tags = append(out[i].Tags, t.Ref)
			}
		}
	}
	return out, nil
}

// ImageInspect is GET /images/{name}/json (types.ImageInspect of Docker 20.10), the
// object `docker image inspect` prints.
type ImageInspect = imageInspect

// InspectImage is GET /images/{name}/json. The daemon's LookupImage wraps every
// failure of GetImage in "no such image: <name as given>: ", so a malformed name is
// "no such image: Demo: invalid reference format ..." (ErrInvalid) and a missing one
// "no such image: nosuch: No such image: nosuch:latest" (ErrNotFound); history and
// tag answer the inner text alone.
func InspectImage(ctx context.Context, st Store, name string) (*ImageInspect, error) {
	if _, err := daemonRefName(name); err != nil {
		return nil, fmt.Errorf("no such image: %s: %w", name, err)
	}
	rec, err := lookupImage(ctx, st, name)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("no such image: %s: %w", name, err)
	}
	if err != nil {
		return nil, err
	}
	tags, err := st.AllTags(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return inspectImage(ctx, rec, refsByImage(tags)[rec.ID])
}

// DeleteItem is one element of DELETE /images/{name}'s answer and of a prune's
// ImagesDeleted (types.ImageDeleteResponseItem): one of the two is set.
type DeleteItem struct {
	Untagged string `json:",omitempty"`
	Deleted  string `json:",omitempty"`
}

func deleteItems(recs []deleteRecord) []DeleteItem {
	if len(recs) == 0 {
		return nil
	}
	out := make([]DeleteItem, len(recs))
	for i, r := range recs {
		out[i] = DeleteItem{Untagged: r.untagged, Deleted: r.deleted}
	}
	return out
}

// RemoveImage is DELETE /images/{name}?force=&noprune=: `docker rmi [-f] [--no-prune]
// NAME` for one name, by the same ImageDelete, and the layers no image uses any more
// freed. Errors: a malformed name ErrInvalid, a missing image ErrNotFound ("No such
// image: nosuch:latest"), Docker's conflicts ErrConflict. As the daemon does, a
// failure answers the error alone, whatever was untagged before it.
func RemoveImage(ctx context.Context, st Store, name string, force, noPrune bool) ([]DeleteItem, error) {
	started := time.Now()
	idx, err := loadImageIndex(ctx, st)
	if err != nil {
		return nil, err
	}
	recs, err := idx.imageDelete(ctx, name, force, !noPrune)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.deleted != "" {
			if _, err := st.Release(ctx, idx.released(), started); err != nil {
				return nil, fmt.Errorf("collect unused layers: %w", err)
			}
			break
		}
	}
	return deleteItems(recs), nil
}

// PruneReport is POST /images/prune's answer (types.ImagesPruneReport).
type PruneReport struct {
	ImagesDeleted  []DeleteItem // null when nothing was deleted
	SpaceReclaimed int64
}

// PruneImages is POST /images/prune: `docker image prune` with filters (dangling,
// until, label, label!; no dangling filter means dangling=true), by the same code.
// SpaceReclaimed is, as for the command and as Docker reports it, the content size of
// the layers the prune released (not the bytes freed on disk). now is the clock of an
// until= duration.
func PruneImages(ctx context.Context, st Store, filters Filters, now time.Time) (*PruneReport, error) {
	env := &Env{Store: st, Now: func() time.Time { return now }}
	recs, reclaimed, err := pruneImages(ctx, env, filters.imageFilters())
	if err != nil {
		return nil, err
	}
	return &PruneReport{ImagesDeleted: deleteItems(recs), SpaceReclaimed: reclaimed}, nil
}

// TagImage is POST /images/{name}/tag?repo=&tag=, as the daemon's TagImage: the
// source is resolved first (ErrNotFound "No such image: ..."), then repo is read as a
// normalised name (docker.io/library/lesson is lesson) and tag, when given, replaces
// any tag repo has; none means latest. A repo or tag Docker cannot parse is
// ErrBadReference with Docker's words, which the daemon answers with a 500.
func TagImage(ctx context.Context, st Store, name, repo, tag string) error {
	idx, err := loadImageIndex(ctx, st)
	if err != nil {
		return err
	}
	id, err := idx.resolveImage(name)
	if errors.Is(err, ErrBadReference) {
		// A malformed source is the daemon's GetImage failing: a 400, not the 500 of
		// a malformed target, so not ErrBadReference.
		return invalidf("%s", err)
	}
	if err != nil {
		return err
	}
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return refError(err)
	}
	if tag != "" {
		if named, err = reference.WithTag(reference.TrimNamed(named), tag); err != nil {
			return refError(err)
		}
	}
	if _, ok := named.(reference.Canonical); ok {
		return invalidf("refusing to create a tag with a digest reference")
	}
	named = reference.TagNameOnly(named)
	if reference.FamiliarName(named) == string(digest.Canonical) {
		return invalidf("refusing to create an ambiguous tag using digest algorithm as name")
	}
	ref, err := image.ParseRef(named.String())
	if err != nil {
		return withClass(ErrInvalid, err)
	}
	if err := st.Tag(ctx, ref, id); err != nil {
		if errors.Is(err, build.ErrNotFound) {
			// Removed since it was resolved: as Docker would say.
			shown, nerr := daemonRefName(name)
			if nerr != nil {
				shown = name
			}
			return imageNotFoundError{name: shown}
		}
		return fmt.Errorf("tag %s: %w", ref.Familiar(), err)
	}
	return nil
}
