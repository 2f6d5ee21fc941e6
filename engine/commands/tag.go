package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/image"
)

// `tag` / `image tag`: the client checks both references (docker/cli's ImageTag), the
// daemon resolves the source and adds the tag (moby's TagImage and reference store).

func init() {
	for _, name := range []string{"tag", "image tag"} {
		// Two cobra commands in docker: each help shows its own usage line, no aliases.
		register(&command{
			name: name, use: name + " SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
			short:   "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
			minArgs: 2, maxArgs: 2, run: runTag,
		})
	}
}

func runTag(ctx context.Context, env *Env, _ *FlagSet, args []string) (int, error) {
	source, target := args[0], args[1]
	if _, err := reference.ParseAnyReference(source); err != nil {
		return failed(env, 1, fmt.Errorf("Error parsing reference: %q is not a valid repository/tag: %w", source, refError(err))) // Docker's text
	}
	named, err := reference.ParseNormalizedNamed(target)
	if err != nil {
		return failed(env, 1, fmt.Errorf("Error parsing reference: %q is not a valid repository/tag: %w", target, refError(err))) // Docker's text
	}
	if _, ok := named.(reference.Canonical); ok {
		return failed(env, 1, invalidf("refusing to create a tag with a digest reference"))
	}
	named = reference.TagNameOnly(named)
	idx, err := loadImageIndex(ctx, env.Store)
	if err != nil {
		return daemonError(env, err)
	}
	id, err := idx.resolveImage(source)
	if err != nil {
		return daemonError(env, err)
	}
	if reference.FamiliarName(named) == string(digest.Canonical) {
		return daemonError(env, invalidf("refusing to create an ambiguous tag using digest algorithm as name"))
	}
	ref, err := image.ParseRef(named.String())
	if err != nil {
		return daemonError(env, withClass(ErrInvalid, err))
	}
	if err := env.Store.Tag(ctx, ref, id); err != nil {
		if errors.Is(err, build.ErrNotFound) {
			// Removed by another command since it was looked up: as Docker would say.
			name, nerr := daemonRefName(source)
			if nerr != nil {
				name = source
			}
			return daemonError(env, imageNotFoundError{name: name})
		}
		return daemonError(env, err)
	}
	return 0, nil
}
