package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"layerlab/engine/build"
	"layerlab/engine/image"
)

// `inspect` and `image inspect`: the daemon's ImageInspect JSON (types.ImageInspect),
// printed as the CLI's inspect package does: an indented array, or one line per image
// through a --format template.

func init() {
	register(&command{name: "image inspect", use: "image inspect [OPTIONS] IMAGE [IMAGE...]",
		short: "Display detailed information on one or more images", minArgs: 1, maxArgs: -1,
		flags: func(fs *FlagSet) {
			fs.String("format", "f", "", "Format the output using the given Go template")
		},
		run: runInspect})
	register(&command{name: "inspect", use: "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		short: "Return low-level information on Docker objects", minArgs: 1, maxArgs: -1,
		flags: func(fs *FlagSet) {
			fs.String("format", "f", "", "Format the output using the given Go template")
			fs.Bool("size", "s", false, "Display total file sizes if the type is container")
			fs.String("type", "", "", "Return JSON for specified type")
		},
		run: runInspect})
}

// inspectTypes are the object types `docker inspect --type` accepts. layerlab has only
// images, so every other type finds nothing.
var inspectTypes = []string{"config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"}

// imageInspect is types.ImageInspect of Docker 20.10, field for field.
type imageInspect struct {
	ID              string `json:"Id"`
	RepoTags        []string
	RepoDigests     []string
	Parent          string
	Comment         string
	Created         string
	Container       string
	ContainerConfig *image.ContainerConfig
	DockerVersion   string
	Author          string
	Config          *image.ContainerConfig
	Architecture    string
	Variant         string `json:",omitempty"`
	Os              string
	OsVersion       string `json:",omitempty"`
	Size            int64
	VirtualSize     int64
	GraphDriver     graphDriverData
	RootFS          inspectRootFS
	Metadata        imageMetadata
}

// graphDriverData is types.GraphDriverData. layerlab keeps layers as blobs, not in a
// graph driver's directories, so Name is "layerlab" and Data is null where Docker
// shows overlay2's LowerDir/MergedDir/UpperDir/WorkDir.
type graphDriverData struct {
	Data map[string]string
	Name string
}

type inspectRootFS struct {
	Type      string
	Layers    []string `json:",omitempty"`
	BaseLayer string   `json:",omitempty"`
}

type imageMetadata struct {
	LastTagTime time.Time `json:",omitempty"`
}

// inspectImage builds the daemon's answer for one image.
func inspectImage(ctx context.Context, rec *image.Record, tags []image.TagRow) (*imageInspect, error) {
	img, err := rec.ConfigFile(ctx)
	if err != nil {
		return nil, fmt.Errorf("read config of %s: %w", rec.ID, err)
	}
	out := &imageInspect{
		ID:            rec.ID.String(),
		RepoTags:      []string{},
		RepoDigests:   []string{},
		Parent:        rec.Parent.String(),
		Comment:       img.Comment,
		Created:       img.Created.Format(time.RFC3339Nano),
		Container:     img.Container,
		DockerVersion: img.DockerVersion,
		Author:        img.Author,
		Config:        img.Config,
		Architecture:  img.Architecture,
		Variant:       img.Variant,
		Os:            img.OS,
		Size:          rec.Size(),
		VirtualSize:   rec.Size(),
		GraphDriver:   graphDriverData{Name: "layerlab"},
		RootFS:        inspectRootFS{Type: img.RootFS.Type},
	}
	if out.Parent == "" && img.Parent != "" {
		out.Parent = img.Parent.String()
	}
	if out.Os == "" {
		out.Os = "linux"
	}
	// The daemon's image.Image holds container_config by value: an image without one
	// shows every field empty, not null.
	out.ContainerConfig = img.ContainerConfig
	if out.ContainerConfig == nil {
		out.ContainerConfig = &image.ContainerConfig{}
	}
	for _, d := range img.RootFS.DiffIDs {
		out.RootFS.Layers = append(out.RootFS.Layers, d.String())
	}
	for _, t := range tags {
		switch {
		case t.Tag != "":
			out.RepoTags = append(out.RepoTags, t.Ref)
		case strings.Contains(t.Ref, "@"):
			out.RepoDigests = append(out.RepoDigests, t.Ref)
		}
		if t.Created.After(out.Metadata.LastTagTime) {
			out.Metadata.LastTagTime = t.Created
		}
	}
	return out, nil
}

// inspectNotFound is the CLI's objectNotFoundError: "Error: No such image: <as typed>".
type inspectNotFound struct{ object, id string }

func (e inspectNotFound) Error() string { return fmt.Sprintf("Error: No such %s: %s", e.object, e.id) }

