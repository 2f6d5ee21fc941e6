// layerlab playground: the editor, the build context's file tree, and the live build
// (events over a websocket, resumed after a reconnect from the last sequence number).
(function () {
  "use strict";
  const { api, el, stateBadge, humanSize, short, fmtMs, STATES } = window.layerlab;
  const $ = (id) => document.getElementById(id);


  // ---- files and the editor -------------------------------------------------------

  let files = []; // [{path, size, text, content}]
  let current = "Dockerfile";
  let editor = null;
  let saveTimer = null, lintTimer = null, pendingSave = null;
  let diagnostics = [];

  function fileByPath(p) { return files.find((f) => f.path === p); }

  async function loadContext(open) {
    const data = await api("GET", "/api/context");
    files = data.files;
    renderFileList();
    const target = open && fileByPath(open) ? open : fileByPath(current) ? current : fileByPath("Dockerfile") ? "Dockerfile" : (files[0] && files[0].path);
    if (target) openFile(target, true);
  }

  function renderFileList() {
    const ul = $("file-list");
    ul.replaceChildren(...files.map((f) => el("li", {},
      el("button", {
        type: "button", class: "file" + (f.path === current ? " current" : ""), "data-path": f.path,
        "data-testid": "file-" + f.path, "aria-current": f.path === current ? "true" : null,
        onclick: () => openFile(f.path),
      }, f.path, el("span", { class: "muted size", "data-testid": "file-size", text: " " + humanSize(f.size) })))));
  }

  // showSize updates one file's size in the tree as it is typed (the list is not redrawn:
  // that would move the keyboard focus).
  function showSize(f) {
    for (const b of $("file-list").querySelectorAll("button.file")) {
      if (b.dataset.path !== f.path) continue;
      const sz = b.querySelector(".size");
      if (sz) sz.textContent = " " + humanSize(f.size);
    }
  }

  // labelEditor names the open file to a screen reader: the editor holds every file of
  // the context, not only the Dockerfile.
  function labelEditor(p) {
    editor.view.contentDOM.setAttribute("aria-label", "Editor: " + p);
  }

  async function openFile(p, force) {
    if (p === current && !force && editor) return;
    await flushSave();
    const f = fileByPath(p);
    if (!f) return;
    current = p;
    $("editor-file").textContent = p;
    renderFileList();
    if (!f.text) {
      editor.setText("(binary file, " + humanSize(f.size) + ": it is in the build context but cannot be edited here)", p);
      labelEditor(p);
      return;
    }
    editor.setText(f.content || "", p);
    labelEditor(p);
    if (p === dockerfileName()) {
      editor.setDiagnostics(diagnostics);
      if (lastMarks.length) editor.markSteps(lastMarks);
    }
  }

  function dockerfileName() { return "Dockerfile"; }

  function onEdit(text) {
    const f = fileByPath(current);
    if (!f || !f.text) return;
    f.content = text;
    f.size = new TextEncoder().encode(text).length;
    showSize(f);
    $("save-state").textContent = "unsaved…";
    clearTimeout(saveTimer);
    pendingSave = { path: current, content: text };
    saveTimer = setTimeout(flushSave, 400);
    if (current === dockerfileName()) {
      clearTimeout(lintTimer);
      lintTimer = setTimeout(() => lint(text), 250);
    }
  }

  async function flushSave() {
    clearTimeout(saveTimer);
    const p = pendingSave;
    pendingSave = null;
    if (!p) return;
    try {
      await api("PUT", "/api/context/file", p);
      $("save-state").textContent = "saved";
    } catch (e) {
      $("save-state").textContent = "not saved: " + e.message;
    }
  }

  async function lint(text) {
    try {
      const res = await api("POST", "/api/lint", { dockerfile: text });
      diagnostics = res.diagnostics;
      if (current === dockerfileName()) editor.setDiagnostics(diagnostics);
      renderDiagnostics();
    } catch (e) { /* the build reports it too */ }
  }

  function renderDiagnostics() {
    $("diagnostics").replaceChildren(...diagnostics.map((d) => el("li", { class: "diag diag-" + d.severity, "data-testid": "diagnostic" },
      el("span", { class: "state " + (d.severity === "error" ? "state-failed" : "state-changed") },
        el("span", { "aria-hidden": "true", text: d.severity === "error" ? "✗" : "⚠" }), " " + d.severity),
      " line " + d.line + ": " + d.message)));
  }

  async function newFile() {
    const name = prompt("New file name (a path inside the build context, e.g. app/util.py):");
    if (!name) return;
    try {
      const res = await api("PUT", "/api/context/file", { path: name, content: "" });
      await loadContext(res.path);
      fileMsg("Created " + res.path);
    } catch (e) { fileMsg(e.message, true); }
  }

  async function renameFile() {
    const to = prompt("Rename " + current + " to:", current);
    if (!to || to === current) return;
    try {
      await flushSave();
      const res = await api("POST", "/api/context/rename", { from: current, to });
      current = res.path;
      await loadContext(res.path);
      fileMsg("Renamed to " + res.path);
    } catch (e) { fileMsg(e.message, true); }
  }

  async function deleteFile() {
    if (!confirm("Delete " + current + " from the build context?")) return;
    try {
      pendingSave = null;
      await api("DELETE", "/api/context/file?path=" + encodeURIComponent(current));
      fileMsg("Deleted " + current);
      current = "Dockerfile";
      await loadContext();
    } catch (e) { fileMsg(e.message, true); }
  }

  async function upload(ev) {
    ev.preventDefault();
    const fd = new FormData(ev.target);
    try {
      const res = await api("POST", "/api/context/upload", fd);
      ev.target.reset();
      await loadContext();
      fileMsg("Uploaded " + res.added.join(", "));
    } catch (e) { fileMsg(e.message, true); }
  }

  async function loadExample(dir, title) {
    if (!confirm("Replace the build context with the " + title + " example?")) return;
    try {
      pendingSave = null;
      await api("POST", "/api/examples/" + encodeURIComponent(dir));
      current = "Dockerfile";
      diagnostics = [];
      lastMarks = [];
      renderDiagnostics();
      await loadContext("Dockerfile");
      fileMsg("Loaded the " + title + " example");
    } catch (e) { fileMsg(e.message, true); }
  }

  function fileMsg(msg, isErr) {
    const m = $("file-msg");
    m.textContent = msg;
    m.className = isErr ? "error-msg" : "muted";
  }

  // ---- building ---------------------------------------------------------------------

  let build = null; // {id, lastSeq, steps: Map(step -> {li, ...}), total, ended, ws, retry}
  let lastMarks = [];
  let starting = false; // a build's POST is on its way: a second Build press waits for it

  function options() {
    const tags = $("opt-tags").value.trim().split(/\s+/).filter(Boolean);
    const args = {};
    for (const line of $("opt-args").value.split("\n")) {
      const t = line.trim();
      if (!t) continue;
      const i = t.indexOf("=");
      if (i < 1) continue;
      args[t.slice(0, i)] = t.slice(i + 1);
    }
    return { tags, build_args: args, target: $("opt-target").value.trim(), no_cache: $("opt-nocache").checked };
  }

  function quote(s) { return /^[\w\-./:=@%+,]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'"; }

  function dockerCommand() {
    const o = options();
    let c = "docker build";
    for (const t of o.tags) c += " -t " + quote(t);
    for (const k of Object.keys(o.build_args).sort()) c += " --build-arg " + quote(k + "=" + o.build_args[k]);
    if (o.target) c += " --target " + quote(o.target);
    if (o.no_cache) c += " --no-cache";
    return c + " .";
  }

  function updateCommand() { $("build-cmd").textContent = dockerCommand(); }

  function setStatus(node) {
    const s = $("build-status");
    s.replaceChildren(node);
  }

  // startBuild starts one build. Ctrl+Enter reaches it from the editor's keymap and from
  // the page's keydown alike; starting (set before the first await) makes the second of
  // two calls in the same keypress a no-op rather than a second build or a 409.
  async function startBuild(ev) {
    if (ev) ev.preventDefault();
    if (starting || (build && !build.ended)) return;
    starting = true;
    let started;
    ownStart = new Promise((r) => { started = r; }); // an announcement of this build waits for its id
    endReplay(false);
    try {
      await flushSave();
      $("build-btn").disabled = true;
      const res = await api("POST", "/api/builds", options());
      $("build-cmd").textContent = res.command;
      beginWatch(res.id);
    } catch (e) {
      $("build-btn").disabled = false;
      setStatus(el("span", { class: "error-msg", "data-testid": "build-error", text: e.message }));
    } finally {
      starting = false;
      started();
      ownStart = null;
    }
  }

  function newBuild(id) {
    return { id, lastSeq: 0, steps: new Map(), total: 0, ended: false, ws: null, retry: 0, marks: new Map(), last: null };
  }

  function beginWatch(id) {
    build = newBuild(id);
    $("layers").replaceChildren();
    for (const w of document.querySelectorAll('[data-testid="warning"], [data-testid="build-origin"]')) w.remove();
    $("compare").hidden = true;
    $("replay-btn").disabled = true;
    narrate("");
    $("cancel-btn").disabled = false;
    document.body.dataset.buildId = id;
    setStatus(el("span", { class: "state state-running" }, el("span", { "aria-hidden": "true", text: "⟳" }), " building…"));
    connect();
  }

  // showStored shows a build from its stored events, as it was when it ended (a reload
  // of the page keeps the last build in view: its steps, states and line marks). A build
  // still running is watched live instead.
  async function showStored(id) {
    let evs, info;
    try {
      [evs, info] = await Promise.all([api("GET", "/api/builds/" + encodeURIComponent(id) + "/events"),
        api("GET", "/api/builds/" + encodeURIComponent(id)).catch(() => ({}))]);
    } catch (e) { return; }
    if (!Array.isArray(evs) || (build && build.id !== id)) return; // a new build began meanwhile
    const end = evs.find((e) => e.type === "build.done" || e.type === "build.failed");
    if (!end) { beginWatch(id); showOrigin(build, info.via, ""); return; }
    build = newBuild(id);
    $("layers").replaceChildren();
    showOrigin(build, info.via, "");
    document.body.dataset.buildId = id;
    for (const e of evs) {
      build.lastSeq = e.seq;
      onEvent(build, e, true);
    }
    document.body.dataset.shown = id;
  }

  function connect() {
    const b = build;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/ws/builds/" + b.id + "?after=" + b.lastSeq);
    b.ws = ws;
    let opened = false;
    ws.onopen = () => { opened = true; b.retry = 0; document.body.dataset.wsConnected = "1"; };
    ws.onmessage = (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch (_) { return; }
      if (e.seq <= b.lastSeq) return; // already shown (replay overlap)
      b.lastSeq = e.seq;
      document.body.dataset.lastSeq = String(e.seq);
      onEvent(b, e, false);
    };
    ws.onclose = () => {
      document.body.dataset.wsConnected = "0";
      if (b !== build || b.ended) return;
      // Dropped (network, server restart, or too slow): resume after the last event seen.
      const delay = Math.min(5000, 250 * 2 ** b.retry++);
      setStatus(el("span", { class: "state state-running", "data-testid": "reconnecting" },
        el("span", { "aria-hidden": "true", text: "⟳" }), " connection lost, reconnecting…"));
      setTimeout(() => { if (b === build && !b.ended) connect(); }, delay);
      // A refused handshake (the server's limit of watchers) hides its reason from
      // WebSocket; the same refusal over HTTP carries it, so show that while retrying.
      if (!opened && b.retry >= 2) showRefusal(b);
    };
  }

  async function showRefusal(b) {
    const ctl = new AbortController();
    try {
      const res = await fetch("/api/builds/" + b.id + "/events?after=" + b.lastSeq, { signal: ctl.signal });
      if (res.status !== 429 || b !== build || b.ended) {
        ctl.abort(); // a 200 streams the events: the websocket will get them
        return;
      }
      const body = await res.json().catch(() => ({}));
      setStatus(el("span", { class: "error-msg", "data-testid": "watch-refused" },
        el("span", { "aria-hidden": "true", text: "⚠" }), " " + (body.error || "too many watchers") + " (retrying)"));
    } catch (_) { /* aborted or offline: the retry says enough */ }
  }

  // ---- builds started elsewhere in this workspace (the workspace feed) ---------------
  // /ws/workspace announces every build of the workspace: a `docker build` through the
  // Engine API, the web terminal's, another tab's Build button. One not started by
  // this page is followed as its own is: its stream opens and the stack lights up.

  let ownStart = null; // resolves once this page's build POST has answered (its id known)
  let feedDelay = 1000;

  // VIA says where an announced build came from (handlers/workspacefeed.go's via).
  const VIA = {
    engine: "docker build from a terminal, through the Docker Engine API",
    terminal: "docker build in the web terminal",
    page: "the Build button in another tab of this playground",
  };

  async function onAnnounce(a) {
    if (ownStart) await ownStart; // the page's own build's announcement can come before its POST's answer
    if (build && build.id === a.id) return; // its own, or followed already
    endReplay(false);
    beginWatch(a.id);
    $("build-btn").disabled = true;
    if (a.command) $("build-cmd").textContent = a.command;
    showOrigin(build, a.via || "elsewhere", a.command);
  }

  // showOrigin says where the build b came from when it was not this playground's Build
  // button (via "page", or "" for a build stored before via was recorded, says nothing).
  // A docker CLI sends its own context: its Dockerfile is not the one in the editor, so
  // the editor's lines are not marked with its steps (and the older marks go).
  function showOrigin(b, via, command) {
    for (const n of document.querySelectorAll('[data-testid="build-origin"]')) n.remove();
    if (!via || (via === "page" && !command)) return;
    b.external = via === "engine";
    if (b.external) {
      lastMarks = [];
      if (current === dockerfileName()) editor.markSteps([]);
    }
    $("layers").before(el("p", { class: "notice", "data-testid": "build-origin", "data-via": via },
      el("span", { "aria-hidden": "true", text: "⇢ " }),
      "Started elsewhere: " + (VIA[via] || "outside this page") + (command ? " — " : ""),
      command ? el("code", { text: command }) : null,
      b.external ? " (its Dockerfile and files are the ones that docker CLI sent, not the editor's: the editor's lines are not marked)" : null));
  }

  function feedNotice(text) {
    for (const n of document.querySelectorAll('[data-testid="feed-refused"]')) n.remove();
    if (text) $("layers").before(el("p", { class: "error-msg", "data-testid": "feed-refused" }, el("span", { "aria-hidden": "true", text: "⚠ " }), text));
  }

  function openFeed() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/ws/workspace");
    let refused = "";

    ws.onmessage = (m) => {
      let a;
      try { a = JSON.parse(m.data); } catch (_) { return; }
      if (a.type === "error") { refused = a.error || "refused"; return; }
      if (a.type === "feed.open") { document.body.dataset.feed = "1"; feedDelay = 1000; feedNotice(""); return; }
      if (a.type === "build.started" && a.id) onAnnounce(a);
    };
    ws.onclose = (e) => {
      document.body.dataset.feed = "0";
      let wait = feedDelay;
      feedDelay = Math.min(feedDelay * 2, 60000);
      // Nothing stored in this workspace yet, so nothing builds in it; soon something may
      // (the panel "Use your own docker CLI" stores it): look again every few seconds.
      if (e.code === 4001) wait = 3000;
      if (e.code === 4029) {
        wait = 60000;
        feedNotice("Builds started outside this page are not shown live: " + refused + " (trying again in a minute)");
      } else if (e.code === 1000 || e.code === 1001 || e.code === 1013) {
        wait = 1000; // the server stopping, or this page fell behind: reconnect soon
      }
      setTimeout(openFeed, wait);
    };
  }

  // layerlab.dropConnection closes the websocket as a network failure would (the e2e
  // test uses it to prove a reconnect loses and repeats nothing).
  window.layerlab.dropConnection = () => { if (build && build.ws) build.ws.close(); };

  // FIRST_BUILD is what a step built with nothing before it in the cache says (the
  // comparison's handler words it the same): the engine's "no earlier build had this step
  // (step 2 was rebuilt)" reads, on a first build, as if step 2 had been built before.
  const FIRST_BUILD = "first build of this step: nothing in the cache yet";

  // why is the reason a step shows: the comparison's wording once the build has ended
  // (s.why), else the engine's, except for a first build.
  function why(b, s, e, state) {
    if (s.why) return s.why;
    if (state === "new" && !/^--no-cache/.test(e.reason || "")) {
      let reused = false;
      for (const [n, o] of b.steps) if (n < e.step && ["cached", "changed", "downstream"].includes(o.state)) reused = true;
      if (!reused) return FIRST_BUILD;
    }
    return e.reason || "";
  }

  // sentence says in one sentence, for a class, what a step did and why.
  function sentence(step, state, instr, reason) {
    const r = (reason || "").replace(/\.$/, "");
    const files = /^(?:COPY|ADD) sources changed: (.*)$/.exec(r);
    const was = /^instruction changed \(was: (.*)\)$/.exec(r);
    switch (state) {
      case "changed":
        if (files) return "Step " + step + " ran again: " + instr + " copies a file that changed (" + files[1] + ").";
        if (was) return "Step " + step + " ran again: its line changed (it was " + was[1] + ").";
        return "Step " + step + " ran again: " + instr + ": " + r + ".";
      case "downstream":
        return "Step " + step + " ran again: " + r + ", and every step after a rebuilt one runs again.";
      case "new":
        return "Step " + step + " ran for the first time here: " + instr + ": " + r + ".";
      case "failed":
        return "Step " + step + " failed: " + instr + ": " + r + ".";
      case "cached":
        return "Step " + step + " came from the cache: " + instr + " and what it reads are unchanged.";
      case "base":
        return "Step " + step + ": " + r + ", the layers everything else builds on.";
      case "running":
        return "Step " + step + " is running: " + instr + ".";
    }
    return "";
  }

  // narrate shows a sentence large, above the layers (presenter mode and replay).
  function narrate(text) {
    const n = $("narration");
    n.textContent = text;
    n.hidden = !text;
  }

  function stepItem(b, e) {
    let s = b.steps.get(e.step);
    if (s) return s;
    const log = el("pre", { class: "log", "data-testid": "step-log" });
    const details = el("details", { class: "step-logs", hidden: true, "data-testid": "step-logs" }, el("summary", { text: "log" }), log);
    const li = el("li", { class: "layer", "data-step": e.step, "data-testid": "layer-" + e.step });
    s = { li, log, details, lines: 0, e: null, state: "", why: "" };
    b.steps.set(e.step, s);
    const list = $("layers");
    const after = [...list.children].find((c) => Number(c.dataset.step) > e.step);
    list.insertBefore(li, after || null);
    return s;
  }

  function renderStep(b, s, e, state) {
    s.e = e;
    s.state = state;
    s.li.className = "layer layer-" + state;
    s.li.dataset.state = state;
    // Size first: presenter mode shows only it (app.css puts the " · " between them).
    const meta = [];
    if (e.size !== undefined) meta.push(el("span", { class: "size", "data-testid": "step-size", text: humanSize(e.size) }));
    if (e.ms !== undefined && state !== "running") meta.push(el("span", { class: "ms", text: fmtMs(e.ms) }));
    if (e.image) meta.push(el("span", { class: "img", text: short(e.image) }));
    const reason = state === "running" ? "" : why(b, s, e, state);
    const said = sentence(e.step, state, e.instruction || "", reason);
    const kids = [
      el("div", { class: "layer-head" },
        stateBadge(state),
        el("span", { class: "step-no", text: "Step " + e.step + "/" + (e.of || b.total) }),
        el("span", { class: "muted meta", "data-testid": "step-meta" }, ...meta)),
      el("code", { class: "instr", "data-testid": "instruction", title: e.instruction || "", text: e.instruction || "" }),
      reason ? el("div", { class: "reason", "data-testid": "reason", text: reason }) : null,
      said && state !== "cached" && state !== "base" && state !== "meta" ? el("div", { class: "sentence", "data-testid": "reason-sentence", title: said, text: said }) : null,
      e.error ? el("div", { class: "error-msg", "data-testid": "step-error", text: e.error + (e.hint ? "\n" + e.hint : "") }) : null,
      s.details,
    ];
    s.li.replaceChildren(...kids.filter(Boolean));
    if (s.lines) s.details.hidden = false;
    // A failed step's log holds the real cause (the command's own error): open it.
    if (state === "failed" && s.lines) s.details.open = true;
    return said;
  }

  // follow keeps a step in view: the stack scrolls itself to the running step. In
  // presenter mode the stack is its own scrolling box, and only it moves: the editor
  // beside it stays where the class is looking.
  function follow(s) {
    const list = $("layers");
    if (!(window.layerlabPresent && window.layerlabPresent.on())) {
      s.li.scrollIntoView({ block: "nearest" });
      return;
    }
    const lr = list.getBoundingClientRect(), r = s.li.getBoundingClientRect();
    if (r.top < lr.top) list.scrollTop += r.top - lr.top;
    else if (r.bottom > lr.bottom) list.scrollTop += r.bottom - lr.bottom;
  }

  // onEvent shows one event of the build b; stored is true when the events are read back
  // from the store (a reload), not streamed.
  function onEvent(b, e, stored) {
    switch (e.type) {
      case "build.started":
        b.total = e.steps;
        break;
      case "step.started": {
        if (e.trigger) break;
        const s = stepItem(b, e);
        renderStep(b, s, e, "running");
        if (!stored) follow(s);
        setStatus(el("span", { class: "state state-running" }, el("span", { "aria-hidden": "true", text: "⟳" }),
          " building… step " + e.step + "/" + (e.of || b.total)));
        break;
      }
      case "step.log": {
        const s = b.steps.get(e.step);
        if (!s || e.text === undefined) break;
        s.log.textContent += e.text + "\n";
        s.lines++;
        s.details.hidden = false;
        if (s.state === "failed") s.details.open = true;
        break;
      }
      case "step.done": {
        if (e.trigger) break;
        const s = stepItem(b, e);
        const said = renderStep(b, s, e, e.state);
        if (e.state !== "cached" && e.state !== "base" && e.state !== "meta") b.last = said;
        if (!stored) { follow(s); if (window.layerlabPresent && window.layerlabPresent.on()) narrate(b.last || ""); }
        if (e.line) b.marks.set(e.step, { line: e.line, endLine: e.end_line || e.line, state: e.state });
        applyMarks(b);
        break;
      }
      case "build.warning":
        $("layers").before(el("p", { class: "notice", "data-testid": "warning", text: "⚠ " + e.text }));
        break;
      case "build.done":
        b.ended = true;
        finish(b, stored);
        setStatus(el("span", { "data-testid": "build-done" },
          el("span", { class: "state state-cached" }, el("span", { "aria-hidden": "true", text: "✓" }), " built"),
          " " + short(e.image) + (e.tags && e.tags.length ? " tagged " + e.tags.join(", ") : "") + " in " + fmtMs(e.ms)));
        loadCompare(b);
        if (!stored) window.layerlab.changed({ build: b.id });
        break;
      case "build.failed": {
        b.ended = true;
        finish(b, stored);
        if (e.step) {
          const s = stepItem(b, e);
          const prev = s.e && s.state === "failed" ? s.e : {};
          b.last = renderStep(b, s, Object.assign({}, prev, e, { state: "failed", reason: prev.reason || e.error }), "failed");
          if (!stored) follow(s);
        }
        if (e.line && !b.external) {
          b.marks.set(e.step || 0, { line: e.line, endLine: e.end_line || e.line, state: "failed" });
          applyMarks(b);
          diagnostics = diagnostics.filter((d) => d.severity !== "error").concat([{ line: e.line, endLine: e.end_line || e.line, severity: "error", message: e.error }]);
          renderDiagnostics();
          if (current === dockerfileName()) { editor.setDiagnostics(diagnostics); if (!stored) editor.scrollToLine(e.line); }
        }
        setStatus(el("span", { class: "error-msg", "data-testid": "build-failed" },
          "✗ build failed" + (e.line ? " at line " + e.line : "") + ": " + e.error + (e.hint ? "\n" + e.hint : "")));
        loadCompare(b);
        if (!stored) window.layerlab.changed({ build: b.id });
        break;
      }
    }
  }

  function applyMarks(b) {
    if (b.external) return; // its Dockerfile is not the editor's (a docker CLI sent its own)
    lastMarks = [...b.marks.values()];
    if (current === dockerfileName()) editor.markSteps(lastMarks);
  }

  function finish(b, stored) {
    $("build-btn").disabled = false;
    $("cancel-btn").disabled = true;
    $("replay-btn").disabled = false;
    if (b.ws) b.ws.close();
    if (window.layerlabPresent && window.layerlabPresent.on()) narrate(b.last || "");
    if (!stored) refreshRecent();
  }

  async function cancelBuild() {
    if (!build || build.ended) return;
    try { await api("POST", "/api/builds/" + build.id + "/cancel"); } catch (e) { /* it ended meanwhile */ }
  }

  // ---- replay: a finished build one step at a time, for a teacher to narrate ----------

  let replay = null; // {id, units: [{e (step.done or build.failed), logs}], pos, end}

  async function startReplay() {
    if (!build || !build.ended || replay) return;
    const id = build.id;
    let evs;
    try { evs = await api("GET", "/api/builds/" + encodeURIComponent(id) + "/events"); } catch (e) {
      setStatus(el("span", { class: "error-msg", text: "replay: " + e.message }));
      return;
    }
    if (!build || build.id !== id || !build.ended) return;
    const units = [], byStep = new Map();
    let end = null, total = 0;
    for (const e of evs) {
      if (e.type === "build.started") total = e.steps;
      if (e.type === "step.log" && byStep.has(e.step) && e.text !== undefined) byStep.get(e.step).logs.push(e.text);
      if (e.type === "step.started" && !e.trigger && !byStep.has(e.step)) {
        const u = { e: null, logs: [] };
        byStep.set(e.step, u);
      }
      if (e.type === "step.done" && !e.trigger) {
        const u = byStep.get(e.step) || { logs: [] };
        byStep.set(e.step, u);
        u.e = e;
        if (!units.includes(u)) units.push(u);
      }
      if (e.type === "build.failed" || e.type === "build.done") end = e;
    }
    if (end && end.type === "build.failed" && end.step && !units.some((u) => u.e.step === end.step)) {
      const u = byStep.get(end.step) || { logs: [] };
      u.e = Object.assign({}, end, { state: "failed", reason: end.error });
      units.push(u);
    }
    if (!units.length) return;
    replay = { id, units, pos: 0, total: total || units.length, end, b: newBuild(id) };
    replay.b.total = replay.total;
    // The comparison's wording of each reason, as the finished build showed it.
    for (const [n, s] of build.steps) if (s.why) replay.b.whys = Object.assign(replay.b.whys || {}, { [n]: s.why });
    document.documentElement.classList.add("replaying");
    $("replay-bar").hidden = false;
    $("replay-btn").disabled = true;
    $("build-btn").disabled = true;
    $("replay-bar").focus();
    showReplay();
  }

  function showReplay() {
    const r = replay;
    r.b = Object.assign(newBuild(r.id), { total: r.total, whys: r.b.whys });
    $("layers").replaceChildren();
    let said = "", cur = null;
    for (const u of r.units.slice(0, r.pos)) {
      const s = stepItem(r.b, u.e);
      if (r.b.whys && r.b.whys[u.e.step]) s.why = r.b.whys[u.e.step];
      for (const t of u.logs) { s.log.textContent += t + "\n"; s.lines++; }
      said = renderStep(r.b, s, u.e, u.e.state);
      cur = s;
    }
    if (cur) { cur.li.classList.add("replay-current"); follow(cur); }
    const u = r.units[r.pos - 1];
    const pos = r.pos === 0 ? "Replay: Space or → for step 1" : "Replay: step " + u.e.step + " of " + r.total;
    $("replay-pos").textContent = pos;
    narrate(said);
    $("replay-live").textContent = r.pos === 0 ? pos : "Step " + u.e.step + " of " + r.total + ", " + ((STATES[u.e.state] || ["", u.e.state])[1]) + ": " + (u.e.instruction || "") + ". " + said;
    $("replay-next").disabled = r.pos >= r.units.length;
    if (r.pos >= r.units.length && r.end) {
      $("replay-pos").textContent = pos + ", the last (" + (r.end.type === "build.done" ? "built" : "failed") + "): Esc ends";
    }
  }

  function replayStep(d) {
    if (!replay) return;
    const pos = Math.max(0, Math.min(replay.units.length, replay.pos + d));
    if (pos === replay.pos) return;
    replay.pos = pos;
    showReplay();
  }

  // endReplay leaves the replay; redraw (the Escape key, the End button) shows the
  // finished build again as it was.
  function endReplay(redraw) {
    if (!replay) return;
    const id = replay.id;
    replay = null;
    document.documentElement.classList.remove("replaying");
    $("replay-bar").hidden = true;
    $("replay-live").textContent = "Replay ended.";
    $("build-btn").disabled = false;
    $("replay-btn").disabled = false;
    narrate("");
    if (redraw) showStored(id).then(() => $("replay-btn").focus());
  }

  function replayKeys(e) {
    if (!replay) {
      if ((e.key === "r" || e.key === "R") && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target) && !$("replay-btn").disabled) {
        e.preventDefault();
        startReplay();
      }
      return;
    }
    if (typing(e.target) && e.key !== "Escape") return; // a space typed in the editor is a space
    switch (e.key) {
      case " ": case "Spacebar": case "ArrowRight": e.preventDefault(); replayStep(1); break;
      case "ArrowLeft": e.preventDefault(); replayStep(-1); break;
      case "Escape": e.preventDefault(); endReplay(true); break;
    }
  }

  // typing is whether a key goes to text: the editor, a field, the terminal.
  function typing(t) {
    return !!(t && t.closest && t.closest("input, textarea, select, [contenteditable], .cm-editor"));
  }

  // ---- the comparison with the previous build of the same tag ------------------------

  async function loadCompare(b) {
    let c;
    try { c = await api("GET", "/api/builds/" + b.id + "/compare"); } catch (e) { return; }
    if (b !== build) return;
    // The comparison words some reasons better than the engine (a first build, a moved
    // line): the layer list takes its wording.
    for (const d of c.steps) {
      const s = d.now && b.steps.get(d.step);
      if (!s || !s.e || !d.now.why || d.now.why === s.why) continue;
      s.why = d.now.why;
      const said = renderStep(b, s, s.e, s.state);
      if (s.state !== "cached" && s.state !== "base" && s.state !== "meta") b.last = said;
    }
    if (window.layerlabPresent && window.layerlabPresent.on() && !replay) narrate(b.last || "");
    const box = $("compare");
    box.hidden = false;
    if (!c.previous) {
      box.replaceChildren(el("h2", { text: "Compared with the previous build" }), el("p", { class: "muted", "data-testid": "compare-summary", text: "This is the first build of this tag: nothing to compare with yet." }));
      return;
    }
    const delta = (a, b, f) => (a - b >= 0 ? "+" : "−") + f(Math.abs(a - b));
    const notRun = el("span", { class: "state state-notrun", "data-testid": "not-run" }, el("span", { "aria-hidden": "true", text: "–" }), " did not run");
    const rows = c.steps.map((d) => {
      const n = d.now, p = d.before;
      // A moved line says where it came from; an edited one what it was.
      const moved = /^moved/.test(d.position || "");
      const was = [moved ? d.position : "", d.text_changed ? "was: " + p.instruction : ""].filter(Boolean).join("; ");
      return el("tr", { "data-testid": "compare-step", class: d.state_changed ? "changed-row" : "" },
        el("td", { text: String(d.step) }),
        el("td", {}, el("code", { text: (n || p).instruction }), was ? el("div", { class: "muted", "data-testid": "compare-was", text: was }) : null),
        el("td", {}, p ? stateBadge(p.state) : el("span", { class: "muted", text: "—" })),
        el("td", {}, n ? stateBadge(n.state) : d.not_run ? notRun.cloneNode(true) : el("span", { class: "muted", text: "— (no longer in the Dockerfile)" })),
        el("td", { text: n ? n.why || n.reason || "" : d.not_run ? "the build failed at step " + c.failed_step : "" }),
        el("td", { class: "num", text: n && p ? delta(n.size, p.size, humanSize) : "" }),
        el("td", { class: "num", text: n && p ? delta(n.ms, p.ms, fmtMs) : "" }));
    });
    const ran = c.steps.filter((d) => d.now).length;
    const list = (items, empty) => items.length ? el("ul", {}, ...items) : el("p", { class: "muted", text: empty });
    box.replaceChildren(
      el("h2", { text: "Compared with the previous build (" + short(c.previous.id) + ")" }),
      el("p", { class: "notice", "data-testid": "compare-summary", text: c.summary }),
      el("div", { class: "table-scroll" },
        el("table", {}, el("thead", {}, el("tr", {}, ...["Step", "Instruction", "Before", "Now", "Why", "Size Δ", "Time Δ"].map((h) => el("th", { text: h })))), el("tbody", {}, ...rows))),
      el("h3", { text: "Files whose checksum changed" }),
      el("div", { "data-testid": "compare-files" }, list(c.files.map((f) => el("li", {}, el("code", { text: f.path }), " " + f.change)), "none")),
      el("h3", { text: "Build args" }),
      el("div", { "data-testid": "compare-args" }, list(c.args.map((a) => el("li", {}, el("code", { text: a.name }), ": " + (a.before || "(unset)") + " → " + (a.now || "(unset)"))), "unchanged")),
      el("p", { "data-testid": "compare-totals", text: "Layers: " + humanSize(c.size_now) + " (" + delta(c.size_now, c.size_before, humanSize) + "), time: " + fmtMs(c.ms_now) + " (" + delta(c.ms_now, c.ms_before, fmtMs) + ")" +
        (c.failed_step ? "; the build failed at step " + c.failed_step + ": these count the " + ran + " steps that ran" : "") }));
  }

  async function refreshRecent() {
    let res;
    try { res = await api("GET", "/api/builds"); } catch (e) { return; }
    const labels = { succeeded: ["cached", "✓"], failed: ["failed", "✗"], running: ["running", "⟳"] };
    $("recent-body").replaceChildren(...res.builds.slice(0, 10).map((b) => {
      const [cls, icon] = labels[b.state] || ["running", "?"];
      return el("tr", {},
        el("td", {}, el("span", { class: "state state-" + cls }, el("span", { "aria-hidden": "true", text: icon }), " " + b.state)),
        el("td", { class: "mono", text: (b.tags || []).join(" ") }),
        el("td", { class: "mono" }, b.image ? el("a", { href: "/images/" + short(b.image) + "/history", text: short(b.image) }) : ""),
        el("td", { text: new Date(b.created).toISOString().slice(11, 19) + " UTC" }),
        el("td", { text: b.error || "" }));
    }));
  }

  // ---- wiring ------------------------------------------------------------------------

  // presentLayout collapses the build options in presenter mode (the stack needs the
  // room) and opens them again out of it.
  function presentLayout() {
    const on = !!(window.layerlabPresent && window.layerlabPresent.on());
    $("build-opts").open = !on;
    if (!on && !replay) narrate("");
    else if (on && build && build.last && !replay) narrate(build.last);
  }

  function init() {
    editor = window.LayerlabEditor.create($("editor"), {
      doc: "", filename: "Dockerfile", onChange: onEdit, onBuild: () => { startBuild(); return true; },
      ariaLabel: "Editor: Dockerfile",
    });
    window.layerlab.editor = editor; // for the browser tests and the console
    $("build-form").addEventListener("submit", startBuild);
    $("build-form").addEventListener("input", updateCommand);
    $("cancel-btn").addEventListener("click", cancelBuild);
    $("replay-btn").addEventListener("click", startReplay);
    $("replay-next").addEventListener("click", () => replayStep(1));
    $("replay-end").addEventListener("click", () => endReplay(true));
    $("file-new").addEventListener("click", newFile);
    $("file-rename").addEventListener("click", renameFile);
    $("file-delete").addEventListener("click", deleteFile);
    $("upload-form").addEventListener("submit", upload);
    for (const b of document.querySelectorAll("button.example")) {
      b.addEventListener("click", () => loadExample(b.dataset.example, b.textContent));
    }
    document.addEventListener("keydown", (e) => {
      // The editor's own Ctrl+Enter binding has handled (and prevented) it already.
      if (e.defaultPrevented) return;
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.target.closest("#terminal")) {
        e.preventDefault();
        startBuild();
        return;
      }
      replayKeys(e);
    });
    // A space scrolls the page on its keypress, which some keyboards (and Chrome's
    // remote protocol) send even when the keydown was handled: in a replay it is ours.
    document.addEventListener("keypress", (e) => { if (replay && e.key === " " && !typing(e.target)) e.preventDefault(); });
    document.addEventListener("layerlab:changed", (e) => { if (!e.detail.build) refreshRecent(); });
    document.addEventListener("layerlab:present", presentLayout);
    window.addEventListener("beforeunload", () => { if (pendingSave) flushSave(); });
    updateCommand();
    presentLayout();
    const last = document.querySelector('[data-testid="playground"]').dataset.lastBuild;
    loadContext("Dockerfile").then(() => {
      lint(fileByPath("Dockerfile") ? fileByPath("Dockerfile").content || "" : "");
      if (last && !build) return showStored(last);
    }).finally(() => {
      document.body.dataset.ready = "1";
      // After the last build is shown: an announcement of it then finds it followed.
      if ("WebSocket" in window) openFeed();
    });
  }

  init();
})();
