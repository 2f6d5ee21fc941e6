package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// openTerminal opens the terminal panel (a <details> docked at the bottom of every page)
// and waits for its prompt to take the focus. A panel left open on the previous page
// reopens by itself; then the prompt is clicked.
func (b *browser) openTerminal() {
	b.t.Helper()
	if eval[bool](b, `document.getElementById("terminal-details").open`) {
		b.click(`[data-testid="term-input"]`)
	} else {
		b.click(`#terminal-details > summary`)
	}
	wait[bool](b, "the terminal prompt", `document.getElementById("terminal-details").open && document.activeElement === document.querySelector('[data-testid="term-input"]')`)
}

// term types a command at the terminal's prompt, presses Enter, and returns what the
// command printed once it has finished.
func (b *browser) term(cmd string) string {
	b.t.Helper()
	b.do("type "+cmd, chromedp.SendKeys(chromedp.CSS(`[data-testid="term-input"]`), cmd+"\n"))
	return wait[string](b, "the output of "+cmd, fmt.Sprintf(`(() => {
		const out = document.querySelector('[data-testid="term-out"]');
		const cmds = out.querySelectorAll(".cmd");
		const last = cmds[cmds.length - 1];
		if (!last || last.textContent !== %s || document.getElementById("term-form").getAttribute("aria-busy") === "true") return null;
		let text = "";
		for (let n = last.nextSibling; n; n = n.nextSibling) text += n.textContent;
		return text;
	})()`, jsString("$ "+cmd+"\n")))
}

// TestTerminal types the lesson's commands in the terminal panel, on the images page:
// docker image ls -a, docker build -t my_image:latest . (the images table refreshes to
// show it), docker history my_image:latest; a failing command shows its exit status;
// Up recalls the last command; the output survives a page load.
func TestTerminal(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	b.open("/images", `[data-testid="images-empty"]`)
	b.openTerminal()

	out := b.term("docker image ls -a")
	if first := strings.SplitN(out, "\n", 2)[0]; !strings.HasPrefix(first, "REPOSITORY") || !strings.Contains(first, "IMAGE ID") {
		t.Errorf("docker image ls -a printed %q, want the REPOSITORY … IMAGE ID header", out)
	}

	steps := dockerfileSteps(t, readExample(t, "fastapi/Dockerfile"))
	out = b.term("docker build -t my_image:latest .")
	if strings.Contains(out, "unable to prepare context") {
		// The images page tells a new student to type this very command; their
		// workspace gets the lesson's example only when the playground page is opened.
		t.Errorf("in a new workspace (the images page opened first), docker build -t my_image:latest . printed:\n%s\nwant it to build the lesson's example", out)
		b.follow(`[data-testid="nav-playground"]`)
		b.follow(`[data-testid="nav-images"]`)
		b.openTerminal()
		out = b.term("docker build -t my_image:latest .")
	}
	for _, want := range []string{fmt.Sprintf("Step 1/%d : %s", len(steps), steps[0]), "Successfully built", "Successfully tagged my_image:latest"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker build printed no %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "[exit status") {
		t.Fatalf("docker build failed:\n%s", out)
	}
	// The build changed the images: the page shows the new one without a reload.
	b.waitImages("my_image:latest", true)

	out = b.term("docker history my_image:latest")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "IMAGE") || !strings.Contains(lines[0], "CREATED BY") {
		t.Fatalf("docker history printed %q, want the IMAGE … CREATED BY header", out)
	}
	if len(lines)-1 < len(steps) {
		t.Errorf("docker history printed %d rows, want at least the Dockerfile's %d steps:\n%s", len(lines)-1, len(steps), out)
	}
	if !strings.Contains(lines[1], "CMD") {
		t.Errorf("docker history's first row is %q, want the newest step (CMD)", lines[1])
	}

	out = b.term("docker image rm no-such-image")
	if !strings.Contains(out, "No such image") || !strings.Contains(out, "[exit status 1]") {
		t.Errorf("docker image rm no-such-image printed %q, want the error and [exit status 1]", out)
	}

	// Up recalls the previous command.
	b.do("press Up", chromedp.KeyEvent(kb.ArrowUp))
	if v := eval[string](b, `document.querySelector('[data-testid="term-input"]').value`); v != "docker image rm no-such-image" {
		t.Errorf("Up put %q in the prompt, want the last command", v)
	}
	eval[bool](b, `(document.querySelector('[data-testid="term-input"]').value = "", true)`)
	b.term("docker history my_image:latest")
	b.screenshot("terminal.png")

	// The panel and its output survive a page load.
	b.follow(`[data-testid="nav-playground"]`)
	wait[bool](b, "the terminal to reopen with its output", `document.getElementById("terminal-details").open && document.querySelector('[data-testid="term-out"]').textContent.includes("$ docker build -t my_image:latest .")`)
}
