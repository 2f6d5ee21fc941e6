package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/image"
)

// `image rm` / `rmi`: Docker 20.10's ImageDelete (moby daemon/images/image_delete.go)
// over a snapshot of the workspace, and the CLI loop around it (docker/cli
// cli/command/image/remove.go).
//
// layerlab has no containers, so the container conflicts of Docker ("unable to remove
// repository reference ... (must force) - container ... is using its referenced image",
// "image is being used by running/stopped container") cannot arise: every image is, in
// Docker's words, unused.

func init() {
	rmFlags := func(fs *FlagSet) {
		fs.Bool("force", "f", false, "Force removal of the image")
		fs.Bool("no-prune", "", false, "Do not delete untagged parents")
	}
	register(&command{
		name: "image rm", use: "image rm [OPTIONS] IMAGE [IMAGE...]", short: "Remove one or more images",
		minArgs: 1, maxArgs: -1, flags: rmFlags, run: runRemove,
		aliases: []string{"image rmi", "image remove"},
	})
	// docker rmi is its own cobra command: its help has its own usage line and no aliases.
	register(&command{
		name: "rmi", use: "rmi [OPTIONS] IMAGE [IMAGE...]", short: "Remove one or more images",
		minArgs: 1, maxArgs: -1, flags: rmFlags, run: runRemove,
	})
}

func runRemove(ctx context.Context, env *Env, fs *FlagSet, args []string) (int, error) {
	force, prune := flagBool(fs, "force"), !flagBool(fs, "no-prune")
	started := time.Now()
	idx, err := loadImageIndex(ctx, env.Store)
	if err != nil {
		return daemonError(env, err)
	}
	var errs []error
	fatal := false
	deleted := false
	for _, arg := range args {
		recs, err := idx.imageDelete(ctx, arg, force, prune)
		for _, r := range recs {
			if r.deleted != "" {
				deleted = true
				fmt.Fprintf(env.Stdout, "Deleted: %s\n", r.deleted)
			} else {
				fmt.Fprintf(env.Stdout, "Untagged: %s\n", r.untagged)
			}
		}
		if err != nil {
			var nf *missingImageError
			if errors.As(err, &nf) {
				// The client's own wording for a 404, with the name as typed.
				errs = append(errs, withClass(ErrNotFound, errors.New("Error: No such image: "+arg)))
			} else {
				fatal = true
				errs = append(errs, &daemonErr{err: err})
			}
		}
	}
	if deleted {
		// Docker frees a released layer's files at once; so does layerlab, for the
		// blobs no remaining image (in any workspace) uses.
		if _, err := env.Store.Release(ctx, idx.released(), started); err != nil {
			errs = append(errs, fmt.Errorf("Error: collect unused layers: %w", err))
			fatal = true
		}
	}
	if len(errs) == 0 {
		return 0, nil
	}
	// One error a line, as the CLI prints them (errors.Join's text).
	err = errors.Join(errs...)
	if force && !fatal {
		// docker rmi -f exits 0 when every error was a missing image: no failure.
		fmt.Fprintln(env.Stderr, err)
		return 0, nil
	}
	return failed(env, 1, err)
}

// deleteRecord is one line of ImageDelete's answer: an untagged reference or a deleted
// image ID or layer chain ID.
type deleteRecord struct {
	untagged string
	deleted  string
}

// missingImageError is Docker's ErrImageDoesNotExist, which words ref as the daemon does
// ("nope:latest", "sha256:<hex>"). format.go's noSuchImageError keeps the name as typed,
// which is right for the commands that print the client's wording, not for tag.
type missingImageError struct {
	ref reference.Reference
}

// Is makes it ErrNotFound.
func (e *missingImageError) Is(target error) bool { return target == ErrNotFound }

func (e *missingImageError) Error() string {
	ref := e.ref
	if n, ok := ref.(reference.Named); ok {
		ref = reference.TagNameOnly(n)
	}
	return "No such image: " + reference.FamiliarString(ref)
}

// errStillReferenced: the image gained a tag (another process) after it was looked at.
var errStillReferenced = errors.New("image is still referenced")

// deleteConflict is Docker's imageDeleteConflict. reason is one of ErrHasChildren,
// ErrMultipleRefs and ErrBuildHolds, whose text is Docker's message.
type deleteConflict struct {
	hard   bool
	id     digest.Digest
	reason error
}

