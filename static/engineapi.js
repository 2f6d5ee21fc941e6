// layerlab: the playground's panel "Use your own docker CLI" (web/engineapi.templ):
// copy buttons for the docker CLI lines, and the token's buttons ("Show my docker CLI
// lines", "New token") sent with fetch. Without JavaScript the same forms post and the
// server redirects back to the panel.
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

  function setText(id, text) {
    const e = document.getElementById(id);
    if (e) e.textContent = text;
  }

  // show puts the server's lines (handlers' engineTokenJSON) in the panel.
  function show(lines) {
    setText("engine-create", lines.create);
    setText("engine-build", lines.build);
    setText("engine-export", lines.export);
    setText("engine-update", lines.update);
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
    const text = code ? code.textContent : "";
    try {
      await navigator.clipboard.writeText(text);
      message("Copied: " + text);
    } catch (err) {
      // Clipboard access needs a secure origin (https or localhost) and permission.
      const range = document.createRange();
      if (code) {
        range.selectNodeContents(code);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      message("The browser did not allow copying: the line is selected, press Ctrl+C (⌘+C).", true);
    }
  });

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
