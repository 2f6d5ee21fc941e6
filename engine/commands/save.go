package commands

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/archive"
	"layerlab/engine/build"
	"layerlab/engine/image"
)

// `save` / `image save`: the CLI refuses a terminal and checks the output path
// (docker/cli's image/save.go); the daemon resolves the names as moby's tarexport
// parseNames does and streams the archive.

func init() {
	for _, name := range []string{"save", "image save"} {
		register(&command{name: name, use: name + " [OPTIONS] IMAGE [IMAGE...]",
			short:   "Save one or more images to a tar archive (streamed to STDOUT by default)",
			minArgs: 1, maxArgs: -1, run: runSave,
			flags: func(fs *FlagSet) {
				fs.String("output", "o", "", "Write to a file, instead of STDOUT")
			}})
	}
}

// errReferenceNotExist is the reference store's ErrDoesNotExist, which the daemon
// returns for an unknown name:tag.
var errReferenceNotExist = withClass(ErrNotFound, errors.New("reference does not exist"))

func runSave(ctx context.Context, env *Env, fs *FlagSet, args []string) (int, error) {
	output := flagString(fs, "output")
	if output == "" && stdoutIsTerminal(env) {
		return failed(env, 1, usageErrorf("cowardly refusing to save to a terminal. Use the -o flag or redirect"))
	}
	if output != "" {
		if dir := filepath.Dir(output); dir != "" {
			if fi, err := os.Stat(dir); err != nil {
				return failed(env, 1, invalidf("failed to save image: invalid output path: directory %q does not exist", dir))
			} else if !fi.IsDir() {
				return failed(env, 1, invalidf("failed to save image: invalid output path: %q is not a directory", dir))
			}
		}
	}
	items, err := saveItems(ctx, env.Store, args)
	if err != nil {
		return daemonError(env, err)
	}
	if output == "" {
		if err := archive.Save(ctx, env.Stdout, env.Store, items); err != nil {
			return failed(env, 1, err)
		}
		return 0, nil
	}
	if err := saveFile(ctx, env.Store, output, items); err != nil {
		return failed(env, 1, err)
	}
	return 0, nil
}

// saveFile writes the archive next to output and renames it into place, as the CLI's
// CopyToFile does, so a failed save leaves no partial file.
func saveFile(ctx context.Context, st Store, output string, items []archive.Item) error {
	f, err := os.CreateTemp(filepath.Dir(output), ".docker_temp_")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := archive.Save(ctx, f, st, items); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), output)
}

// SaveItems is saveItems for the Engine API's GET /images/get (handlers), which
// streams the same archive as `save` writes for the same names.
func SaveItems(ctx context.Context, st Store, names []string) ([]archive.Item, error) {
	return saveItems(ctx, st, names)
}

// saveItems resolves the names as the daemon does: name:tag (or name@digest) saves
// that image with that tag; a bare name saves every image of the repository with
// its tags, or the image whose ID it prefixes; an ID saves the image without tags.
// An image named twice is saved once with all its tags.
func saveItems(ctx context.Context, st Store, names []string) ([]archive.Item, error) {
	var items []archive.Item
	at := map[digest.Digest]int{}
	add := func(rec *image.Record, tag string) {
		i, ok := at[rec.ID]
		if !ok {
			i = len(items)
			at[rec.ID] = i
			items = append(items, archive.Item{Record: rec})
		}
		if tag == "" {
			return
		}
		for _, t := range items[i].Tags {
			if t == tag {
				return
			}
		}
		items[i].Tags = append(items[i].Tags, tag)
	}
	var tags []image.TagRow
	for _, name := range names {
		ref, err := reference.ParseAnyReference(name)
		if err != nil {
			return nil, withClass(ErrInvalid, err)
		}
		named, ok := ref.(reference.Named)
		if !ok || reference.FamiliarName(named) == string(digest.Canonical) {
			rec, err := lookupID(ctx, st, name)
			if err != nil {
				return nil, err
			}
			add(rec, "")
			continue
		}
		if reference.IsNameOnly(named) {
			if tags == nil {
				if tags, err = st.AllTags(ctx); err != nil {
					return nil, err
				}
			}
			found := false
			for _, t := range tags {
				if t.Repository != reference.FamiliarName(named) {
					continue
				}
				rec, err := st.Image(ctx, t.ID)
				if err != nil {
					return nil, err
				}
				found = true
				if t.Tag != "" {
					add(rec, t.Ref)
				} else {
					add(rec, "")
				}
			}
			if !found {
				rec, err := lookupID(ctx, st, name)
				if err != nil {
					return nil, err
				}
				add(rec, "")
			}
			continue
		}
		rec, err := st.Lookup(ctx, named.String())
		if errors.Is(err, build.ErrNotFound) {
			return nil, errReferenceNotExist
		}
		if err != nil {
			return nil, err
		}
		tag := ""
		if _, ok := named.(reference.Tagged); ok {
			tag = reference.FamiliarString(named)
		}
		add(rec, tag)
	}
	return items, nil
}

// lookupID is the image store's Search: a full ID or a unique prefix of one.
func lookupID(ctx context.Context, st Store, name string) (*image.Record, error) {
	if image.LooksLikeID(name) {
		rec, err := st.Lookup(ctx, name)
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, build.ErrNotFound) {
			return nil, err
		}
	}
	return nil, imageNotFoundError{name: name}
}

// stdoutIsTerminal reports whether env.Stdout is a terminal: a writer that says so
// (IsTerminal, as the web terminal's can), or an *os.File on a character device.
func stdoutIsTerminal(env *Env) bool {
	switch w := env.Stdout.(type) {
	case interface{ IsTerminal() bool }:
		return w.IsTerminal()
	case *os.File:
		fi, err := w.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	return false
}
