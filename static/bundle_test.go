package static

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const editorSrcDir = "../web-src/editor"

const rebuildCmd = "cd web-src/editor && npm ci && npm run build"

// editorSourcesHash must match sourcesHash() in web-src/editor/build.mjs:
// package-lock.json plus every regular file under src/ (recursive), named by
// the path relative to web-src/editor with "/" separators, sorted by byte
// order, contents concatenated with no separators, sha256, lowercase hex.
func editorSourcesHash(t *testing.T) string {
	t.Helper()
	names := []string{"package-lock.json"}
	root := os.DirFS(editorSrcDir)
	err := fs.WalkDir(root, "src", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			names = append(names, p) // fs paths always use "/"
		}
		return nil
	})
	if err != nil {
		t.Fatalf("listing editor sources: %v", err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(root, n)
		if err != nil {
			t.Fatalf("reading editor source: %v", err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestEditorBundleFresh(t *testing.T) {
	want := "/* layerlab editor bundle; sources sha256:" + editorSourcesHash(t) + " */"

	f, err := os.Open("editor.js")
	if err != nil {
		t.Fatalf("static/editor.js missing (%v); build it with: %s", err, rebuildCmd)
	}
	defer f.Close()
	first, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		t.Fatalf("reading static/editor.js header: %v; rebuild with: %s", err, rebuildCmd)
	}
	got := strings.TrimRight(first, "\r\n")
	if got != want {
		t.Fatalf("static/editor.js is stale: web-src/editor/src or package-lock.json changed since the bundle was built.\n"+
			"header: %s\nwant:   %s\nrebuild with: %s", got, want, rebuildCmd)
	}
}

// TestEditorBundleShape checks that the committed bundle is the IIFE that
// defines the LayerlabEditor global and is embedded for serving.
func TestEditorBundleShape(t *testing.T) {
	b, err := FS.ReadFile("editor.js")
	if err != nil {
		t.Fatalf("editor.js not embedded: %v", err)
	}
	if !bytes.Contains(b, []byte("var LayerlabEditor=")) {
		t.Errorf("static/editor.js does not define the LayerlabEditor global; rebuild with: %s", rebuildCmd)
	}
	if _, err := os.Stat(filepath.Join(editorSrcDir, "package-lock.json")); err != nil {
		t.Errorf("web-src/editor/package-lock.json missing: %v", err)
	}
}