// Is makes it ErrConflict, and its reason.
func (c *deleteConflict) Is(target error) bool { return target == ErrConflict || target == c.reason }

func (c *deleteConflict) Error() string {
	how := "must be forced"
	if c.hard {
		how = "cannot be forced"
	}
	return fmt.Sprintf("conflict: unable to delete %s (%s) - %s", image.ShortID(c.id), how, c.reason)
}

// upperRepoErr matches distribution/reference's current wording for an upper-case
// repository name; Docker 20.10's vendored copy did not name the repository.
var upperRepoErr = regexp.MustCompile(`^invalid reference format: repository name \(.*\) must be lowercase$`)

// refError rewords a reference parse error as Docker 20.10 printed it, classed
// ErrInvalid and ErrBadReference. It is for parse errors only: it classes whatever it is
// given.
func refError(err error) error {
	if upperRepoErr.MatchString(err.Error()) {
		err = errors.New("invalid reference format: repository name must be lowercase")
	}
	return withClass(ErrInvalid, withClass(ErrBadReference, err))
}

// imageIndex is a snapshot of a workspace's images and tags, kept current as the
// commands untag and delete, so that several deletions in one command see each other's
// effects as Docker's daemon does.
type imageIndex struct {
	st       Store
	order    []digest.Digest // newest first, as Store.Images
	images   map[digest.Digest]*image.Record
	children map[digest.Digest]int
	refs     map[digest.Digest][]reference.Named // sorted as Docker's reference store
	byRef    map[string]digest.Digest            // normalised reference -> image
	layers   map[digest.Digest]int               // layer chain ID -> images whose rootfs holds it
	loaded   map[digest.Digest]*image.Record     // every image when the index was read
}

// loadImageIndex reads every image and tag of the store.
func loadImageIndex(ctx context.Context, st Store) (*imageIndex, error) {
	recs, err := st.Images(ctx)
	if err != nil {
		return nil, err
	}
	tags, err := st.AllTags(ctx)
	if err != nil {
		return nil, err
	}
	x := &imageIndex{st: st, images: map[digest.Digest]*image.Record{}, loaded: map[digest.Digest]*image.Record{}, children: map[digest.Digest]int{},
		refs: map[digest.Digest][]reference.Named{}, byRef: map[string]digest.Digest{}, layers: map[digest.Digest]int{}}
	for _, r := range recs {
		x.order = append(x.order, r.ID)
		x.images[r.ID] = r
		x.loaded[r.ID] = r
	}
	for _, r := range recs {
		if _, ok := x.images[r.Parent]; ok {
			x.children[r.Parent]++
		}
		for _, c := range chainIDs(r) {
			x.layers[c]++
		}
	}
	for _, t := range tags {
		n, err := reference.ParseNormalizedNamed(t.Ref)
		if err != nil {
			return nil, fmt.Errorf("stored tag %q: %w", t.Ref, err)
		}
		if _, ok := x.images[t.ID]; !ok {
			continue
		}
		x.byRef[n.String()] = t.ID
		x.refs[t.ID] = append(x.refs[t.ID], n)
	}
	for id := range x.refs {
		sortRefs(x.refs[id])
	}
	return x, nil
}

// sortRefs orders references as Docker's reference store does: by full name.
func sortRefs(refs []reference.Named) {
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
}

// chainIDs are the chain IDs of an image's layers, base first: Docker's layer store
// keeps one layer per chain ID, and a layer lives while any image's rootfs holds it.
func chainIDs(r *image.Record) []digest.Digest {
	diffs := r.DiffIDs()
	out := make([]digest.Digest, len(diffs))
	for i := range diffs {
		out[i] = build.ChainID(diffs[:i+1])
	}
	return out
}

