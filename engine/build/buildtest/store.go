// Package buildtest holds an in-memory build.Store for the engine's tests: the engine
// builds and tests with no SQLite, HTTP or browser.
package buildtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/image"
	"layerlab/engine/standin"
)

// Store is an in-memory build.Store.
type Store struct {
	mu     sync.Mutex
	images map[digest.Digest]*image.Record
	tags   map[string]digest.Digest // normalised ref -> id
	tagged map[string]time.Time     // when each tag was set
	blobs  map[digest.Digest][]byte
	// generated holds the blobs stored as generated content (build.GeneratedStore):
	// no bytes, a recipe that makes them when OpenBlob reads them.
	generated map[digest.Digest]generatedBlob
	measured  map[digest.Digest]generatedBlob // stand-in fingerprint -> diffID and size
	// Now is the clock for tag times (time.Now when nil).
	Now   func() time.Time
	holds map[digest.Digest]map[string]bool
}

var (
	_ build.Store          = (*Store)(nil)
	_ build.GeneratedStore = (*Store)(nil)
)

type generatedBlob struct {
	d      digest.Digest
	size   int64
	recipe string
}

// New returns an empty store.
func New() *Store {
	return &Store{images: map[digest.Digest]*image.Record{}, tags: map[string]digest.Digest{},
		tagged: map[string]time.Time{}, blobs: map[digest.Digest][]byte{},
		generated: map[digest.Digest]generatedBlob{}, measured: map[digest.Digest]generatedBlob{}}
}

// Image implements build.Store.
func (s *Store) Image(_ context.Context, id digest.Digest) (*image.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.images[id]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("image %s: %w", id, build.ErrNotFound)
}

// Lookup implements build.Store: tag, full ID or unique ID prefix.
func (s *Store) Lookup(ctx context.Context, ref string) (*image.Record, error) {
	s.mu.Lock()
	if r, err := image.ParseRef(ref); err == nil {
		if id, ok := s.tags[r.String()]; ok {
			s.mu.Unlock()
			return s.Image(ctx, id)
		}
	}
	var found []digest.Digest
	if image.LooksLikeID(ref) {
		h := strings.TrimPrefix(ref, "sha256:")
		for id := range s.images {
			if strings.HasPrefix(id.Encoded(), h) {
				found = append(found, id)
			}
		}
	}
	s.mu.Unlock()
	if len(found) == 1 {
		return s.Image(ctx, found[0])
	}
	//lint:ignore ST1005 Docker 20.10's text, word for word
	return nil, fmt.Errorf("No such image: %s: %w", ref, build.ErrNotFound)
}

// Cached implements build.Store.
func (s *Store) Cached(_ context.Context, parent digest.Digest, key string) (*image.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *image.Record
	for _, r := range s.images {
		if r.Parent == parent && r.CacheKey == key && r.CacheKey != "" {
			if best == nil || r.Created.After(best.Created) {
				best = r
			}
		}
	}
	if best == nil {
		return nil, build.ErrNotFound
	}
	return best, nil
}

// Children implements build.Store.
func (s *Store) Children(_ context.Context, parent digest.Digest, limit int) ([]*image.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*image.Record
	for _, r := range s.images {
		if r.Parent == parent && r.CacheKey != "" {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// PutBlob implements build.Store.
func (s *Store) PutBlob(_ context.Context, d digest.Digest, r io.Reader) (digest.Digest, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", 0, err
	}
	got := digest.FromBytes(b)
	if d != "" && d != got {
		return "", 0, fmt.Errorf("blob digest mismatch: want %s, got %s", d, got)
	}
	s.mu.Lock()
	s.blobs[got] = b
	s.mu.Unlock()
	return got, int64(len(b)), nil
}

// OpenBlob implements build.Store.
func (s *Store) OpenBlob(_ context.Context, d digest.Digest) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[d]
	if ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	if g, ok := s.generated[d]; ok {
		r, err := standin.ParseRecipe(g.recipe)
		if err != nil {
			return nil, err
		}
		return standin.Open(r, d, g.size)
	}
	return nil, fmt.Errorf("blob %s: %w", d, build.ErrNotFound)
}

// PutGenerated implements build.GeneratedStore.
func (s *Store) PutGenerated(_ context.Context, d digest.Digest, size int64, recipe string) error {
	if _, err := standin.ParseRecipe(recipe); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blobs[d]; !ok {
		s.generated[d] = generatedBlob{d: d, size: size, recipe: recipe}
	}
	return nil
}

// StandInLayer implements build.GeneratedStore.
func (s *Store) StandInLayer(_ context.Context, fp digest.Digest) (digest.Digest, int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.measured[fp]
	return g.d, g.size, ok, nil
}

// RememberStandInLayer implements build.GeneratedStore.
func (s *Store) RememberStandInLayer(_ context.Context, fp, d digest.Digest, size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.measured[fp] = generatedBlob{d: d, size: size}
	return nil
}

// Generated reports whether blob d is held as generated content (no bytes).
func (s *Store) Generated(d digest.Digest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.generated[d]
	return ok
}

// PutImage implements build.Store.
func (s *Store) PutImage(_ context.Context, r *image.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range r.Layers {
		_, stored := s.blobs[l.DiffID]
		if _, gen := s.generated[l.DiffID]; !stored && !gen {
			return fmt.Errorf("put image %s: layer %s: %w", r.ID, l.DiffID, build.ErrNotFound)
		}
	}
	if _, ok := s.images[r.ID]; !ok {
		s.images[r.ID] = r
	}
	return nil
}

// Tag implements build.Store.
func (s *Store) Tag(_ context.Context, ref image.Ref, id digest.Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.images[id]; !ok {
		return fmt.Errorf("tag %s: %w", ref.Familiar(), build.ErrNotFound)
	}
	if s.tags[ref.String()] != id {
		now := time.Now()
		if s.Now != nil {
			now = s.Now()
		}
		s.tagged[ref.String()] = now
	}
	s.tags[ref.String()] = id
	return nil
}

// Tags returns the tags pointing at id, familiar forms, sorted.
func (s *Store) Tags(id digest.Digest) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t, i := range s.tags {
		if i == id {
			r, _ := image.ParseRef(t)
			out = append(out, r.Familiar())
		}
	}
	sort.Strings(out)
	return out
}

