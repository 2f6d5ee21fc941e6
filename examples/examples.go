// Package examples embeds the example build contexts the playground loads with one
// click (and the README builds from a terminal). The lesson's FastAPI example is first.
package examples

import (
	"io/fs"
	"path"
	"sort"
)

// Example is one example build context.
type Example struct {
	Dir   string // directory under examples/
	Title string // shown on its button
}

// All lists the examples in the order the playground offers them.
var All = []Example{
	{Dir: "fastapi", Title: "FastAPI (the lesson)"},
	{Dir: "node", Title: "Node.js"},
	{Dir: "go-multistage", Title: "Go, multi-stage"},
}

// File is one file of an example.
type File struct {
	Path string // relative to the example's directory
	Data []byte
}

// Files returns an example's files sorted by path, or false for an unknown example.
func Files(dir string) ([]File, bool) {
	known := false
	for _, e := range All {
		known = known || e.Dir == dir
	}
	if !known {
		return nil, false
	}
	var out []File
	fs.WalkDir(embedded, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, File{Path: p[len(dir)+1:], Data: b})
		return nil
	})
	if dir == "go-multistage" {
		out = append(out, goMultistage...)
	}
	sort.Slice(out, func(i, j int) bool { return path.Clean(out[i].Path) < path.Clean(out[j].Path) })
	return out, true
}
