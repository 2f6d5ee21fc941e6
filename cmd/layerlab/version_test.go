package main

import (
	"os"
	"strings"
	"testing"
)

// TestVersion: --version and -v print one line in docker --version's shape and open
// no store (the benchmark of process start measures exactly this).
func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		data := t.TempDir() + "/never-made"
		out, err := layerlab(t, data, flag)
		if err != nil || !strings.HasPrefix(out, "layerlab version ") || strings.Count(out, "\n") != 1 {
			t.Errorf("layerlab %s = %q, %v", flag, out, err)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("layerlab %s made the data directory: %v", flag, err)
		}
	}
}
