// layerlab: docker pull and docker push from the images page, drawn live. The forms
// work without this script (the server waits for the end and shows Docker's lines);
// with it, the transfer starts at POST /api/pulls or /api/pushes and its progress
// arrives over a websocket as the Docker Engine API streams it to the docker CLI:
//   {"id":"a1b2c3d4e5f6","status":"Downloading","progressDetail":{"current":1024,"total":4096}}
// Each layer gets a row with its state (icon and words, not colour alone) and a bar;
// below, the lines the docker CLI prints without a terminal. A dropped connection
// reconnects and redraws from what the server sends first: every line so far and the
// bars as they are now.
(function () {
  "use strict";
  const byId = (id) => document.getElementById(id);

  // What each Docker status means for a layer's row: an icon, a class, and whether
  // the layer is finished.
  const STATES = {
    "Pulling fs layer": { icon: "○", cls: "waiting" },
    Waiting: { icon: "⏸", cls: "waiting" },
    Preparing: { icon: "○", cls: "waiting" },
    Downloading: { icon: "⬇", cls: "moving" },
    Pushing: { icon: "⬆", cls: "moving" },
    "Verifying Checksum": { icon: "⚙", cls: "moving", full: true },
    "Download complete": { icon: "✓", cls: "moving", full: true },
    "Pull complete": { icon: "✔", cls: "done", full: true },
    Pushed: { icon: "✔", cls: "done", full: true },
    "Already exists": { icon: "≡", cls: "exists", full: true },
    "Layer already exists": { icon: "≡", cls: "exists", full: true },
  };
  const stateOf = (status) => STATES[status] || (status.startsWith("Mounted from") ? { icon: "≡", cls: "exists", full: true } : { icon: "•", cls: "waiting" });

  function humanBytes(n) {
    if (n < 1000) return n + " B";
    const units = ["kB", "MB", "GB", "TB"];
    let v = n, i = -1;
    do { v /= 1000; i++; } while (v >= 1000 && i < units.length - 1);
    return v.toFixed(v < 10 ? 2 : 1) + " " + units[i];
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role") e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const k of kids) e.append(k);
    return e;
  }

  // ---- live docker commands under the forms ----

  function quote(s) {
    if (s !== "" && /^[A-Za-z0-9\-_.\/:=@%+,]+$/.test(s)) return s;
    return "'" + s.replace(/'/g, "'\\''") + "'";
  }
  function updateCommands() {
    for (const kind of ["pull", "push"]) {
      const input = byId(kind + "-ref"), cmd = byId(kind + "-cmd");
      if (input && cmd) cmd.textContent = "docker " + kind + " " + (input.value.trim() === "" ? "NAME[:TAG]" : quote(input.value.trim()));
    }
  }
  document.addEventListener("input", updateCommands);

  // "Push…" on a row fills the push form.
  document.addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest('a.js-select[data-form="push"]') : null;
    if (!a) return;
    e.preventDefault();
    byId("push-ref").value = a.dataset.ref || "";
    byId("push-form").scrollIntoView({ block: "nearest" });
    byId("push-submit").focus();
    updateCommands();
  });

  // ---- one transfer's view ----

  class View {
    constructor(root, t) {
      this.root = root;
      this.t = t;
      this.rows = new Map(); // layer id -> {li, state, bar, bytes}
      this.lines = [];
      this.ended = false;
      this.status = el("p", { class: "transfer-status", "data-testid": "transfer-status" });
      this.status.setAttribute("role", "status");
      this.cancelBtn = el("button", { type: "button", class: "danger", "data-testid": "transfer-cancel" }, "Cancel");
      this.cancelBtn.addEventListener("click", () => this.cancel());
      this.list = el("ol", { class: "transfer-layers", "data-testid": "transfer-layers" });
      this.out = el("pre", { class: "cli-out transfer-output", "data-testid": "transfer-output" });
      this.after = el("div", { class: "transfer-after", "data-testid": "transfer-after" });
      const head = el("div", { class: "transfer-head" },
        el("code", { class: "docker-cmd", "data-testid": "transfer-cmd" }, t.cmd), this.cancelBtn);
      root.replaceChildren(head, this.status, this.list,
        el("h3", {}, "What the docker CLI prints"), this.out, this.after);
      root.hidden = false;
      this.setStatus("running", "⏳", (t.kind === "pull" ? "Pulling " : "Pushing ") + t.ref + "…");
    }

    setStatus(cls, icon, text) {
      this.status.className = "transfer-status state state-" + cls;
      this.status.replaceChildren(el("span", { "aria-hidden": "true" }, icon + " "), text);
    }

    // reset forgets what a previous connection drew: the server sends it all again.
    reset() {
      this.rows.clear();
      this.list.replaceChildren();
      this.lines = [];
      this.out.textContent = "";
    }

    row(id) {
      let r = this.rows.get(id);
      if (r) return r;
      const state = el("span", { class: "layer-state", "data-testid": "layer-state" });
      const bar = el("progress", { max: 1, value: 0 });
      bar.setAttribute("aria-label", "layer " + id);
      const bytes = el("span", { class: "bytes", "data-testid": "layer-bytes" });
      const li = el("li", { class: "transfer-layer", "data-testid": "transfer-layer", "data-layer": id },
        el("code", { class: "layer-id" }, id), state, bar, bytes);
      this.list.append(li);
      r = { li, state, bar, bytes, total: 0, done: false };
      this.rows.set(id, r);
      return r;
    }

    // message takes one frame of the stream.
    message(m) {
      if (m.error !== undefined) {
        this.lines.push(m.error);
        this.out.textContent = this.lines.join("\n") + "\n";
        this.fail(m.error, m.hint);
        return;
      }
      const isLayer = !!m.id && !(m.status || "").startsWith("Pulling from"); // that line's id is the tag
      if (m.progressDetail) {
        if (!isLayer) return;
        const r = this.row(m.id);
        if (r.done) return; // a late bar for a layer that moved on
        this.show(r, m.status);
        const cur = m.progressDetail.current || 0, total = m.progressDetail.total || 0;
        r.total = total;
        r.bar.max = total || 1;
        r.bar.value = Math.min(cur, total || 1);
        r.bytes.textContent = humanBytes(cur) + (total ? " / " + humanBytes(total) : "");
        return;
      }
      this.lines.push(m.id ? m.id + ": " + m.status : m.status);
      this.out.textContent = this.lines.join("\n") + "\n";
      if (!isLayer) return;
      const r = this.row(m.id);
      const st = this.show(r, m.status);
      if (st.full) {
        r.done = st.cls === "done" || st.cls === "exists";
        r.bar.max = 1;
        r.bar.value = 1;
        if (r.total) r.bytes.textContent = humanBytes(r.total);
        if (st.cls === "exists") r.bytes.textContent = "already here";
      }
    }

    // show puts a layer's status on its row: icon, words, and the row's style.
    show(r, status) {
      const st = stateOf(status);
      r.li.className = "transfer-layer st-" + st.cls;
      r.li.dataset.status = status;
      r.state.replaceChildren(el("span", { "aria-hidden": "true" }, st.icon + " "), status);
      return st;
    }

    // tag is the "ID" Docker gives the "Pulling from" line: the tag pulled.
    tag() {
      const ref = this.t.ref;
      const at = ref.indexOf("@");
      if (at >= 0) return ref;
      const slash = ref.lastIndexOf("/");
      const colon = ref.lastIndexOf(":");
      return colon > slash ? ref.slice(colon + 1) : "latest";
    }

    succeed() {
      this.ended = true;
      this.cancelBtn.remove();
      const last = (this.lines[this.lines.length - 1] || "").replace(/^Status: /, "");
      this.setStatus("cached", "✔", (this.t.kind === "pull" ? "Pulled: " : "Pushed: ") + last);
      if (this.t.kind === "push") {
        const repo = this.t.repo, tag = this.tag();
        const info = document.querySelector('[data-testid="hub-info"]');
        const host = (info && info.dataset.host) || location.host;
        const remote = host + "/" + repo + ":" + tag;
        this.after.replaceChildren(
          el("p", {}, "In the hub as ", el("code", {}, repo + ":" + tag), ". Classmates pull it with:"),
          el("code", { class: "docker-cmd", "data-testid": "transfer-share" }, "docker pull " + repo + ":" + tag),
          el("p", { class: "muted" }, "From a real Docker (after docker login), the same push is:"),
          el("code", { class: "docker-cmd" }, "docker tag " + quote(this.t.ref) + " " + remote + " && docker push " + remote));
      }
      window.layerlab.changed({ transfer: this.t.id });
    }

    fail(msg, hint) {
      this.ended = true;
      this.cancelBtn.remove();
      this.setStatus("failed", "✕", "Failed: " + msg);
      if (hint) this.after.replaceChildren(el("p", { class: "hint" }, hint));
      window.layerlab.changed({ transfer: this.t.id });
    }

    async cancel() {
      this.cancelBtn.disabled = true;
      try {
        await window.layerlab.api("POST", "/api/transfers/" + this.t.id + "/cancel");
      } catch (err) {
        this.setStatus("failed", "✕", "Could not cancel: " + err.message);
      }
    }

    // watch follows the stream, reconnecting (with a growing pause) until it ends.
    watch(attempt) {
      attempt = attempt || 0;
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(proto + "//" + location.host + "/ws/transfers/" + this.t.id);
      let first = true;
      ws.onmessage = (ev) => {
        if (first) { this.reset(); first = false; attempt = 0; }
        let m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        this.message(m);
      };
      ws.onclose = (ev) => {
        if (this.ended) return;
        if (ev.code === 1000) { this.succeed(); return; }
        if (attempt >= 8) { this.fail("lost the connection to the server: reload the page"); return; }
        this.setStatus("running", "⟳", "Reconnecting…");
        setTimeout(() => this.watch(attempt + 1), Math.min(250 * 2 ** attempt, 4000));
      };
    }
  }

  // ---- the forms ----

  document.addEventListener("submit", async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("js-transfer")) return;
    if (typeof WebSocket !== "function") return; // the form posts; the server waits
    e.preventDefault();
    const kind = form.dataset.kind;
    const input = form.querySelector('input[name="ref"]');
    const button = form.querySelector('button[type="submit"]');
    const root = byId("transfer-view");
    button.disabled = true;
    try {
      const t = await window.layerlab.api("POST", kind === "pull" ? "/api/pulls" : "/api/pushes", { ref: input.value });
      const v = new View(root, t);
      v.watch();
      root.scrollIntoView({ block: "nearest" });
    } catch (err) {
      root.hidden = false;
      root.replaceChildren(
        el("code", { class: "docker-cmd" }, "docker " + kind + " " + quote(input.value.trim())),
        el("p", { class: "transfer-status state state-failed", "data-testid": "transfer-status", role: "alert" },
          el("span", { "aria-hidden": "true" }, "✕ "), err.message));
      input.focus();
    } finally {
      button.disabled = false;
    }
  });

  updateCommands();
})();