// resolveImage finds the image a name or ID means, as Docker's GetImage does: a full
// ID (with or without "sha256:"), then a tag or digest reference, then a unique ID
// prefix. A malformed reference is an error of its own (Docker answers it with
// "invalid reference format ..."); a name that matches nothing is a
// *missingImageError. Unlike layerlab's store, Docker reports an ambiguous ID prefix as
// "No such image" too.
func (x *imageIndex) resolveImage(s string) (digest.Digest, error) {
	ref, err := reference.ParseAnyReference(s)
	if err != nil {
		return "", refError(err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		d, ok := ref.(reference.Digested)
		if ok {
			if _, ok := x.images[d.Digest()]; ok {
				return d.Digest(), nil
			}
		}
		return "", &missingImageError{ref: ref}
	}
	if id, ok := x.byRef[reference.TagNameOnly(named).String()]; ok {
		return id, nil
	}
	if image.LooksLikeID(s) {
		hex := strings.TrimPrefix(s, "sha256:")
		var found []digest.Digest
		for id := range x.images {
			if strings.HasPrefix(id.Encoded(), hex) {
				found = append(found, id)
			}
		}
		if len(found) == 1 {
			return found[0], nil
		}
	}
	return "", &missingImageError{ref: ref}
}

// isImageIDPrefix reports whether s names id by ID rather than by reference.
func isImageIDPrefix(id digest.Digest, s string) bool {
	return strings.HasPrefix(id.String(), s) || strings.HasPrefix(id.Encoded(), s)
}

// isSingleReference: all references are in one repository, with at most one tag.
func isSingleReference(refs []reference.Named) bool {
	if len(refs) <= 1 {
		return len(refs) == 1
	}
	var single reference.Named
	canonical := map[string]bool{}
	for _, r := range refs {
		if _, ok := r.(reference.Canonical); ok {
			canonical[r.Name()] = true
		} else if single == nil {
			single = r
		} else {
			return false
		}
	}
	if single == nil {
		single = refs[0]
	}
	return len(canonical) == 1 && canonical[single.Name()]
}

// imageDelete is Docker's ImageDelete: remove what s names, and return what was
// untagged and deleted in order. Records made before an error are returned with it.
func (x *imageIndex) imageDelete(ctx context.Context, s string, force, prune bool) ([]deleteRecord, error) {
	id, err := x.resolveImage(s)
	if err != nil {
		return nil, err
	}
	var recs []deleteRecord
	removedRef := false
	if !isImageIDPrefix(id, s) {
		// By reference: untag it first. (Docker refuses here, unless forced, when a
		// container uses the image through its only reference; layerlab has none.)
		named, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			return nil, refError(err)
		}
		named = reference.TagNameOnly(named)
		if err := x.untag(ctx, named); err != nil {
			return nil, err
		}
		recs = append(recs, deleteRecord{untagged: reference.FamiliarString(named)})
		// A removed tag takes the digest references of its repository with it, when
		// no other tag of that repository names the image.
		if _, canonical := named.(reference.Canonical); !canonical {
			sameRepoTag := false
			for _, r := range x.refs[id] {
				if _, c := r.(reference.Canonical); !c && r.Name() == named.Name() {
					sameRepoTag = true
					break
				}
			}
			if !sameRepoTag {
				for _, r := range append([]reference.Named(nil), x.refs[id]...) {
					if _, c := r.(reference.Canonical); c && r.Name() == named.Name() {
						if err := x.untag(ctx, r); err != nil {
							return recs, err
						}
						recs = append(recs, deleteRecord{untagged: reference.FamiliarString(r)})
					}
				}
			}
		}
		if len(x.refs[id]) > 0 {
			return recs, nil
		}
		removedRef = true
	} else if isSingleReference(x.refs[id]) {
		// By ID with one tag (and digests of its repository): untag all, unless a hard
		// conflict stops the deletion anyway.
		if c := x.conflict(id, false); c != nil {
			return nil, c
		}
		for _, r := range append([]reference.Named(nil), x.refs[id]...) {
			if err := x.untag(ctx, r); err != nil {
				return recs, err
			}
			recs = append(recs, deleteRecord{untagged: reference.FamiliarString(r)})
		}
	}
	err = x.deleteHelper(ctx, id, &recs, force, prune, removedRef)
	return recs, err
}

// conflict is Docker's checkImageDeleteConflict without containers: a child image is a
// hard conflict; a remaining reference is a soft one, checked when soft is set.
func (x *imageIndex) conflict(id digest.Digest, soft bool) *deleteConflict {
	if x.children[id] > 0 {
		return &deleteConflict{hard: true, id: id, reason: ErrHasChildren}
	}
	if soft && len(x.refs[id]) > 0 {
		return &deleteConflict{id: id, reason: ErrMultipleRefs}
	}
	return nil
}

