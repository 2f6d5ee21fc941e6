package handlers

import (
	"strings"
	"testing"
)

func (b *pgBrowser) term(cmd string) (string, int) {
	b.t.Helper()
	var res termResponse
	if code := b.json("POST", "/api/terminal", map[string]string{"cmd": cmd}, &res); code != 200 {
		b.t.Fatalf("terminal %q: HTTP %d", cmd, code)
	}
	return res.Output, res.ExitCode
}

// The web terminal pushes to and pulls from the built-in hub: into the workspace's own
// namespace, from it or a classmate's; never to another namespace or another address.
func TestTerminalPushPull(t *testing.T) {
	srv := newPGServer(t)
	alice, bob := newPGBrowser(t, srv), newPGBrowser(t, srv)
	alice.put("Dockerfile", "FROM busybox\nCOPY a /a\n")
	alice.put("a", "alice\n")
	if out, code := alice.term("docker build -t demo:v1 ."); code != 0 {
		t.Fatalf("build: %d\n%s", code, out)
	}
	out, code := alice.term("docker push demo:v1")
	if code != 0 || !strings.Contains(out, "v1: digest: sha256:") || !strings.Contains(out, "[layerlab] in the hub as web-") {
		t.Fatalf("push: %d\n%s", code, out)
	}
	ns := strings.Fields(strings.SplitAfter(out, "[layerlab] in the hub as ")[1])[0]
	ns = strings.TrimSuffix(ns, "/demo:v1:")
	if out, code := alice.term("docker rmi demo:v1"); code != 0 {
		t.Fatalf("rmi: %d %s", code, out)
	}
	if out, code := alice.term("docker pull demo:v1"); code != 0 || !strings.Contains(out, "Status: Downloaded newer image for demo:v1") {
		t.Fatalf("pull back: %d\n%s", code, out)
	}
	// Bob pulls Alice's image by her namespace.
	if out, code := bob.term("docker pull " + ns + "/demo:v1"); code != 0 || !strings.Contains(out, "Status: Downloaded newer image") {
		t.Fatalf("bob pulls alice's image: %d\n%s", code, out)
	}
	// Bob cannot push into Alice's namespace, nor send the server elsewhere.
	bob.term("docker tag " + ns + "/demo:v1 " + ns + "/demo:bob")
	if out, code := bob.term("docker push " + ns + "/demo:bob"); code != 1 || !strings.Contains(out, "denied") {
		t.Errorf("bob pushes into alice's namespace: %d\n%s", code, out)
	}
	if out, code := bob.term("docker pull 127.0.0.1:5000/team/app:1"); code != 1 || !strings.Contains(out, "built-in hub only") {
		t.Errorf("pull from an address: %d\n%s", code, out)
	}
	if out, code := bob.term("docker pull nope:v1"); code != 1 || !strings.Contains(out, "manifest for nope:v1 not found") {
		t.Errorf("pull of a missing image: %d\n%s", code, out)
	}
}

// A public registry's image the stand-ins serve (the base images page links its tags)
// is pulled from the stand-ins, in the terminal as on the command line; the server
// never fetches from that host, and pushing there stays refused.
func TestTerminalPullsAStandInOfAnotherRegistry(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	out, code := b.term("docker pull gcr.io/distroless/static-debian12:nonroot")
	if code != 0 || !strings.Contains(out, "nonroot: Pulling from distroless/static-debian12") ||
		!strings.Contains(out, "[layerlab] gcr.io is not reachable from the playground") ||
		!strings.Contains(out, "Status: Downloaded newer image for gcr.io/distroless/static-debian12:nonroot") {
		t.Fatalf("pull: %d\n%s", code, out)
	}
	if out, code := b.term("docker image ls gcr.io/distroless/static-debian12"); code != 0 || !strings.Contains(out, "nonroot") {
		t.Errorf("image ls: %d\n%s", code, out)
	}
	if out, code := b.term("docker push gcr.io/distroless/static-debian12:nonroot"); code != 1 || !strings.Contains(out, "built-in hub only") {
		t.Errorf("push to that host: %d\n%s", code, out)
	}
	if out, code := b.term("docker pull gcr.io/nope/nothing:1"); code != 1 || !strings.Contains(out, "built-in hub only") {
		t.Errorf("pull of an image the stand-ins do not serve: %d\n%s", code, out)
	}
}
