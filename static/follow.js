// layerlab follow-the-teacher: the teacher's build context (a read-only tab per file)
// and the teacher's builds, live over one websocket (/ws/class/live). The server's
// room sends {type:"files"} and {type:"build", id, state, last, events}; a build's
// events carry sequence numbers, and whatever this page lacks (it joined mid-build,
// or reconnected) it fetches from /api/class/builds/{id}/events?after=N.
(function () {
  "use strict";
  const { api, el, stateBadge, humanSize, short, fmtMs, STATES } = window.layerlab;
  const $ = (id) => document.getElementById(id);
  if (!$("follow-tabs")) return;

  const icon = (i) => el("span", { "aria-hidden": "true", text: i });

  function setStatus(node) { $("follow-status").replaceChildren(node); }

  // ---- the teacher's files ----------------------------------------------------------

  let files = [];
  let current = "";
  let changedLast = new Set();
  let marks = new Map(); // Dockerfile line -> step state, from the teacher's build

  function renderFiles(msg) {
    files = msg.files || [];
    const changed = msg.changed || [];
    changedLast = new Set(changed);
    if ($("follow-auto").checked && changed.length) current = changed[changed.length - 1];
    if (!files.some((f) => f.path === current)) current = files.length ? files[0].path : "";
    renderTabs();
    renderFile();
  }

  function renderTabs() {
    const tabs = files.map((f) => {
      const sel = f.path === current;
      return el("button", {
        type: "button", role: "tab", class: "follow-tab", id: "tab-" + f.path, "aria-selected": sel ? "true" : "false",
        "aria-controls": "follow-file", tabindex: sel ? "0" : "-1", "data-path": f.path, "data-testid": "follow-tab",
      }, f.path, changedLast.has(f.path) ? el("span", { class: "follow-changed", "data-testid": "follow-tab-changed" }, " ", icon("●"), " changed") : null);
    });
    $("follow-tabs").replaceChildren(...tabs);
  }

  let shown = ""; // the file the panel shows: a new version of it keeps the scroll position

  function renderFile() {
    const box = $("follow-file");
    const keep = shown === current ? box.scrollTop : 0;
    shown = current;
    const f = files.find((x) => x.path === current);
    if (!f) {
      box.replaceChildren(el("p", { class: "muted", text: "The teacher's build context is empty." }));
      return;
    }
    box.setAttribute("aria-labelledby", "tab-" + f.path);
    const head = el("p", { class: "muted follow-file-head", "data-testid": "follow-file-head" },
      f.path + " · " + humanSize(f.size) + " · read-only");
    if (!f.text) {
      box.replaceChildren(head, el("p", { class: "notice", text: "A binary file: the live view shows text files only. Copy into your workspace to use it." }));
      return;
    }
    if (f.omitted) {
      box.replaceChildren(head, el("p", { class: "notice", "data-testid": "follow-omitted", text: f.omitted }));
      return;
    }
    const isDockerfile = f.path === "Dockerfile";
    const lines = (f.content || "").split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    const code = el("ol", { class: "follow-code", "data-testid": "follow-code" },
      ...lines.map((text, i) => {
        const st = isDockerfile ? marks.get(i + 1) : undefined;
        return el("li", { class: st ? "mark mark-" + st : null, "data-line": i + 1 },
          el("code", { text: text || " " }),
          st ? el("span", { class: "follow-mark", "data-testid": "follow-mark" }, " ", stateBadge(st)) : null);
      }));
    box.replaceChildren(head, code);
    box.scrollTop = keep;
  }

  function pickTab(path, focus) {
    current = path;
    $("follow-auto").checked = false; // the student chose: stop jumping to the teacher's file
    renderTabs();
    renderFile();
    if (focus) { const t = document.getElementById("tab-" + path); if (t) t.focus(); }
  }

  $("follow-tabs").addEventListener("click", (ev) => {
    const t = ev.target.closest(".follow-tab");
    if (t) pickTab(t.dataset.path, false);
  });
  $("follow-tabs").addEventListener("keydown", (ev) => {
    const i = files.findIndex((f) => f.path === current);
    let j = -1;
    if (ev.key === "ArrowRight") j = (i + 1) % files.length;
    else if (ev.key === "ArrowLeft") j = (i - 1 + files.length) % files.length;
    else if (ev.key === "Home") j = 0;
    else if (ev.key === "End") j = files.length - 1;
    if (j < 0 || !files.length) return;
    ev.preventDefault();
    pickTab(files[j].path, true);
  });

  // ---- the teacher's build ----------------------------------------------------------

  let build = null; // {id, lastSeq, known, steps: Map, total, pending: [], fetching, ended}

  function newBuild(msg) {
    build = { id: msg.id, lastSeq: 0, known: 0, steps: new Map(), total: 0, pending: [], fetching: false, ended: false };
    marks = new Map();
    $("follow-layers").replaceChildren();
    $("follow-build-end").replaceChildren();
    document.querySelectorAll(".follow-warning").forEach((n) => n.remove());
    const cmd = $("follow-build-cmd");
    cmd.textContent = msg.command || "docker build .";
    cmd.hidden = false;
    renderFile();
  }

  function buildHead(msg) {
    const when = msg.created ? new Date(msg.created).toLocaleTimeString() : "";
    const state = msg.state === "succeeded" ? el("span", { class: "state state-cached" }, icon("✓"), " succeeded")
      : msg.state === "failed" ? el("span", { class: "state state-failed" }, icon("✗"), " failed")
        : el("span", { class: "state state-running" }, icon("⟳"), " running");
    $("follow-build-head").replaceChildren("Build " + msg.id.slice(0, 8) + (when ? " started " + when : "") + " · ", state);
    $("follow-build-head").dataset.state = msg.state;
  }

  function onBuild(msg) {
    if (!msg.id) { // the teacher's builds were removed
      build = null;
      marks = new Map();
      $("follow-layers").replaceChildren();
      $("follow-build-end").replaceChildren();
      $("follow-build-cmd").hidden = true;
      $("follow-build-head").textContent = "The teacher has not built yet.";
      renderFile();
      return;
    }
    if (!build || build.id !== msg.id) newBuild(msg);
    buildHead(msg);
    build.known = Math.max(build.known, msg.last || 0);
    for (const e of msg.events || []) take(e);
    if (build.known > build.lastSeq) fetchMissing(build);
  }

  // take applies the next event, or keeps one that comes after a gap for later.
  function take(e) {
    if (e.seq <= build.lastSeq) return;
    if (e.seq > build.lastSeq + 1) {
      build.pending.push(e);
      build.known = Math.max(build.known, e.seq);
      return;
    }
    apply(e);
    build.lastSeq = e.seq;
    build.pending.sort((a, b) => a.seq - b.seq);
    while (build.pending.length && build.pending[0].seq <= build.lastSeq + 1) {
      const p = build.pending.shift();
      if (p.seq === build.lastSeq + 1) { apply(p); build.lastSeq = p.seq; }
    }
  }

  async function fetchMissing(b) {
    if (b.fetching) return;
    b.fetching = true;
    try {
      for (let tries = 0; tries < 3 && b === build && b.known > b.lastSeq; tries++) {
        const events = await api("GET", "/api/class/builds/" + encodeURIComponent(b.id) + "/events?after=" + b.lastSeq);
        if (b !== build) return;
        for (const e of events) take(e);
      }
    } catch (err) {
      if (b === build) $("follow-build-end").replaceChildren(el("span", { class: "error-msg", "data-testid": "follow-fetch-error" }, icon("⚠"), " " + err.message));
    } finally {
      b.fetching = false;
    }
  }

  function stepItem(e) {
    let s = build.steps.get(e.step);
    if (s) return s;
    const log = el("pre", { class: "log", "data-testid": "step-log" });
    const details = el("details", { class: "step-logs", hidden: true }, el("summary", { text: "log" }), log);
    const li = el("li", { class: "layer", "data-step": e.step, "data-testid": "follow-layer-" + e.step });
    s = { li, log, details, lines: 0 };
    build.steps.set(e.step, s);
    const list = $("follow-layers");
    const after = [...list.children].find((c) => Number(c.dataset.step) > e.step);
    list.insertBefore(li, after || null);
    return s;
  }

  function renderStep(s, e, state) {
    s.li.className = "layer layer-" + state;
    s.li.dataset.state = state;
    const meta = [];
    if (e.ms !== undefined && state !== "running") meta.push(fmtMs(e.ms));
    if (e.size !== undefined) meta.push(humanSize(e.size));
    if (e.image) meta.push(short(e.image));
    s.li.replaceChildren(...[
      el("div", { class: "layer-head" },
        stateBadge(state),
        el("span", { class: "step-no", text: "Step " + e.step + "/" + (e.of || build.total) }),
        el("span", { class: "muted meta", text: meta.join(" · ") })),
      el("code", { class: "instr", "data-testid": "instruction", text: e.instruction || "" }),
      e.reason ? el("div", { class: "reason", "data-testid": "reason", text: e.reason }) : null,
      e.error ? el("div", { class: "error-msg", "data-testid": "step-error", text: e.error + (e.hint ? "\n" + e.hint : "") }) : null,
      s.details,
    ].filter(Boolean));
    if (s.lines) s.details.hidden = false;
    if (state === "failed") s.details.open = true; // a failed step's log holds its cause
  }

  // reveal scrolls the layer list (its own scroll box, not the page: a student may be
  // reading the files) so that the running step shows.
  function reveal(li) {
    const list = $("follow-layers");
    const top = li.offsetTop;
    if (top < list.scrollTop || top + li.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - 8);
    }
  }

  function mark(e, state) {
    if (!e.line) return;
    for (let l = e.line; l <= (e.end_line || e.line); l++) marks.set(l, state);
    if (current === "Dockerfile") renderFile();
  }

  function apply(e) {
    switch (e.type) {
      case "build.started":
        build.total = e.steps;
        break;
      case "step.started": {
        if (e.trigger) break;
        const s = stepItem(e);
        renderStep(s, e, "running");
        mark(e, "running");
        reveal(s.li);
        break;
      }
      case "step.log": {
        const s = build.steps.get(e.step);
        if (!s) break;
        s.log.textContent += (e.text || "") + "\n";
        s.lines++;
        s.details.hidden = false;
        break;
      }
      case "step.done": {
        if (e.trigger) break;
        renderStep(stepItem(e), e, e.state);
        mark(e, e.state);
        break;
      }
      case "build.warning":
        $("follow-layers").before(el("p", { class: "notice follow-warning", "data-testid": "follow-warning" }, icon("⚠"), " " + e.text));
        break;
      case "build.done":
        build.ended = true;
        $("follow-build-end").replaceChildren(el("span", { "data-testid": "follow-build-done" },
          el("span", { class: "state state-cached" }, icon("✓"), " built"),
          " " + short(e.image) + (e.tags && e.tags.length ? " tagged " + e.tags.join(", ") : "") + (e.ms ? " in " + fmtMs(e.ms) : "")));
        break;
      case "build.failed":
        build.ended = true;
        if (e.step) renderStep(stepItem(e), Object.assign({}, e, { state: "failed" }), "failed");
        mark(e, "failed");
        $("follow-build-end").replaceChildren(el("span", { class: "error-msg", "data-testid": "follow-build-failed" },
          icon("✗"), " build failed" + (e.line ? " at line " + e.line : "") + ": " + e.error + (e.hint ? "\n" + e.hint : "")));
        break;
    }
  }

  // ---- the websocket ----------------------------------------------------------------

  let retry = 0;
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/ws/class/live" + location.search);
    let opened = false;
    ws.onopen = () => {
      opened = true;
      retry = 0;
      document.body.dataset.followConnected = "1";
      setStatus(el("span", { class: "state state-cached", "data-testid": "follow-live" }, icon("●"), " live: following the teacher"));
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (_) { return; }
      if (msg.type === "files") renderFiles(msg);
      else if (msg.type === "build") onBuild(msg);
    };
    ws.onclose = () => {
      document.body.dataset.followConnected = "0";
      const delay = Math.min(10000, 500 * 2 ** retry++);
      setStatus(el("span", { class: "state state-running", "data-testid": "follow-reconnecting" }, icon("⟳"), " connection lost, reconnecting…"));
      if (!opened && retry >= 2) showRefusal();
      setTimeout(connect, delay);
    };
  }

  // A refused handshake hides its reason from WebSocket; the same request over HTTP
  // carries it (the limit of followers, or not in a class).
  async function showRefusal() {
    try {
      const res = await fetch("/ws/class/live" + location.search, { headers: { Accept: "application/json" } });
      if (res.status !== 429 && res.status !== 403) return;
      const body = await res.json().catch(() => ({}));
      setStatus(el("span", { class: "error-msg", "data-testid": "follow-refused" }, icon("⚠"), " " + (body.error || res.statusText) + " (retrying)"));
    } catch (_) { /* offline: the retry says enough */ }
  }

  // ---- copy into my workspace -------------------------------------------------------

  const copyBtn = $("follow-copy");
  if (copyBtn) {
    copyBtn.addEventListener("click", async () => {
      if (!window.confirm("Replace your build context with the teacher's Dockerfile and files? Your own files are overwritten; your images stay.")) return;
      const out = $("follow-copy-result");
      copyBtn.disabled = true;
      try {
        const res = await api("POST", "/api/class/copy-teacher");
        out.replaceChildren(el("span", { class: "state state-cached", "data-testid": "follow-copied" }, icon("✓"),
          " Copied " + res.copied.length + " files into your workspace. "), el("a", { href: "/", "data-testid": "follow-open-playground", text: "Open them in the playground" }));
      } catch (err) {
        out.replaceChildren(el("span", { class: "error-msg", "data-testid": "follow-copy-error" }, icon("✗"), " " + err.message));
      } finally {
        copyBtn.disabled = false;
      }
    });
  }

  connect();
})();
