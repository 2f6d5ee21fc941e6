package commands

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// `image ls` (`images`, `image list`): the daemon's image summaries (ListImages in
// moby's daemon/images/images.go) rendered by the CLI's image formatter
// (cli/command/formatter/image.go), as Docker 20.10 does both.

func init() {
	register(&command{name: "image ls", use: "image ls [OPTIONS] [REPOSITORY[:TAG]]", short: "List images",
		maxArgs: 1, flags: imageLsFlags, run: runImageLs, aliases: []string{"image list"}})
	// `docker images --help` names itself and lists no aliases, so it is its own entry.
	register(&command{name: "images", use: "images [OPTIONS] [REPOSITORY[:TAG]]", short: "List images",
		maxArgs: 1, flags: imageLsFlags, run: runImageLs})
}

func imageLsFlags(fs *FlagSet) {
	fs.Bool("all", "a", false, "Show all images (default hides intermediate images)")
	fs.Bool("digests", "", false, "Show digests")
	fs.List("filter", "f", "filter", "Filter output based on conditions provided")
	fs.String("format", "", "", "Pretty-print images using a Go template")
	fs.Bool("no-trunc", "", false, "Don't truncate output")
	fs.Bool("quiet", "q", false, "Only show image IDs")
}

const (
	defaultImageTableFormat           = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
	defaultImageTableFormatWithDigest = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
	defaultQuietFormat                = "{{.ID}}"
	rawImageFormat                    = "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
	rawImageFormatWithDigest          = "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n"
)

// imageHeader titles the columns of `image ls --format 'table ...'`.
var imageHeader = map[string]string{
	"ID":           "IMAGE ID",
	"Repository":   "REPOSITORY",
	"Tag":          "TAG",
	"Digest":       "DIGEST",
	"CreatedSince": "CREATED",
	"CreatedAt":    "CREATED AT",
	"Size":         "SIZE",
	"Containers":   "CONTAINERS",
	"VirtualSize":  "VIRTUAL SIZE",
	"SharedSize":   "SHARED SIZE",
	"UniqueSize":   "UNIQUE SIZE",
}

// imageListFormat is the CLI's NewImageFormat: what --format (or its absence), -q and
// --digests make of the template.
func imageListFormat(source string, quiet, digests bool) string {
	switch source {
	case "", tableFormatKey:
		switch {
		case quiet:
			return defaultQuietFormat
		case digests:
			return defaultImageTableFormatWithDigest
		default:
			return defaultImageTableFormat
		}
	case "raw":
		switch {
		case quiet:
			return "image_id: {{.ID}}"
		case digests:
			return rawImageFormatWithDigest
		default:
			return rawImageFormat
		}
	}
	if isTableFormat(source) && digests && !strings.Contains(source, "{{.Digest}}") {
		source += "\t{{.Digest}}"
	}
	return source
}

// acceptedImageFilters are the filter keys `image ls` knows.
var acceptedImageFilters = map[string]bool{"dangling": true, "label": true, "before": true, "since": true, "reference": true}

// imageFilters is docker's filters.Args for image ls: each key holds a set of values.
type imageFilters map[string]map[string]bool

func (f imageFilters) add(k, v string) {
	if f[k] == nil {
		f[k] = map[string]bool{}
	}
	f[k][v] = true
}

// values returns a key's values, sorted (docker walks a map; sorting makes it stable).
func (f imageFilters) values(k string) []string {
	var out []string
	for v := range f[k] {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// parseImageFilters reads -f values as the CLI's FilterOpt does: "name=value", the name
// lower-cased, both sides trimmed; an empty value is ignored.
func parseImageFilters(raw []string) (imageFilters, string, error) {
	f := imageFilters{}
	for _, v := range raw {
		if v == "" {
			continue
		}
		name, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, v, withClass(ErrInvalid, errors.New("bad format of filter (expected name=value)"))
		}
		f.add(strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val))
	}
	return f, "", nil
}

