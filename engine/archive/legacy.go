package archive

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// ErrEmptyExport is Docker 20.10's refusal to save an image without layers (FROM
// scratch with no file added): its legacy layout has nowhere to put the config.
var ErrEmptyExport = errors.New("empty export - not implemented")

// SaveLegacy writes items as Docker 20.10's daemon streams `docker save` (moby's
// image/tarexport before Docker 25's OCI layout): one directory per layer, named by
// the layer's v1 ID, holding VERSION ("1.0"), json (the v1 image) and layer.tar (the
// layer, uncompressed; a layer saved already is a symlink to the first copy); the
// config as <ID>.json; manifest.json ([{"Config","RepoTags","Layers"}]) and
// repositories ({"repo":{"tag":"<top v1 ID>"}}), in the order of the daemon's walk
// of its export directory. It is what the Engine API at version 1.41 serves, so the
// tools written against that version (dive looks for */layer.tar) read it; Load reads
// it too.
//
// The v1 IDs are made as the daemon makes them (the sha256 of the v1 JSON with the
// layer's chain ID and the parent's v1 ID, the layers below the top with an empty v1
// image made at the epoch), from layerlab's JSON encoding of it, so they are not
// Docker's byte for byte: only the archive's own links use them.
//
// Nothing is written to w before every image is read and checked: an error that
// comes before the first byte (ErrEmptyExport, an unreadable config) leaves w untouched.
func SaveLegacy(ctx context.Context, w io.Writer, blobs Blobs, items []Item) error {
	epoch := time.Unix(0, 0).UTC()
	type entry struct {
		name  string
		dir   bool
		data  []byte        // a small file
		layer digest.Digest // or a layer, streamed from blobs
		link  string        // or a symlink to a layer written already
		mtime time.Time
	}
	var entries []entry
	saved := map[string]bool{}              // v1 IDs written
	layerPath := map[digest.Digest]string{} // diffID -> its first layer.tar
	var manifest []manifestEntry
	repos := map[string]map[string]string{}
	for _, it := range items {
		rec := it.Record
		raw, err := rec.RawConfig(ctx)
		if err != nil {
			return fmt.Errorf("save %s: read config: %w", image.ShortID(rec.ID), err)
		}
		img, err := rec.ConfigFile(ctx)
		if err != nil {
			return fmt.Errorf("save %s: read config: %w", image.ShortID(rec.ID), err)
		}
		diffIDs := img.RootFS.DiffIDs
		if len(diffIDs) == 0 {
			return ErrEmptyExport
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(raw, &top); err != nil {
			return fmt.Errorf("save %s: read config: %w", image.ShortID(rec.ID), err)
		}
		for _, k := range []string{"rootfs", "history", "id", "parent"} {
			delete(top, k) // not fields of a v1 image
		}
		created := img.Created.UTC()
		me := manifestEntry{Config: rec.ID.Encoded() + ".json", RepoTags: it.Tags}
		var parent, chain digest.Digest
		for i, d := range diffIDs {
			if i == 0 {
				chain = d
			} else {
				chain = digest.FromString(chain.String() + " " + d.String())
			}
			v1 := map[string]json.RawMessage{
				"created":          json.RawMessage(`"1970-01-01T00:00:00Z"`),
				"container_config": json.RawMessage(emptyContainerConfig),
			}
			if i == len(diffIDs)-1 {
				v1 = top
			}
			v1ID, err := legacyID(v1, chain, parent)
			if err != nil {
				return fmt.Errorf("save %s: %w", image.ShortID(rec.ID), err)
			}
			id := v1ID.Encoded()
			me.Layers = append(me.Layers, id+"/layer.tar")
			if !saved[id] {
				saved[id] = true
				doc := map[string]json.RawMessage{}
				for k, v := range v1 {
					doc[k] = v
				}
				doc["id"], _ = json.Marshal(id)
				if parent != "" {
					doc["parent"], _ = json.Marshal(parent.Encoded())
				}
				if img.OS != "" {
					doc["os"], _ = json.Marshal(img.OS)
				}
				jb, err := json.Marshal(doc)
				if err != nil {
					return fmt.Errorf("save %s: %w", image.ShortID(rec.ID), err)
				}
				entries = append(entries,
					entry{name: id + "/", dir: true, mtime: created},
					entry{name: id + "/VERSION", data: []byte("1.0"), mtime: created},
					entry{name: id + "/json", data: jb, mtime: created})
				if first, ok := layerPath[d]; ok {
					entries = append(entries, entry{name: id + "/layer.tar", link: "../" + first, mtime: created})
				} else {
					layerPath[d] = id + "/layer.tar"
					entries = append(entries, entry{name: id + "/layer.tar", layer: d, mtime: created})
				}
			}
			parent = v1ID
		}
		entries = append(entries, entry{name: me.Config, data: raw, mtime: created})
		manifest = append(manifest, me)
		for _, t := range it.Tags {
			ref, err := image.ParseRef(t)
			if err != nil || ref.Tag() == "" {
				continue
			}
			if repos[ref.Repository()] == nil {
				repos[ref.Repository()] = map[string]string{}
			}
			repos[ref.Repository()][ref.Tag()] = parent.Encoded()
		}
	}
	// The daemon writes these two with json.Encoder, so each ends with a newline.
	mb, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	entries = append(entries, entry{name: "manifest.json", data: append(mb, '\n'), mtime: epoch})
	if len(repos) > 0 {
		rb, err := json.Marshal(repos)
		if err != nil {
			return err
		}
		entries = append(entries, entry{name: "repositories", data: append(rb, '\n'), mtime: epoch})
	}
	// The daemon tars its export directory as a walk visits it: each directory's names
	// in lexical order, a directory's content right after it.
	slices.SortStableFunc(entries, func(a, b entry) int {
		return slices.Compare(strings.Split(strings.TrimSuffix(a.name, "/"), "/"), strings.Split(strings.TrimSuffix(b.name, "/"), "/"))
	})

	tw := tar.NewWriter(w)
	for _, e := range entries {
		var err error
		switch {
		case e.dir:
			err = tw.WriteHeader(legacyHeader(tar.TypeDir, e.name, modeDir|0o755, e.mtime))
		case e.link != "":
			h := legacyHeader(tar.TypeSymlink, e.name, modeSymlink|0o777, e.mtime)
			h.Linkname = e.link
			err = tw.WriteHeader(h)
		case e.layer != "":
			if _, err = copyBlob(ctx, tw, blobs, e.layer, *legacyHeader(tar.TypeReg, e.name, modeRegular|0o644, e.mtime)); err != nil {
				err = fmt.Errorf("save layer %s: %w", e.layer, err)
			}
		default:
			h := legacyHeader(tar.TypeReg, e.name, modeRegular|0o644, e.mtime)
			h.Size = int64(len(e.data))
			if err = tw.WriteHeader(h); err == nil {
				_, err = tw.Write(e.data)
			}
		}
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

// The file type bits of a tar header's mode (c_ISDIR, c_ISREG, c_ISLNK of Go's
// archive/tar), which tar.FileInfoHeader sets and so the daemon's archive has.
const (
	modeDir     = 0o40000
	modeRegular = 0o100000
	modeSymlink = 0o120000
)

// legacyHeader is a member's header as the daemon's archive.TarWithOptions writes its
// export directory: owned by root by number and by name (the daemon runs as root and
// looks the names up: `tar -tv` shows root/root), the mode with the file type bits.
func legacyHeader(typ byte, name string, mode int64, mtime time.Time) *tar.Header {
	return &tar.Header{Typeflag: typ, Name: name, Mode: mode, ModTime: mtime, Uname: "root", Gname: "root"}
}

// emptyContainerConfig is the container config of a v1 image made for a layer below
// the top: Docker's zero container.Config, every field it always encodes.
const emptyContainerConfig = `{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,` +
	`"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"",` +
	`"Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}`

// legacyID is a layer's v1 ID as moby's v1.CreateID makes it: the digest of the v1
// image's JSON with layer_id (the chain ID) and parent (the v1 ID below) added.
func legacyID(v1 map[string]json.RawMessage, chain, parent digest.Digest) (digest.Digest, error) {
	m := make(map[string]json.RawMessage, len(v1)+2)
	for k, v := range v1 {
		m[k] = v
	}
	m["layer_id"], _ = json.Marshal(chain.String())
	if parent != "" {
		m["parent"], _ = json.Marshal(parent.String())
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("v1 id: %w", err)
	}
	return digest.FromBytes(b), nil
}