// deleteHelper is Docker's imageDeleteHelper: delete id (its remaining references
// first) unless a conflict stops it, then, with prune, its parent if nothing else needs
// it. quiet swallows the conflicts of an image that is not dangling.
func (x *imageIndex) deleteHelper(ctx context.Context, id digest.Digest, recs *[]deleteRecord, force, prune, quiet bool) error {
	if c := x.conflict(id, !force); c != nil {
		dangling := len(x.refs[id]) == 0 && x.children[id] == 0
		if quiet && !dangling {
			return nil
		}
		return c
	}
	parent := x.images[id].Parent
	for _, r := range append([]reference.Named(nil), x.refs[id]...) {
		if err := x.untag(ctx, r); err != nil {
			return err
		}
		*recs = append(*recs, deleteRecord{untagged: reference.FamiliarString(r)})
	}
	released, err := x.deleteImage(ctx, id)
	if errors.Is(err, errStillReferenced) {
		return nil // tagged meanwhile: Docker stops after untagging too
	}
	var dc *deleteConflict
	if quiet && errors.As(err, &dc) {
		return nil // a parent that cannot go now (held by a build) stays, silently
	}
	if err != nil {
		return err
	}
	*recs = append(*recs, deleteRecord{deleted: id.String()})
	for _, c := range released {
		*recs = append(*recs, deleteRecord{deleted: c.String()})
	}
	if !prune || parent == "" {
		return nil
	}
	if _, ok := x.images[parent]; !ok {
		return nil
	}
	return x.deleteHelper(ctx, parent, recs, false, true, true)
}

// untag removes a reference from the store and the index. A reference that is
// already gone is not an error (Docker's removal is idempotent too).
func (x *imageIndex) untag(ctx context.Context, n reference.Named) error {
	id, ok := x.byRef[n.String()]
	ref, err := image.ParseRef(n.String())
	if err != nil {
		return err
	}
	if _, err := x.st.Untag(ctx, ref); err != nil && !errors.Is(err, build.ErrNotFound) {
		return err
	}
	if !ok {
		return nil
	}
	delete(x.byRef, n.String())
	refs := x.refs[id][:0]
	for _, r := range x.refs[id] {
		if r.String() != n.String() {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		delete(x.refs, id)
	} else {
		x.refs[id] = refs
	}
	return nil
}

// deleteImage deletes an image from the store and the index and returns the layer
// chain IDs it released (no remaining image holds them), top layer first, as Docker's
// layer store reports them.
func (x *imageIndex) deleteImage(ctx context.Context, id digest.Digest) ([]digest.Digest, error) {
	if err := x.st.DeleteImage(ctx, id); err != nil {
		// The snapshot is older than the store: another process may have added a
		// child or a tag, or deleted the image, since.
		if kids, cerr := x.st.Children(ctx, id, 1); cerr == nil && len(kids) > 0 {
			return nil, &deleteConflict{hard: true, id: id, reason: ErrHasChildren}
		}
		if tags, terr := x.st.TagsOf(ctx, id); terr == nil && len(tags) > 0 {
			return nil, errStillReferenced
		}
		if errors.Is(err, build.ErrHeld) {
			// Held by a build in progress (its newest step image): like an image a
			// running container uses, it cannot be removed now.
			return nil, &deleteConflict{hard: true, id: id, reason: ErrBuildHolds}
		}
		if errors.Is(err, build.ErrNotFound) {
			// Deleted meanwhile (a concurrent rmi or prune): Docker skips it too.
			if d, derr := reference.ParseAnyReference(id.String()); derr == nil {
				return nil, &missingImageError{ref: d}
			}
		}
		return nil, err
	}
	rec := x.images[id]
	delete(x.images, id)
	if _, ok := x.images[rec.Parent]; ok {
		x.children[rec.Parent]--
	}
	for i, o := range x.order {
		if o == id {
			x.order = append(x.order[:i:i], x.order[i+1:]...)
			break
		}
	}
	chain := chainIDs(rec)
	var released []digest.Digest
	for i := len(chain) - 1; i >= 0; i-- {
		x.layers[chain[i]]--
		if x.layers[chain[i]] <= 0 {
			delete(x.layers, chain[i])
			released = append(released, chain[i])
		}
	}
	return released, nil
}

// released lists the layer blobs of the images deleted since the index was loaded.
func (x *imageIndex) released() []digest.Digest {
	var out []digest.Digest
	seen := map[digest.Digest]bool{}
	for id, rec := range x.loaded {
		if _, still := x.images[id]; still {
			continue
		}
		for _, l := range rec.Layers {
			if !seen[l.DiffID] {
				seen[l.DiffID] = true
				out = append(out, l.DiffID)
			}
		}
	}
	return out
}