// Is makes it ErrNotFound.
func (e inspectNotFound) Is(target error) bool { return target == ErrNotFound }

func runInspect(ctx context.Context, env *Env, fs *FlagSet, args []string) (int, error) {
	object := "image"
	if fs.cmd == "inspect" {
		object = "object" // docker inspect without --type tries every kind of object
		switch typ := flagString(fs, "type"); typ {
		case "":
		default:
			known := false
			for _, t := range inspectTypes {
				known = known || t == typ
			}
			if !known {
				return failed(env, 1, invalidf("%q is not a valid value for --type", typ))
			}
			object = typ
		}
	}
	format := flagString(fs, "format")
	var ins inspector
	if format == "" {
		ins = &indentedInspector{}
	} else {
		tmpl, err := parseTemplate(format)
		if err != nil {
			//lint:ignore ST1005 Docker 20.10's text, word for word
			return failed(env, 64, withClass(ErrTemplate, fmt.Errorf("Template parsing error: %w", err)))
		}
		ins = &templateInspector{tmpl: tmpl}
	}
	tags, err := env.Store.AllTags(ctx)
	if err != nil {
		return daemonError(env, err)
	}
	refs := refsByImage(tags)
	var errs []error
	for _, ref := range args {
		var rec *image.Record
		if _, perr := daemonRefName(ref); perr != nil && object == "image" {
			// The daemon's GetImage fails to parse it; `docker image inspect` prints
			// that error as the daemon words it (`docker inspect` says No such object).
			errs = append(errs, &daemonErr{err: fmt.Errorf("no such image: %s: %w", ref, perr)})
			continue
		}
		if object == "image" || object == "object" {
			rec, err = env.Store.Lookup(ctx, ref)
		} else {
			err = build.ErrNotFound
		}
		if errors.Is(err, build.ErrNotFound) {
			errs = append(errs, inspectNotFound{object: object, id: ref})
			continue
		}
		if err != nil {
			errs = append(errs, &daemonErr{err: err})
			continue
		}
		v, err := inspectImage(ctx, rec, refs[rec.ID])
		if err != nil {
			errs = append(errs, &daemonErr{err: err})
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := ins.inspect(v, raw); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ins.flush(env); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		// One error a line, after the output, as the CLI prints them.
		return failed(env, 1, errors.Join(errs...))
	}
	return 0, nil
}

// inspector is the CLI's inspect.Inspector.
type inspector interface {
	inspect(typed any, raw []byte) error
	flush(env *Env) error
}

// indentedInspector prints the raw JSON of every element as one array indented with
// four spaces; "[]" when there is none.
type indentedInspector struct{ raw [][]byte }

func (i *indentedInspector) inspect(_ any, raw []byte) error {
	i.raw = append(i.raw, raw)
	return nil
}

func (i *indentedInspector) flush(env *Env) error {
	if len(i.raw) == 0 {
		_, err := fmt.Fprint(env.Stdout, "[]\n")
		return err
	}
	var b, out bytes.Buffer
	b.WriteString("[")
	b.Write(bytes.Join(i.raw, []byte(",")))
	b.WriteString("]")
	if err := json.Indent(&out, b.Bytes(), "", "    "); err != nil {
		return fmt.Errorf("indent inspect output: %w", err)
	}
	out.WriteString("\n")
	_, err := out.WriteTo(env.Stdout)
	return err
}

// templateInspector runs a --format template over each element, falling back (as the
// CLI does) to the raw JSON decoded as maps when the typed value lacks a field:
// `{{.Id}}` works although the Go field is ID.
type templateInspector struct {
	tmpl *templateT
	buf  bytes.Buffer
}

func (i *templateInspector) inspect(typed any, raw []byte) error {
	var b bytes.Buffer
	if err := i.tmpl.Execute(&b, typed); err == nil {
		i.buf.Write(b.Bytes())
		i.buf.WriteByte('\n')
		return nil
	}
	var m any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("unable to read inspect data: %v", err)
	}
	b.Reset()
	if err := i.tmpl.Option("missingkey=error").Execute(&b, m); err != nil {
		//lint:ignore ST1005 Docker 20.10's text, word for word
		return withClass(ErrTemplate, fmt.Errorf("Template parsing error: %w", err))
	}
	i.buf.Write(b.Bytes())
	i.buf.WriteByte('\n')
	return nil
}

func (i *templateInspector) flush(env *Env) error {
	if i.buf.Len() == 0 {
		_, err := fmt.Fprint(env.Stdout, "\n")
		return err
	}
	_, err := i.buf.WriteTo(env.Stdout)
	return err
}
