package commands

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"layerlab/engine/baseimage"
)

// `search`: docker search's table (cli/command/registry/search.go and
// formatter/search.go in Docker 20.10) over what the playground can pull without a
// network: the stand-ins of the official images (engine/baseimage's catalog), which
// the built-in hub serves as library/. Docker Hub's stars the playground does not know:
// STARS stays blank. With --list-tags (layerlab's own flag) it lists each matching
// image's variants and example tags instead.

func init() {
	register(&command{name: "search", use: "search [OPTIONS] TERM", short: "Search the Docker Hub for images",
		maxArgs: 1, flags: searchFlags, run: runSearch})
}

func searchFlags(fs *FlagSet) {
	fs.List("filter", "f", "filter", "Filter output based on conditions provided")
	fs.String("format", "", "", "Pretty-print search using a Go template")
	fs.Int("limit", "", 25, "Max number of search results")
	fs.Bool("no-trunc", "", false, "Don't truncate output")
	fs.Bool("list-tags", "", false, "List each image's variants and example tags (layerlab)")
}

// SearchResult is one repository search lists (docker's registry.SearchResult, with
// the tag forms the playground serves it in).
type SearchResult struct {
	Name        string
	Description string
	Official    bool
	Versions    []string // version lines, newest first
	Variants    []baseimage.Variant
}

// searchSource is what search searches: the official images' stand-ins. A variable so
// that a test can give it a catalogue of its own.
var searchSource = standInResults

// standInResults is baseimage's catalog. Docker Hub marks its library/ images
// official; a name with a registry (mcr.microsoft.com/..., gcr.io/...) is not on
// Docker Hub's search at all, but the playground serves it, so it is listed, unmarked.
func standInResults() []SearchResult {
	cat := baseimage.Catalog()
	out := make([]SearchResult, 0, len(cat))
	for _, r := range cat {
		out = append(out, SearchResult{Name: r.Name, Description: r.Description, Official: !strings.Contains(r.Name, "/"),
			Versions: r.Versions, Variants: r.Variants})
	}
	return out
}

// searchRow is what --format templates see, docker's field names.
type searchRow struct {
	r     SearchResult
	trunc bool
}

func (s searchRow) Name() string { return s.r.Name }
func (s searchRow) Description() string {
	d := strings.NewReplacer("\n", " ", "\r", " ").Replace(s.r.Description)
	if s.trunc {
		d = ellipsis(d, 45)
	}
	return d
}
func (s searchRow) StarCount() string { return "" } // the playground knows no stars
func (s searchRow) IsOfficial() string {
	if s.r.Official {
		return "[OK]"
	}
	return ""
}
func (s searchRow) IsAutomated() string { return "" }

var searchHeader = map[string]string{
	"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS", "IsOfficial": "OFFICIAL", "IsAutomated": "AUTOMATED",
}

const defaultSearchFormat = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}"

// Search is what `docker search TERM` finds among the images the playground serves:
// those whose name or description contains term (any case), an exact name first, as
// Docker Hub's relevance ranking puts it. The images page lists the same.
func Search(term string) []SearchResult {
	term = strings.ToLower(strings.TrimSpace(term))
	var rows []SearchResult
	for _, r := range searchSource() {
		if term != "" && !strings.Contains(strings.ToLower(r.Name), term) && !strings.Contains(strings.ToLower(r.Description), term) {
			continue
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Name == term && rows[j].Name != term })
	return rows
}

func runSearch(ctx context.Context, env *Env, fs *FlagSet, args []string) (int, error) {
	term := ""
	if len(args) == 1 {
		term = strings.ToLower(args[0])
	}
	limit := *fs.long["limit"].num
	if limit < 1 || limit > 100 {
		// Docker Hub's own bound, which the daemon passes on.
		return failed(env, 1, &daemonErr{fmt.Errorf("limit %d is outside the range of [1, 100]", limit)})
	}
	official, officialSet := false, false
	for _, f := range *fs.long["filter"].list {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "is-official", "is-automated":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return failed(env, 1, invalidf("invalid filter '%s=%s'", k, v))
			}
			if k == "is-automated" && b {
				return 0, nil // no image of the playground is an automated build
			}
			if k == "is-official" {
				official, officialSet = b, true
			}
		case "stars":
			return failed(env, 1, invalidf("[layerlab] the built-in hub keeps no stars, so the filter %s cannot be applied", f))
		default:
			return failed(env, 1, invalidf("invalid filter '%s'", k))
		}
	}
	var rows []SearchResult
	for _, r := range Search(term) {
		if officialSet && r.Official != official {
			continue
		}
		rows = append(rows, r)
	}
	found := len(rows)
	if found > limit {
		rows = rows[:limit]
	}
	if *fs.long["list-tags"].bool {
		tw := newTableWriter(env.Stdout)
		fmt.Fprintln(tw, "NAME\tVARIANT\tEXAMPLE TAGS")
		for _, r := range rows {
			for _, v := range r.Variants {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, v.Name, strings.Join(v.Tags, " "))
			}
		}
		tw.Flush()
		if len(rows) > 0 {
			// The stand-ins are made from a tag's parts (version, variant, distro), so
			// a list of every tag would be endless; say so.
			fmt.Fprintf(env.Stdout, "[layerlab] examples: any version of these lines in these variants resolves too (%s pull %s:TAG)\n", env.prog(), rows[0].Name)
		}
	} else {
		format := *fs.long["format"].str
		if format == "" {
			format = defaultSearchFormat
		}
		out := make([]any, len(rows))
		for i, r := range rows {
			out[i] = searchRow{r: r, trunc: !*fs.long["no-trunc"].bool}
		}
		if err := writeFormatted(env.Stdout, format, searchHeader, out); err != nil {
			return failed(env, 1, err)
		}
	}
	if found > len(rows) {
		// Docker cuts at --limit without a word; the learner should know more matched.
		fmt.Fprintf(env.Stderr, "[layerlab] %d images match; the first %d are shown (--limit 100 shows up to 100)\n", found, len(rows))
	}
	return 0, nil
}
