// layerlab: the lesson's side panel (web/lesson.templ). The server renders it; this
// script redraws it from GET /lesson/panel after a build or a terminal command and every
// few seconds while it is open and the page is visible, and sends the panel's actions:
// choosing a lesson, an answer's text, a prediction's step numbers, copying starter
// files. It never tells the server a task is done: the server's checks decide that.
(function () {
  "use strict";
  const panel = document.getElementById("lesson-panel");
  if (!panel || !window.layerlab) return;
  const { api } = window.layerlab;
  const OPEN_KEY = "layerlab.lesson.open";
  // Every change this page makes (a build's end, a terminal command, the panel's own
  // forms) and the tab coming back into view refresh the panel at once; the poll only
  // catches what another tab did meanwhile. Each poll gathers the workspace's state on
  // the server, so a class of 100 open panels polling every 3 s cost 33 of them a second.
  const POLL_MS = 15000;
  let dirty = false; // a prediction ticked or an answer typed and not saved yet
  let busy = false;

  const $ = (sel) => panel.querySelector(sel);

  function message(text, isError) {
    const p = $("#lesson-msg");
    if (!p) return;
    p.textContent = text;
    p.classList.toggle("error-msg", !!isError);
  }

  function details() { return $("#lesson-details"); }

  function applyOpen() {
    const d = details();
    if (!d) return;
    const saved = localStorage.getItem(OPEN_KEY);
    if (saved !== null) d.open = saved === "1";
  }

  // refresh redraws the panel from the server, unless the student is in the middle of
  // typing an answer or ticking a prediction (force: after the student's own action).
  async function refresh(force) {
    if (busy || (!force && dirty)) return;
    busy = true;
    try {
      const res = await fetch("/lesson/panel", { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!res.ok) return;
      const html = await res.text();
      const focused = document.activeElement && panel.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
      const msg = $("#lesson-msg") ? $("#lesson-msg").textContent : "";
      const about = $(".lesson-about");
      const aboutOpen = about ? about.open : null;
      panel.innerHTML = html;
      applyOpen();
      if (aboutOpen !== null && $(".lesson-about")) $(".lesson-about").open = aboutOpen;
      dirty = false;
      if (msg) message(msg);
      if (focused) {
        const again = panel.querySelector('[data-testid="' + CSS.escape(focused) + '"]');
        if (again) again.focus();
      }
      panel.dataset.refreshed = String(Date.now());
    } catch (e) {
      // A network hiccup: the next poll tries again.
    } finally {
      busy = false;
    }
  }

  function soon() {
    // The server checks in the background after a build or a command: look twice.
    setTimeout(() => refresh(false), 400);
    setTimeout(() => refresh(false), 1500);
  }

  async function act(url, body, done) {
    try {
      const res = await api("POST", url, body);
      dirty = false;
      await refresh(true);
      if (done) done(res);
    } catch (e) {
      message(e.message, true);
    }
  }

  function putInTerminal(cmd) {
    const input = document.getElementById("term-input");
    const box = document.getElementById("terminal-details");
    if (!input) return false;
    if (box) box.open = true;
    input.value = cmd;
    input.focus();
    input.setSelectionRange(cmd.length, cmd.length);
    return true;
  }

  panel.addEventListener("click", async (e) => {
    const b = e.target.closest("button");
    if (!b || !panel.contains(b)) return;
    if (b.classList.contains("lesson-try")) {
      if (!putInTerminal(b.dataset.cmd)) message("The terminal is not on this page: copy the command instead.", true);
    } else if (b.classList.contains("lesson-copy")) {
      try {
        await navigator.clipboard.writeText(b.dataset.cmd);
        message("Copied: " + b.dataset.cmd);
      } catch (err) {
        message("The browser did not allow copying: select the command and copy it.", true);
      }
    } else if (b.classList.contains("lesson-starter")) {
      await act("/api/lesson/starter", { task: b.dataset.task }, (res) => {
        message("Copied " + res.files.join(", ") + " into your build context: reloading the editor…");
        // The editor holds the files it loaded: reload the page to show the new ones
        // (the page saves what is being typed before it goes).
        location.reload();
      });
    } else if (b.classList.contains("predict-build")) {
      const build = document.getElementById("build-btn");
      if (build && !build.disabled) build.click();
      else message("Build with the Build button or in the terminal: docker build .", true);
    }
  });

  panel.addEventListener("submit", (e) => {
    const f = e.target;
    e.preventDefault();
    if (f.matches(".lesson-choose")) {
      act("/api/lesson/choose", { lesson: f.elements.lesson.value });
    } else if (f.matches(".lesson-question")) {
      const answer = f.elements.answer.value;
      act("/api/lesson/answer", { task: f.dataset.task, answer }, (res) => {
        const t = (res.tasks || []).find((x) => x.id === f.dataset.task);
        if (t && t.state === "done") message("✓ Right: " + (t.detail || "that is the answer"));
        else message("✗ Not yet right: " + ((res.current && res.current.detail) || "look again"), true);
      });
    } else if (f.matches(".lesson-predict")) {
      const steps = [...f.querySelectorAll('input[name="step"]:checked')].map((i) => Number(i.value));
      act("/api/lesson/predict", { task: f.dataset.task, steps }, () => {
        message("Prediction saved (steps " + (steps.length ? steps.join(", ") : "none") + "): now build.");
      });
    }
  });

  panel.addEventListener("input", (e) => {
    if (e.target.closest(".lesson-question, .lesson-predict")) dirty = true;
  });
  panel.addEventListener("change", (e) => {
    if (e.target.closest(".lesson-predict")) dirty = true;
  });
  panel.addEventListener("toggle", (e) => {
    if (e.target === details()) {
      localStorage.setItem(OPEN_KEY, e.target.open ? "1" : "0");
      if (e.target.open) refresh(false);
    }
  }, true);

  // A build ended, or a command changed the images (app.js's layerlab:changed); a
  // terminal command ran; a build ended (layerlab:build-ended, when the page sends it).
  document.addEventListener("layerlab:changed", soon);
  document.addEventListener("layerlab:build-ended", soon);
  document.addEventListener("layerlab:terminal-ran", soon);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refresh(false); });
  setInterval(() => {
    const d = details();
    if (document.visibilityState === "visible" && (!d || d.open)) refresh(false);
  }, POLL_MS);
  applyOpen();
})();
