// layerlab playground: the editor, the build context's file tree, and the live build
// (events over a websocket, resumed after a reconnect from the last sequence number).
(function () {
  "use strict";
  const { api } = window.layerlab;
  const $ = (id) => document.getElementById(id);

  const STATES = {
    cached: ["✓", "cached"],
    changed: ["✎", "changed"],
    downstream: ["↓", "rebuilt (downstream)"],
    new: ["+", "new"],
    failed: ["✗", "failed"],
    base: ["◆", "base image"],
    meta: ["·", "global ARG"],
    running: ["⟳", "running"],
  };

  // el makes an element; text is always set as text, never parsed as HTML.
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  }

  function stateBadge(state) {
    const [icon, label] = STATES[state] || ["?", state];
    return el("span", { class: "state state-" + state, "data-testid": "state" },
      el("span", { "aria-hidden": "true", text: icon }), " " + label);
  }

  function humanSize(n) {
    const units = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? String(n) : n.toPrecision(3).replace(/\.?0+$/, "")) + units[i];
  }
  const short = (id) => (id || "").replace(/^sha256:/, "").slice(0, 12);
  const fmtMs = (ms) => (ms < 1 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)) + " ms";

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
      }, f.path, el("span", { class: "muted size", text: " " + humanSize(f.size) })))));
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
      return;
    }
    editor.setText(f.content || "", p);
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

  async function startBuild(ev) {
    if (ev) ev.preventDefault();
    if (build && !build.ended) return;
    await flushSave();
    $("build-btn").disabled = true;
    try {
      const res = await api("POST", "/api/builds", options());
      $("build-cmd").textContent = res.command;
      beginWatch(res.id);
    } catch (e) {
      $("build-btn").disabled = false;
      setStatus(el("span", { class: "error-msg", "data-testid": "build-error", text: e.message }));
    }
  }

  function beginWatch(id) {
    build = { id, lastSeq: 0, steps: new Map(), total: 0, ended: false, ws: null, retry: 0, marks: new Map() };
    $("layers").replaceChildren();
    $("compare").hidden = true;
    $("cancel-btn").disabled = false;
    document.body.dataset.buildId = id;
    setStatus(el("span", { class: "state state-running" }, el("span", { "aria-hidden": "true", text: "⟳" }), " building…"));
    connect();
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
      onEvent(b, e);
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

  // layerlab.dropConnection closes the websocket as a network failure would (the e2e
  // test uses it to prove a reconnect loses and repeats nothing).
  window.layerlab.dropConnection = () => { if (build && build.ws) build.ws.close(); };

  function stepItem(b, e) {
    let s = b.steps.get(e.step);
    if (s) return s;
    const log = el("pre", { class: "log", "data-testid": "step-log" });
    const details = el("details", { class: "step-logs", hidden: true }, el("summary", { text: "log" }), log);
    const li = el("li", { class: "layer", "data-step": e.step, "data-testid": "layer-" + e.step });
    s = { li, log, details, lines: 0 };
    b.steps.set(e.step, s);
    const list = $("layers");
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
    const kids = [
      el("div", { class: "layer-head" },
        stateBadge(state),
        el("span", { class: "step-no", text: "Step " + e.step + "/" + (e.of || build.total) }),
        el("span", { class: "muted meta", "data-testid": "step-meta", text: meta.join(" · ") })),
      el("code", { class: "instr", "data-testid": "instruction", text: e.instruction || "" }),
      e.reason ? el("div", { class: "reason", "data-testid": "reason", text: e.reason }) : null,
      e.error ? el("div", { class: "error-msg", "data-testid": "step-error", text: e.error + (e.hint ? "\n" + e.hint : "") }) : null,
      s.details,
    ];
    s.li.replaceChildren(...kids.filter(Boolean));
    if (s.lines) s.details.hidden = false;
  }

  function onEvent(b, e) {
    switch (e.type) {
      case "build.started":
        b.total = e.steps;
        break;
      case "step.started": {
        if (e.trigger) break;
        const s = stepItem(b, e);
        renderStep(s, e, "running");
        setStatus(el("span", { class: "state state-running" }, el("span", { "aria-hidden": "true", text: "⟳" }),
          " building… step " + e.step + "/" + (e.of || b.total)));
        break;
      }
      case "step.log": {
        const s = b.steps.get(e.step);
        if (!s) break;
        s.log.textContent += (e.text || "") + "\n";
        s.lines++;
        s.details.hidden = false;
        break;
      }
      case "step.done": {
        if (e.trigger) break;
        const s = stepItem(b, e);
        renderStep(s, e, e.state);
        if (e.line) b.marks.set(e.step, { line: e.line, endLine: e.end_line || e.line, state: e.state });
        applyMarks(b);
        break;
      }
      case "build.warning":
        $("layers").before(el("p", { class: "notice", "data-testid": "warning", text: "⚠ " + e.text }));
        break;
      case "build.done":
        b.ended = true;
        finish();
        setStatus(el("span", { "data-testid": "build-done" },
          el("span", { class: "state state-cached" }, el("span", { "aria-hidden": "true", text: "✓" }), " built"),
          " " + short(e.image) + (e.tags && e.tags.length ? " tagged " + e.tags.join(", ") : "") + " in " + fmtMs(e.ms)));
        loadCompare(b.id);
        window.layerlab.changed({ build: b.id });
        break;
      case "build.failed": {
        b.ended = true;
        finish();
        if (e.step) {
          const s = stepItem(b, e);
          renderStep(s, Object.assign({}, e, { state: "failed" }), "failed");
        }
        if (e.line) {
          b.marks.set(e.step || 0, { line: e.line, endLine: e.end_line || e.line, state: "failed" });
          applyMarks(b);
          diagnostics = diagnostics.filter((d) => d.severity !== "error").concat([{ line: e.line, endLine: e.end_line || e.line, severity: "error", message: e.error }]);
          renderDiagnostics();
          if (current === dockerfileName()) { editor.setDiagnostics(diagnostics); editor.scrollToLine(e.line); }
        }
        setStatus(el("span", { class: "error-msg", "data-testid": "build-failed" },
          "✗ build failed" + (e.line ? " at line " + e.line : "") + ": " + e.error + (e.hint ? "\n" + e.hint : "")));
        loadCompare(b.id);
        window.layerlab.changed({ build: b.id });
        break;
      }
    }
  }

  function applyMarks(b) {
    lastMarks = [...b.marks.values()];
    if (current === dockerfileName()) editor.markSteps(lastMarks);
  }

  function finish() {
    $("build-btn").disabled = false;
    $("cancel-btn").disabled = true;
    if (build && build.ws) build.ws.close();
    refreshRecent();
  }

  async function cancelBuild() {
    if (!build || build.ended) return;
    try { await api("POST", "/api/builds/" + build.id + "/cancel"); } catch (e) { /* it ended meanwhile */ }
  }

  // ---- the comparison with the previous build of the same tag ------------------------

  async function loadCompare(id) {
    let c;
    try { c = await api("GET", "/api/builds/" + id + "/compare"); } catch (e) { return; }
    const box = $("compare");
    box.hidden = false;
    if (!c.previous) {
      box.replaceChildren(el("h2", { text: "Compared with the previous build" }), el("p", { class: "muted", text: "This is the first build of this tag: nothing to compare with yet." }));
      return;
    }
    const delta = (a, b, f) => (a - b >= 0 ? "+" : "−") + f(Math.abs(a - b));
    const rows = c.steps.map((d) => {
      const n = d.now, p = d.before;
      return el("tr", { "data-testid": "compare-step", class: d.state_changed ? "changed-row" : "" },
        el("td", { text: String(d.step) }),
        el("td", {}, el("code", { text: (n || p).instruction }), d.text_changed ? el("div", { class: "muted", text: "was: " + p.instruction }) : null),
        el("td", {}, p ? stateBadge(p.state) : el("span", { class: "muted", text: "—" })),
        el("td", {}, n ? stateBadge(n.state) : el("span", { class: "muted", text: "—" })),
        el("td", { text: n && n.reason ? n.reason : "" }),
        el("td", { class: "num", text: n && p ? delta(n.size, p.size, humanSize) : "" }),
        el("td", { class: "num", text: n && p ? delta(n.ms, p.ms, fmtMs) : "" }));
    });
    const list = (items, empty) => items.length ? el("ul", {}, ...items) : el("p", { class: "muted", text: empty });
    box.replaceChildren(
      el("h2", { text: "Compared with the previous build (" + short(c.previous.id) + ")" }),
      el("p", { class: "notice", "data-testid": "compare-summary", text: c.summary }),
      el("table", {}, el("thead", {}, el("tr", {}, ...["Step", "Instruction", "Before", "Now", "Why", "Size Δ", "Time Δ"].map((h) => el("th", { text: h })))), el("tbody", {}, ...rows)),
      el("h3", { text: "Files whose checksum changed" }),
      el("div", { "data-testid": "compare-files" }, list(c.files.map((f) => el("li", {}, el("code", { text: f.path }), " " + f.change)), "none")),
      el("h3", { text: "Build args" }),
      el("div", { "data-testid": "compare-args" }, list(c.args.map((a) => el("li", {}, el("code", { text: a.name }), ": " + (a.before || "(unset)") + " → " + (a.now || "(unset)"))), "unchanged")),
      el("p", { "data-testid": "compare-totals", text: "Layers: " + humanSize(c.size_now) + " (" + delta(c.size_now, c.size_before, humanSize) + "), time: " + fmtMs(c.ms_now) + " (" + delta(c.ms_now, c.ms_before, fmtMs) + ")" }));
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

  function init() {
    editor = window.LayerlabEditor.create($("editor"), {
      doc: "", filename: "Dockerfile", onChange: onEdit, onBuild: () => { startBuild(); return true; },
      ariaLabel: "Dockerfile editor",
    });
    window.layerlab.editor = editor; // for the browser tests and the console
    $("build-form").addEventListener("submit", startBuild);
    $("build-form").addEventListener("input", updateCommand);
    $("cancel-btn").addEventListener("click", cancelBuild);
    $("file-new").addEventListener("click", newFile);
    $("file-rename").addEventListener("click", renameFile);
    $("file-delete").addEventListener("click", deleteFile);
    $("upload-form").addEventListener("submit", upload);
    for (const b of document.querySelectorAll("button.example")) {
      b.addEventListener("click", () => loadExample(b.dataset.example, b.textContent));
    }
    document.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.target.closest("#terminal")) {
        e.preventDefault();
        startBuild();
      }
    });
    document.addEventListener("layerlab:changed", (e) => { if (!e.detail.build) refreshRecent(); });
    window.addEventListener("beforeunload", () => { if (pendingSave) flushSave(); });
    updateCommand();
    loadContext("Dockerfile").then(() => lint(fileByPath("Dockerfile") ? fileByPath("Dockerfile").content || "" : ""));
    document.body.dataset.ready = "1";
  }

  init();
})();
