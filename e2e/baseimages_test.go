package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBaseImagesSearchAndPull: a student opens Base images from the nav, searches for
// redis with the keyboard, sees the equivalent docker search command, follows a tag's
// link to the images page with the pull form filled in, pulls it, and the image is
// listed.
func TestBaseImagesSearchAndPull(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	b.open("/", `[data-testid="nav-base-images"]`)
	b.follow(`[data-testid="nav-base-images"]`)
	wait[bool](b, "the base images table", `document.querySelectorAll('[data-testid="base-row"]').length >= 40`)

	b.do("search redis", chromedp.SendKeys(chromedp.CSS(`[data-testid="base-q"]`), "redis\r"))
	wait[bool](b, "the search result", `location.search === "?q=redis" && !!document.querySelector('[data-testid="base-row"][data-name="redis"]')`)
	if got := b.text(`[data-testid="base-cmd"]`); got != "docker search redis" {
		t.Errorf("equivalent command = %q", got)
	}
	b.screenshot("base-images.png")

	b.follow(`[data-testid="base-row"][data-name="redis"] a.tag-pull`)
	ref := wait[string](b, "the pull form filled in", `(document.querySelector('[data-testid="pull-ref"]') || {value: ""}).value`)
	if ref != "redis:latest" {
		t.Fatalf("pull form = %q, want redis:latest (the first tag listed)", ref)
	}
	if got := b.text(`[data-testid="pull-cmd"]`); got != "docker pull redis:latest" {
		t.Errorf("pull command = %q", got)
	}
	b.click(`[data-testid="pull-submit"]`)
	b.waitImages("redis:latest", true)
}
