package handlers

import (
	"net/http"
	"strings"
	"testing"
)

// TestBaseImagesPage: the page lists what `docker search` finds among the stand-ins,
// with the equivalent command, each repository's variants and example tags, and each
// tag a link that opens the images page with the pull form filled in.
func TestBaseImagesPage(t *testing.T) {
	env := newTestServer(t)
	b := env.newBrowser().withT(t)

	all := b.get("/base-images").wantCode(http.StatusOK)
	rows := all.find("base-row")
	if len(rows) < 40 {
		t.Fatalf("%d repositories listed, want the 40+ official images", len(rows))
	}
	if got := all.text("base-cmd"); got != "docker search TERM" {
		t.Errorf("command = %q", got)
	}

	res := b.get("/base-images?q=postgres").wantCode(http.StatusOK)
	names := []string{}
	for _, n := range res.find("base-row") {
		names = append(names, attrOf(n, "data-name"))
	}
	if len(names) == 0 || names[0] != "postgres" {
		t.Fatalf("search postgres lists %v, want postgres first", names)
	}
	if got := res.text("base-cmd"); got != "docker search postgres" {
		t.Errorf("command = %q", got)
	}
	if !strings.Contains(res.Body, `href="/images?pull=postgres%3A`) {
		t.Errorf("no pull link for a postgres tag")
	}

	none := b.get("/base-images?q=no-such-image-xyz").wantCode(http.StatusOK)
	if len(none.find("base-row")) != 0 || !strings.Contains(none.text("base-none"), "No image matches") {
		t.Errorf("a search that finds nothing should say so")
	}
	b.get("/base-images?q=" + strings.Repeat("x", 101)).wantCode(http.StatusBadRequest)

	pull := b.get("/images?pull=postgres%3A16-alpine").wantCode(http.StatusOK)
	if got := pull.text("pull-cmd"); got != "docker pull postgres:16-alpine" {
		t.Errorf("images page pull command = %q, want the linked tag filled in", got)
	}
}
