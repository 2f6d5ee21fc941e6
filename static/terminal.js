// layerlab: the terminal panel on every page. A command runs on the server (POST
// /api/terminal) through the same implementation as the command line; its output is
// appended as text (textContent, never HTML). Up/Down recall earlier commands; Ctrl+`
// opens and closes the panel; "clear" (or Ctrl+L) empties it. A command that changed the
// images tells the page (window.layerlab.changed), which refreshes what it shows.
(function () {
  "use strict";
  const details = document.getElementById("terminal-details");
  const out = document.getElementById("term-out");
  const form = document.getElementById("term-form");
  const input = document.getElementById("term-input");
  if (!details || !out || !form || !input) return;
  const runButton = form.querySelector("button[type=submit]");

  const HISTORY_KEY = "layerlab.terminal.history";
  const OUTPUT_KEY = "layerlab.terminal.output";
  const MAX_HISTORY = 200;
  const MAX_NODES = 4000; // output spans kept in the panel
  const MAX_SAVED = 100000; // characters of output kept across page loads

  let history = [];
  try {
    history = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]").filter((c) => typeof c === "string");
  } catch (e) {
    history = [];
  }
  let pos = history.length; // history[pos] is shown; history.length = the draft
  let draft = "";
  let busy = false;
  let returnFocus = null; // where focus goes back to when the panel closes
  let quietOpen = false; // reopened on page load: do not take the focus

  // append adds text to the output, as text, with an optional class (cmd, err, exit).
  function append(text, cls) {
    if (!text) return;
    const span = document.createElement("span");
    if (cls) span.className = cls;
    span.textContent = text;
    out.appendChild(span);
    while (out.childNodes.length > MAX_NODES) out.removeChild(out.firstChild);
    out.scrollTop = out.scrollHeight;
  }

  // The output survives a page load (a PRG redirect, a link), for this tab only.
  function save() {
    try {
      const parts = [];
      out.childNodes.forEach((n) => parts.push([n.className || "", n.textContent]));
      let total = 0;
      let from = parts.length;
      while (from > 0 && total + parts[from - 1][1].length <= MAX_SAVED) {
        from--;
        total += parts[from][1].length;
      }
      sessionStorage.setItem(OUTPUT_KEY, JSON.stringify(parts.slice(from)));
      sessionStorage.setItem(OUTPUT_KEY + ".open", details.open ? "1" : "");
    } catch (e) {
      /* storage full or disabled: the output is just not kept */
    }
  }
  function restore() {
    try {
      const parts = JSON.parse(sessionStorage.getItem(OUTPUT_KEY) || "[]");
      parts.forEach((p) => Array.isArray(p) && append(String(p[1]), String(p[0])));
      if (sessionStorage.getItem(OUTPUT_KEY + ".open") && !details.open) {
        quietOpen = true;
        details.open = true;
      }
    } catch (e) {
      /* ignore a damaged entry */
    }
  }

  function remember(cmd) {
    if (cmd.trim() && history[history.length - 1] !== cmd) history.push(cmd);
    if (history.length > MAX_HISTORY) history = history.slice(history.length - MAX_HISTORY);
    pos = history.length;
    draft = "";
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    } catch (e) {
      /* ignore */
    }
  }

  function setBusy(on) {
    busy = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    if (runButton) {
      runButton.disabled = on;
      runButton.textContent = on ? "Running…" : "Run";
    }
  }

  async function run(cmd) {
    append("$ " + cmd + "\n", "cmd");
    if (cmd.trim() === "clear") {
      out.textContent = "";
      save();
      return;
    }
    if (!cmd.trim()) return;
    setBusy(true);
    try {
      const res = await window.layerlab.api("POST", "/api/terminal", { cmd: cmd });
      (res.segments || []).forEach((s) => append(s.text, s.stream === "stderr" ? "err" : ""));
      const text = res.output || "";
      if (text && !text.endsWith("\n")) append("\n");
      if (res.exit_code !== 0) append("[exit status " + res.exit_code + "]\n", "exit");
      if (res.changed) window.layerlab.changed({ source: "terminal", cmd: cmd });
      // Every command, changing or not (docker history, image ls -a): the lesson panel
      // checks its tasks again (static/lesson.js).
      document.dispatchEvent(new CustomEvent("layerlab:terminal-ran", { detail: { cmd: cmd, exit: res.exit_code } }));
    } catch (err) {
      append((err && err.message ? err.message : String(err)) + "\n", "err");
    } finally {
      setBusy(false);
      save();
      input.focus();
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (busy) return;
    const cmd = input.value;
    input.value = "";
    remember(cmd);
    run(cmd);
  });

  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowUp" && !e.shiftKey) {
      if (pos === 0) return;
      if (pos === history.length) draft = input.value;
      pos--;
      input.value = history[pos];
    } else if (e.key === "ArrowDown" && !e.shiftKey) {
      if (pos >= history.length) return;
      pos++;
      input.value = pos === history.length ? draft : history[pos];
    } else if (e.key === "l" && e.ctrlKey) {
      out.textContent = "";
      save();
    } else if (e.key === "Escape") {
      close();
    } else {
      return;
    }
    e.preventDefault();
    const end = input.value.length;
    input.setSelectionRange(end, end);
  });

  function open() {
    const active = document.activeElement;
    if (!details.contains(active)) returnFocus = active;
    details.open = true;
    input.focus();
  }

  function close() {
    details.open = false;
    const back = returnFocus && document.contains(returnFocus) ? returnFocus : details.querySelector("summary");
    returnFocus = null;
    if (back && back.focus) back.focus();
  }

  // Ctrl+` (the key below Esc on most keyboards) toggles the panel from anywhere.
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey && !e.altKey && !e.metaKey && (e.key === "`" || e.code === "Backquote")) {
      e.preventDefault();
      if (details.open && details.contains(document.activeElement)) close();
      else open();
    }
  });

  // Opened with the summary (mouse or keyboard): the prompt gets the focus.
  details.addEventListener("toggle", () => {
    if (quietOpen) {
      quietOpen = false;
    } else if (details.open && document.activeElement !== input) {
      if (!returnFocus) returnFocus = document.activeElement;
      input.focus();
    }
    save();
  });

  // Output links nothing and may be long: a click in it puts the focus on the prompt,
  // unless text is being selected (to copy it).
  out.addEventListener("click", () => {
    if (!String(window.getSelection ? window.getSelection() : "")) input.focus();
  });

  restore();
  // Other scripts (a page's "try it" buttons) may run a command in the terminal.
  window.layerlab = window.layerlab || {};
  window.layerlab.terminal = {
    open: open,
    run: (cmd) => {
      open();
      remember(cmd);
      return run(cmd);
    },
  };
})();
