// layerlab: helpers shared by every page. No framework: the pages are server-rendered.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  // api sends a same-origin request with the CSRF token; a JSON body for objects.
  // It resolves to the parsed JSON (or text) and throws an Error with the server's
  // message on a status >= 400.
  async function api(method, url, body) {
    const opts = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
    if (body instanceof FormData || body instanceof Blob) {
      opts.body = body;
    } else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(url, opts);
    const type = res.headers.get("Content-Type") || "";
    const data = type.includes("application/json") ? await res.json() : await res.text();
    if (!res.ok) {
      const msg = (data && data.error) || (typeof data === "string" && data) || res.statusText;
      const err = new Error(msg);
      err.status = res.status;
      err.data = data;
      throw err;
    }
    return data;
  }

  // changed tells the page that images changed (a build, rm, prune, tag, a terminal command).
  function changed(what) {
    document.dispatchEvent(new CustomEvent("layerlab:changed", { detail: what || {} }));
  }

  // ---- a build's steps, as the playground and the teacher's live view draw them ----

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

  window.layerlab = { api, csrf, changed, el, stateBadge, humanSize, short, fmtMs, STATES };
})();
