package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/image"
)

// PrunePlan is what `docker image prune [-a]` would do, worked out without changing
// anything: the prune's own choice of candidates and its own deletions (ImageDelete,
// untagged parents pruned), run over a store that notes untags and deletions instead
// of making them.
type PrunePlan struct {
	// Images are the images the prune would delete, in the order it would delete them.
	Images []PrunedImage
	// Untagged are the references it would remove, as and in the order its report
	// prints them ("untagged: demo:v1"); an image whose references go can stay when an
	// image that stays still has it as parent.
	Untagged []string
	// Bytes is the space it would report reclaimed, as Docker counts it: the content
	// sizes of the layers of the deleted images that no remaining image uses.
	Bytes int64
}

// PrunedImage is one image a prune would delete.
type PrunedImage struct {
	Record *image.Record
	// Refs are the references it has, which the prune removes before deleting it, in
	// the order it removes them.
	Refs []string
	// ParentOf is set when the image is no candidate of its own but goes as the
	// untagged parent of that image, deleted just before it.
	ParentOf digest.Digest
}

// PlanPrune is the dry run of `image prune [-a] [--filter F]...` over st: what the
// command would untag and delete, and the space it would free, by the same rules and
// in the same order (the command runs the same code, for real). now is the clock of an
// until= filter. An image a running build holds is listed, though the real prune leaves
// it.
func PlanPrune(ctx context.Context, st Store, all bool, now time.Time, filters ...string) (*PrunePlan, error) {
	f, _, err := parseImageFilters(filters)
	if err != nil {
		return nil, err
	}
	f.add("dangling", strconv.FormatBool(!all))
	rules, err := parsePruneFilters(f, now)
	if err != nil {
		return nil, err
	}
	dry := &dryRunStore{Store: st, tags: map[string]digest.Digest{}}
	idx, err := loadImageIndex(ctx, dry)
	if err != nil {
		return nil, err
	}
	out, failed, err := rules.prune(ctx, idx, func(id digest.Digest) { dry.candidate = id })
	if err != nil {
		return nil, err
	}
	if len(failed) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(failed, "; "))
	}

	plan := &PrunePlan{}
	for _, r := range out {
		if r.untagged != "" {
			plan.Untagged = append(plan.Untagged, r.untagged)
		}
	}
	refs := map[digest.Digest][]string{}
	var prev digest.Digest
	for _, ev := range dry.events {
		if ev.untagged != "" {
			refs[ev.id] = append(refs[ev.id], ev.untagged)
			continue
		}
		item := PrunedImage{Record: idx.loaded[ev.id], Refs: refs[ev.id]}
		if !ev.candidate && prev != "" && idx.loaded[prev].Parent == ev.id {
			item.ParentOf = prev
		}
		plan.Images = append(plan.Images, item)
		prev = ev.id
	}

	// What the prune will report: Docker's sum of the released layers' content sizes.
	plan.Bytes = idx.spaceReclaimed(out)
	return plan, nil
}

// errDryRun refuses a change a dry run must not make.
var errDryRun = errors.New("a dry run changes nothing")

// dryRunStore reads through to its Store and notes untags and deletions instead of
// making them, so that a command's own code can run as a dry run.
type dryRunStore struct {
	Store
	tags      map[string]digest.Digest // normalised reference -> image, as AllTags read them
	candidate digest.Digest            // the prune candidate being deleted
	events    []dryRunEvent
}

// dryRunEvent is an untag (untagged set) or a deletion of image id.
type dryRunEvent struct {
	id        digest.Digest
	untagged  string // the familiar reference
	candidate bool   // a deletion of the candidate itself, not of a parent
}

func (d *dryRunStore) AllTags(ctx context.Context) ([]image.TagRow, error) {
	tags, err := d.Store.AllTags(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		if r, err := image.ParseRef(t.Ref); err == nil {
			d.tags[r.String()] = t.ID
		}
	}
	return tags, nil
}

func (d *dryRunStore) Untag(_ context.Context, ref image.Ref) (digest.Digest, error) {
	id, ok := d.tags[ref.String()]
	if !ok {
		return "", build.ErrNotFound
	}
	delete(d.tags, ref.String())
	d.events = append(d.events, dryRunEvent{id: id, untagged: ref.Familiar()})
	return id, nil
}

func (d *dryRunStore) DeleteImage(_ context.Context, id digest.Digest) error {
	d.events = append(d.events, dryRunEvent{id: id, candidate: id == d.candidate})
	return nil
}

func (d *dryRunStore) Release(context.Context, []digest.Digest, time.Time) (int64, error) {
	return 0, errDryRun
}

func (d *dryRunStore) GC(context.Context) (int64, error) { return 0, errDryRun }

func (d *dryRunStore) PutBlob(context.Context, digest.Digest, io.Reader) (digest.Digest, int64, error) {
	return "", 0, errDryRun
}

func (d *dryRunStore) PutImage(context.Context, *image.Record) error { return errDryRun }

func (d *dryRunStore) Tag(context.Context, image.Ref, digest.Digest) error { return errDryRun }

func (d *dryRunStore) Hold(context.Context, string, digest.Digest) error { return errDryRun }

func (d *dryRunStore) Unhold(context.Context, string) error { return errDryRun }
