// layerlab: the playground's panel "Use your own docker CLI" (web/engineapi.templ):
// copy buttons for the docker CLI lines, and the token's buttons ("Show my docker CLI
// lines", "New token") sent with fetch. Without JavaScript the same forms post and the
// server redirects back to the panel. In presenter mode (presenter.js) the lines show
// the token masked, so that a projector does not give the workspace away; each line's
// full text is in its data-line, which Copy copies.
(function () {
  "use strict";
  const panel = document.getElementById("engine-api");
  if (!panel || !window.layerlab) return;
  const msg = document.getElementById("engine-msg");

  function message(text, isError) {
    if (!msg) return;
    msg.textContent = (isError ? "✗ " : "✓ ") + text;
    msg.dataset.state = isError ? "error" : "ok";
  }

  const LINES = ["engine-create", "engine-build", "engine-export", "engine-update"];
  const presenting = () => document.documentElement.classList.contains("present");

  // draw shows each line from its data-line, with the token masked in presenter mode.
  function draw() {
    const tok = panel.dataset.token || "";
    const masked = tok.slice(0, 2) + "•".repeat(8) + " (hidden in presenter mode)";
    for (const id of LINES) {
      const e = document.getElementById(id);
      if (!e) continue;
      const line = e.dataset.line || "";
      e.textContent = tok && presenting() ? line.split(tok).join(masked) : line;
    }
  }

  function setLine(id, text) {
    const e = document.getElementById(id);
    if (e) e.dataset.line = text;
  }

  // show puts the server's lines (handlers' engineTokenJSON) in the panel.
  function show(lines) {
    panel.dataset.token = lines.token;
    setLine("engine-create", lines.create);
    setLine("engine-build", lines.build);
    setLine("engine-export", lines.export);
    setLine("engine-update", lines.update);
    draw();
    const tls = document.getElementById("engine-tls");
    if (tls) tls.hidden = !lines.tls;
    const box = document.getElementById("engine-api-lines");
    if (box) box.hidden = false;
    const showForm = panel.querySelector('[data-testid="engine-show-form"]');
    if (showForm) showForm.remove();
    const err = panel.querySelector('[data-testid="engine-api-error"]');
    if (err) err.hidden = true;
  }

  panel.addEventListener("click", async (e) => {
    const b = e.target.closest("button.engine-copy");
    if (!b || !panel.contains(b)) return;
    const code = document.getElementById(b.dataset.copy);
    const text = code ? code.dataset.line || code.textContent : "";
    try {
      await navigator.clipboard.writeText(text);
      message(presenting() ? "Copied (the token stays hidden in presenter mode)." : "Copied: " + text);
    } catch (err) {
      // Clipboard access needs a secure origin (https or localhost) and permission.
      // Selecting the line to copy by hand shows it whole, token and all.
      const range = document.createRange();
      if (code) {
        code.textContent = text;
        range.selectNodeContents(code);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      message("The browser did not allow copying: the line is selected, press Ctrl+C (⌘+C).", true);
    }
  });

  draw();
  document.addEventListener("layerlab:present", draw);

  panel.addEventListener("submit", async (e) => {
    const f = e.target.closest("form.engine-token-form");
    if (!f) return;
    e.preventDefault();
    const button = f.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const lines = await window.layerlab.api("POST", f.dataset.api);
      show(lines);
      if (lines.rotated) {
        message("A new token: the old one stops working now. Update your docker context with the last line (docker context update …).");
      } else {
        message("Your workspace's lines are ready: copy them into a terminal.");
      }
    } catch (err) {
      message(err.message, true);
    } finally {
      if (button) button.disabled = false;
    }
  });
})();