// Len is the number of images (`docker image ls -a` count).
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.images)
}

// Dangling counts images with no tag and no child (`image ls -f dangling=true`).
func (s *Store) Dangling() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	tagged := map[digest.Digest]bool{}
	for _, id := range s.tags {
		tagged[id] = true
	}
	parents := map[digest.Digest]bool{}
	for _, r := range s.images {
		parents[r.Parent] = true
	}
	n := 0
	for id := range s.images {
		if !tagged[id] && !parents[id] {
			n++
		}
	}
	return n
}

// Rows is the number of rows `docker image ls -a` prints: one per tag, and one for
// each untagged image.
func (s *Store) Rows() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	tags := map[digest.Digest]int{}
	for _, id := range s.tags {
		tags[id]++
	}
	n := 0
	for id := range s.images {
		if tags[id] > 0 {
			n += tags[id]
		} else {
			n++
		}
	}
	return n
}

// Images returns every image, newest first (commands.Store).
func (s *Store) Images(_ context.Context) ([]*image.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*image.Record, 0, len(s.images))
	for _, r := range s.images {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// AllTags returns every tag (commands.Store).
func (s *Store) AllTags(_ context.Context) ([]image.TagRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []image.TagRow
	for t, id := range s.tags {
		r, _ := image.ParseRef(t)
		out = append(out, image.TagRow{Ref: r.Familiar(), Repository: r.Repository(), Tag: r.Tag(), ID: id, Created: s.tagged[t]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out, nil
}

// TagsOf returns the familiar tags of id, sorted (commands.Store).
func (s *Store) TagsOf(_ context.Context, id digest.Digest) ([]string, error) {
	return s.Tags(id), nil
}

// Untag removes a tag and returns the image it named (commands.Store).
func (s *Store) Untag(_ context.Context, ref image.Ref) (digest.Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.tags[ref.String()]
	if !ok {
		return "", fmt.Errorf("untag %s: %w", ref.Familiar(), build.ErrNotFound)
	}
	delete(s.tags, ref.String())
	return id, nil
}

// DeleteImage removes an image that has no tag and is no other image's parent
// (commands.Store).
func (s *Store) DeleteImage(_ context.Context, id digest.Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.images[id]; !ok {
		return fmt.Errorf("delete %s: %w", id, build.ErrNotFound)
	}
	for _, r := range s.images {
		if r.Parent == id {
			return fmt.Errorf("delete %s: %w", id, ErrHasChildren)
		}
	}
	for _, i := range s.tags {
		if i == id {
			return fmt.Errorf("delete %s: %w", id, ErrHasTags)
		}
	}
	if len(s.holds[id]) > 0 {
		return fmt.Errorf("delete %s: %w", id, ErrHeld)
	}
	delete(s.images, id)
	return nil
}

// ErrHasTags is DeleteImage's refusal of an image that still has tags.
var ErrHasTags = errors.New("image is tagged")

// ErrHasChildren is DeleteImage's refusal of an image that is another's parent.
var ErrHasChildren = errors.New("image has dependent child images")

// Release removes, of blobs, those no image references and returns the bytes freed
// (commands.Store). The in-memory store has no concurrent writers, so before is unused.
func (s *Store) Release(_ context.Context, blobs []digest.Digest, _ time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	candidate := map[digest.Digest]bool{}
	for _, d := range blobs {
		candidate[d] = true
	}
	used := map[digest.Digest]bool{}
	for _, r := range s.images {
		for _, l := range r.Layers {
			used[l.DiffID] = true
		}
	}
	var freed int64
	for d, b := range s.blobs {
		if !used[d] && candidate[d] {
			freed += int64(len(b))
			delete(s.blobs, d)
		}
	}
	// Generated blobs take part as stored ones do, and count their recorded size: the
	// space the daemon the store stands for would free (db does the same).
	for d, g := range s.generated {
		if !used[d] && candidate[d] {
			freed += g.size
			delete(s.generated, d)
		}
	}
	return freed, nil
}

// GC removes every blob no image references (commands.Store); the in-memory store has
// no concurrent writers to leave time for.
func (s *Store) GC(ctx context.Context) (int64, error) {
	s.mu.Lock()
	all := make([]digest.Digest, 0, len(s.blobs)+len(s.generated))
	for d := range s.blobs {
		all = append(all, d)
	}
	for d := range s.generated {
		all = append(all, d)
	}
	s.mu.Unlock()
	return s.Release(ctx, all, time.Now())
}

// Hold marks id as held by holder (build.Store).
func (s *Store) Hold(_ context.Context, holder string, id digest.Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holds == nil {
		s.holds = map[digest.Digest]map[string]bool{}
	}
	if s.holds[id] == nil {
		s.holds[id] = map[string]bool{}
	}
	s.holds[id][holder] = true
	return nil
}

// Unhold releases holder's holds (build.Store).
func (s *Store) Unhold(_ context.Context, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, hs := range s.holds {
		delete(hs, holder)
		if len(hs) == 0 {
			delete(s.holds, id)
		}
	}
	return nil
}

// ErrHeld is DeleteImage's refusal of an image a running build holds.
var ErrHeld = build.ErrHeld