// matchLabels is filters.Args.MatchKVList: every "key" or "key=value" must hold.
func (f imageFilters) matchLabels(labels map[string]string) bool {
	want := f["label"]
	if len(want) == 0 {
		return true
	}
	if len(labels) == 0 {
		return false
	}
	for kv := range want {
		k, v, hasV := strings.Cut(kv, "=")
		got, ok := labels[k]
		if !ok || (hasV && got != v) {
			return false
		}
	}
	return true
}

// lister is implemented by stores that can list images without loading their layers
// and build info (db: from one narrow query), which `image ls` of thousands needs.
type lister interface {
	ImageList(ctx context.Context) ([]*image.Record, error)
}

// imageSummary is one image as the daemon lists it: its tags and digests (familiar
// forms), or "<none>" when it has none and is shown anyway.
type imageSummary struct {
	rec         *image.Record
	repoTags    []string // "repo:tag"
	repoDigests []string // "repo@sha256:..."
	dangling    bool     // shown as <none>:<none>
	hasChild    bool     // another image has it as parent
}

// listImages is the daemon's side of `image ls`: which images, which of their
// references, in what order (newest first).
func listImages(ctx context.Context, st Store, f imageFilters, all bool) ([]imageSummary, error) {
	var keys []string
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !acceptedImageFilters[k] {
			return nil, invalidf("Invalid filter '%s'", k)
		}
	}
	danglingOnly := false
	if d := f["dangling"]; len(d) > 0 {
		if d["true"] {
			danglingOnly = true
		} else if !d["false"] {
			return nil, invalidf("Invalid filter 'dangling=%v'", f.values("dangling"))
		}
	}
	var before, after *image.Record
	for _, v := range f.values("before") {
		rec, err := lookupImage(ctx, st, v)
		if err != nil {
			return nil, err
		}
		before = rec
	}
	for _, v := range f.values("since") {
		rec, err := lookupImage(ctx, st, v)
		if err != nil {
			return nil, err
		}
		after = rec
	}
	var recs []*image.Record
	var err error
	if l, ok := st.(lister); ok {
		recs, err = l.ImageList(ctx)
	} else {
		recs, err = st.Images(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	tags, err := st.AllTags(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	refsOf := refsByImage(tags)
	hasChild := map[digest.Digest]bool{}
	for _, r := range recs {
		if r.Parent != "" {
			hasChild[r.Parent] = true
		}
	}
	patterns := f.values("reference")
	var out []imageSummary
	for _, rec := range recs {
		if danglingOnly && hasChild[rec.ID] {
			continue // the daemon lists only heads (images with no child) for dangling=true
		}
		if before != nil && !rec.Created.Before(before.Created) {
			continue
		}
		if after != nil && !rec.Created.After(after.Created) {
			continue
		}
		if len(f["label"]) > 0 {
			img, err := rec.ConfigFile(ctx)
			if err != nil {
				return nil, fmt.Errorf("read config of %s: %w", rec.ID, err)
			}
			if img.Config == nil || !f.matchLabels(img.Config.Labels) {
				continue
			}
		}
		s := imageSummary{rec: rec, hasChild: hasChild[rec.ID]}
		for _, t := range refsOf[rec.ID] {
			if len(patterns) > 0 {
				found, err := matchReference(patterns, t)
				if err != nil {
					return nil, withClass(ErrInvalid, err) // a malformed pattern
				}
				if !found {
					continue
				}
			}
			if t.Tag != "" {
				s.repoTags = append(s.repoTags, t.Ref)
			} else if strings.Contains(t.Ref, "@") {
				s.repoDigests = append(s.repoDigests, t.Ref)
			}
		}
		if s.repoTags == nil && s.repoDigests == nil {
			if !all && hasChild[rec.ID] {
				continue // an intermediate image: shown only with -a
			}
			if len(f["dangling"]) > 0 && !danglingOnly {
				continue // dangling=false
			}
			if len(patterns) > 0 {
				continue // a reference filter never matches an untagged image
			}
			s.dangling = true
		} else if danglingOnly && len(s.repoTags) > 0 {
			continue
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rec.Created.After(out[j].rec.Created) })
	return out, nil
}

// refsByImage groups tags by image, each image's sorted as the reference store sorts
// them (by the fully qualified name).
func refsByImage(tags []image.TagRow) map[digest.Digest][]image.TagRow {
	out := map[digest.Digest][]image.TagRow{}
	for _, t := range tags {
		out[t.ID] = append(out[t.ID], t)
	}
	full := func(t image.TagRow) string {
		if r, err := image.ParseRef(t.Ref); err == nil {
			return r.String()
		}
		return t.Ref
	}
	for _, ts := range out {
		sort.SliceStable(ts, func(i, j int) bool { return full(ts[i]) < full(ts[j]) })
	}
	return out
}

// matchReference is reference.FamiliarMatch over several patterns: path.Match against
// "repo:tag", then against "repo" alone.
func matchReference(patterns []string, t image.TagRow) (bool, error) {
	for _, p := range patterns {
		ok, err := path.Match(p, t.Ref)
		if err != nil {
			return false, err
		}
		if !ok {
			ok, _ = path.Match(p, t.Repository)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// imageRow is one row of `image ls`: the methods are the fields a --format template
// can use, named and valued as the CLI's imageContext.
type imageRow struct {
	rec             *image.Record
	repo, tag, dgst string
	trunc           bool
	now             time.Time
	sum             *imageSummary // what the daemon listed
}

// ID is the image ID, 12 hex digits unless --no-trunc.
func (r *imageRow) ID() string {
	if r.trunc {
		return truncID(r.rec.ID.String())
	}
	return r.rec.ID.String()
}

// Repository is the familiar repository, "<none>" for a dangling image.
func (r *imageRow) Repository() string { return r.repo }

// Tag is the tag, "<none>" when the row has none.
func (r *imageRow) Tag() string { return r.tag }

// Digest is the repository digest, "<none>" when the image has none.
func (r *imageRow) Digest() string { return r.dgst }

// CreatedSince is the image's age, "25 minutes ago".
func (r *imageRow) CreatedSince() string { return since(r.now, r.rec.Created) }

// CreatedAt is the creation time in whole seconds, in Go's time.String form.
func (r *imageRow) CreatedAt() string { return time.Unix(r.rec.Created.Unix(), 0).String() }

// Size is the image size with three significant digits.
func (r *imageRow) Size() string { return imageSize(r.rec.Size()) }

// VirtualSize is the image size with four significant digits (go-units HumanSize).
func (r *imageRow) VirtualSize() string { return humanSize(float64(r.rec.Size())) }

// Containers is "N/A": the daemon only counts containers for `system df`.
func (r *imageRow) Containers() string { return "N/A" }

// SharedSize is "N/A", as in a plain image list.
func (r *imageRow) SharedSize() string { return "N/A" }

// UniqueSize is "N/A", as in a plain image list.
func (r *imageRow) UniqueSize() string { return "N/A" }

// MarshalJSON is `{{json .}}`: every field, keys sorted (docker marshals the methods).
func (r *imageRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"Containers": r.Containers(), "CreatedAt": r.CreatedAt(), "CreatedSince": r.CreatedSince(),
		"Digest": r.Digest(), "ID": r.ID(), "Repository": r.Repository(), "SharedSize": r.SharedSize(),
		"Size": r.Size(), "Tag": r.Tag(), "UniqueSize": r.UniqueSize(), "VirtualSize": r.VirtualSize(),
	})
}

// imageRows is the CLI's imageFormat: a dangling image is one <none> row; otherwise a
// row per tag (per tag and digest with --digests), then a row per repository that only
// has digest references.
func imageRows(sums []imageSummary, trunc, digests bool, now time.Time) []any {
	var rows []any
	for i := range sums {
		s := &sums[i]
		add := func(repo, tag, dg string) {
			rows = append(rows, &imageRow{rec: s.rec, repo: repo, tag: tag, dgst: dg, trunc: trunc, now: now, sum: s})
		}
		if s.dangling {
			add("<none>", "<none>", "<none>")
			continue
		}
		var repos []string
		tagsOf := map[string][]string{}
		for _, rt := range s.repoTags {
			i := strings.LastIndex(rt, ":")
			repo, tag := rt[:i], rt[i+1:]
			if _, ok := tagsOf[repo]; !ok {
				repos = append(repos, repo)
			}
			tagsOf[repo] = append(tagsOf[repo], tag)
		}
		var digestRepos []string
		digestsOf := map[string][]string{}
		for _, rd := range s.repoDigests {
			repo, dg, _ := strings.Cut(rd, "@")
			if _, ok := digestsOf[repo]; !ok {
				digestRepos = append(digestRepos, repo)
			}
			digestsOf[repo] = append(digestsOf[repo], dg)
		}
		for _, repo := range repos {
			dgs := digestsOf[repo]
			delete(digestsOf, repo)
			if !digests {
				dgs = nil
			}
			for _, tag := range tagsOf[repo] {
				if len(dgs) == 0 {
					add(repo, tag, "<none>")
					continue
				}
				for _, dg := range dgs {
					add(repo, tag, dg)
				}
			}
		}
		for _, repo := range digestRepos {
			dgs, ok := digestsOf[repo]
			if !ok {
				continue
			}
			if !digests {
				add(repo, "<none>", "")
				continue
			}
			for _, dg := range dgs {
				add(repo, "<none>", dg)
			}
		}
	}
	return rows
}

func runImageLs(ctx context.Context, env *Env, fs *FlagSet, args []string) (int, error) {
	f, bad, err := parseImageFilters(flagList(fs, "filter"))
	if err != nil {
		return flagValueError(env, fs, "filter", bad, err)
	}
	if len(args) == 1 && args[0] != "" {
		f.add("reference", args[0])
	}
	sums, err := listImages(ctx, env.Store, f, flagBool(fs, "all"))
	if err != nil {
		return daemonError(env, err)
	}
	digests := flagBool(fs, "digests")
	format := imageListFormat(flagString(fs, "format"), flagBool(fs, "quiet"), digests)
	rows := imageRows(sums, !flagBool(fs, "no-trunc"), digests, env.now())
	if format == defaultImageTableFormat || format == defaultQuietFormat {
		// The default formats, written directly: the same bytes as the template (a
		// test checks it), without running a template per row over thousands of images.
		if err := writeDefaultImageTable(env.Stdout, rows, format == defaultQuietFormat); err != nil {
			return failed(env, 1, err)
		}
		return 0, nil
	}
	if err := writeFormatted(env.Stdout, format, imageHeader, rows); err != nil {
		return failed(env, 1, err)
	}
	return 0, nil
}

// writeDefaultImageTable writes rows as defaultImageTableFormat (or, quiet, as
// defaultQuietFormat) renders them.
func writeDefaultImageTable(w io.Writer, rows []any, quiet bool) error {
	if quiet {
		bw := bufio.NewWriter(w)
		for _, r := range rows {
			bw.WriteString(r.(*imageRow).ID())
			bw.WriteByte('\n')
		}
		return bw.Flush()
	}
	tw := newTableWriter(w)
	io.WriteString(tw, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n")
	var line []byte
	for _, r := range rows {
		row := r.(*imageRow)
		created := row.CreatedSince()
		if created == "" {
			created = "N/A"
		}
		line = append(line[:0], row.Repository()...)
		line = append(line, '\t')
		line = append(line, row.Tag()...)
		line = append(line, '\t')
		line = append(line, row.ID()...)
		line = append(line, '\t')
		line = append(line, created...)
		line = append(line, '\t')
		line = append(line, row.Size()...)
		line = append(line, '\n')
		tw.Write(line)
	}
	return tw.Flush()
}
