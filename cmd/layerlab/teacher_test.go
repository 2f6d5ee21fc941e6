package main

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"
)

var teacherLinkRe = regexp.MustCompile(`teacher link \(keep it secret; layerlab teacher link --rotate replaces it\): (http://\S+/teach/login\?key=[A-Za-z0-9_-]+)\n`)

func TestTeacherLink(t *testing.T) {
	data := t.TempDir()
	out, err := layerlab(t, data, "teacher", "link")
	m := teacherLinkRe.FindStringSubmatch(out)
	if err != nil || m == nil || !strings.HasPrefix(m[1], "http://127.0.0.1:8080/teach/login?key=") {
		t.Fatalf("teacher link: %q, %v", out, err)
	}
	again, _ := layerlab(t, data, "teacher", "link", "--public-url", "https://lab.example.org/")
	if m2 := teacherLinkRe.FindStringSubmatch(strings.Replace(again, "https://", "http://", 1)); m2 == nil ||
		!strings.HasPrefix(again, "teacher link") || !strings.Contains(again, "https://lab.example.org/teach/login?key=") ||
		keyOf(m2[1]) != keyOf(m[1]) {
		t.Errorf("with --public-url: %q, want the same key on https://lab.example.org", again)
	}
	rotated, err := layerlab(t, data, "teacher", "link", "--rotate")
	m3 := teacherLinkRe.FindStringSubmatch(rotated)
	if err != nil || m3 == nil || keyOf(m3[1]) == keyOf(m[1]) || !strings.Contains(rotated, "every earlier teacher link") {
		t.Errorf("--rotate: %q, %v; want a new key and a word that the old links stop working", rotated, err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown subcommand", []string{"teacher", "links"}, `unknown command "links"`},
		{"unknown flag", []string{"teacher", "link", "--rotat"}, "unknown flag"},
		{"bad public url", []string{"teacher", "link", "--public-url", "lab.example.org"}, "invalid --public-url"},
		{"public url with a path", []string{"teacher", "link", "--public-url", "http://lab.example.org/x"}, "invalid --public-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := layerlab(t, data, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
			}
		})
	}
	if help, err := layerlab(t, data, "teacher", "--help"); err != nil || !strings.Contains(help, "--rotate") {
		t.Errorf("help: %q %v", help, err)
	}
}

func keyOf(link string) string { _, k, _ := strings.Cut(link, "key="); return k }

// serve prints the teacher link; it works, and `teacher link --rotate` in another
// process on the same data directory makes it and the teacher's cookie stop working.
func TestTeacherLinkServe(t *testing.T) {
	data := t.TempDir()
	env := func(k string) string {
		if k == "LAYERLAB_DATA" {
			return data
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env, strings.NewReader(""), &out, &errb)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	var link string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && link == ""; time.Sleep(20 * time.Millisecond) {
		if m := teacherLinkRe.FindStringSubmatch(out.String()); m != nil {
			link = m[1]
		}
	}
	if link == "" || !strings.Contains(out.String(), "the playground is at") {
		t.Fatalf("no teacher link printed: %q %q", out.String(), errb.String())
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(u string) int {
		res, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := get(link); code != http.StatusOK {
		t.Fatalf("teacher link: %d", code)
	}
	base := link[:strings.Index(link, "/teach/")]
	if code := get(base + "/teach"); code != http.StatusOK {
		t.Fatalf("/teach after the link: %d", code)
	}
	if _, err := layerlab(t, data, "teacher", "link", "--rotate"); err != nil {
		t.Fatal(err)
	}
	if code := get(base + "/teach"); code != http.StatusForbidden {
		t.Errorf("/teach after --rotate: %d, want 403", code)
	}
	if code := get(link); code != http.StatusForbidden {
		t.Errorf("the old link after --rotate: %d, want 403", code)
	}
}
