// Package static holds the CSS, JS and editor bundle served by the playground, embedded
// into the binary so the pages work offline (no CDN).
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sort"
	"sync"
)

// FS is every file served under /static/.
//
//go:embed *.css *.js *.svg
var FS embed.FS

var (
	versionOnce sync.Once
	version     string
)

// Version is a short hash of every embedded file: asset URLs carry it, so a browser
// caches them for good and still gets new ones after an upgrade.
func Version() string {
	versionOnce.Do(func() {
		h := sha256.New()
		var names []string
		fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, p)
			}
			return nil
		})
		sort.Strings(names)
		for _, n := range names {
			b, _ := FS.ReadFile(n)
			h.Write([]byte(n))
			h.Write(b)
		}
		version = hex.EncodeToString(h.Sum(nil))[:12]
	})
	return version
}

// Path is the URL of an embedded file, with the version for caching.
func Path(name string) string { return "/static/" + name + "?v=" + Version() }
