package baseimage

import (
	"sort"
	"strings"
)

// Repository is one entry of the catalog: a repository the playground serves stand-ins
// of, as a `docker search`-like listing or the images page shows it.
type Repository struct {
	Name        string    // as Docker prints it: "python", "mcr.microsoft.com/dotnet/sdk"
	Description string    // one line
	Versions    []string  // its version lines, newest first ("3.15", "3.14", ...); empty when unversioned
	Variants    []Variant // the tag forms it publishes
}

// Variant is one flavor or distro of a repository's images, with example tags
// (newest first) that Lookup resolves.
type Variant struct {
	Name string   // "default", "slim", "alpine", "fpm", "nonroot", ...
	Tags []string // example tags, newest first
}

// Catalog lists every repository served, sorted by name.
func Catalog() []Repository {
	var out []Repository
	for _, f := range families() {
		out = append(out, catalogOf(f))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// catalogOf is a family's catalog entry: for each unpinned form, tags of its three
// newest lines that resolve.
func catalogOf(f *family) Repository {
	c := Repository{Name: f.repo, Description: f.desc}
	for i := len(f.lines) - 1; i >= 0; i-- {
		c.Versions = append(c.Versions, f.lines[i].ver)
	}
	byName := map[string]int{}
	for _, form := range f.forms {
		tf := parseForm(form)
		if tf.pins() {
			continue
		}
		suffix := exampleSuffix(tf)
		name := tf.flavor
		if strings.Contains(form, "{v:") {
			name = ""
		}
		if name == "" {
			name = kindDistro(tf.kind)
			if name == "debian" || name == "" || name == "rpm" {
				name = "default"
			}
		}
		var tags []string
		add := func(t string) {
			if t == "" {
				t = "latest"
			}
			if _, err := f.resolve(t); err == nil {
				tags = append(tags, t)
			}
		}
		if len(f.lines) == 0 {
			add(suffix)
		} else {
			if suffix == "" {
				add("latest")
			}
			for i, n := len(f.lines)-1, 0; i >= 0 && n < 3; i-- {
				t := f.lines[i].ver
				if f.exactOnly {
					t = f.lines[i].latest
				}
				if suffix != "" {
					t += "-" + suffix
				}
				before := len(tags)
				add(t)
				if len(tags) > before {
					n++
				}
			}
		}
		if len(tags) == 0 {
			continue
		}
		if j, ok := byName[name]; ok {
			c.Variants[j].Tags = append(c.Variants[j].Tags, tags...)
			continue
		}
		byName[name] = len(c.Variants)
		c.Variants = append(c.Variants, Variant{Name: name, Tags: tags})
	}
	return c
}

// exampleSuffix renders an unpinned form with each list placeholder's first value.
func exampleSuffix(tf tagForm) string {
	out := make([]string, len(tf.toks))
	for i, t := range tf.toks {
		switch {
		case strings.HasPrefix(t, "{") && strings.Contains(t, ":"):
			list := strings.TrimSuffix(strings.SplitN(t, ":", 2)[1], "}")
			out[i] = strings.Split(list, ",")[0]
		case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "#}"):
			out[i] = placeholderExample(strings.TrimSuffix(t[1:], "#}"))
		default:
			out[i] = t
		}
	}
	return strings.Join(out, "-")
}

// placeholderExample is a realistic value of a version placeholder.
func placeholderExample(name string) string {
	switch name {
	case "rust":
		return "1.91.1"
	case "jdk":
		return "21"
	}
	return "1"
}
