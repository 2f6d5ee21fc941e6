// layerlab: the images, history and inspect pages. They are server-rendered and work
// without this script; it adds: the docker command lines that follow what is typed, the
// row links that fill the forms in place, the prune confirmation in a <dialog>, the
// --format box without a page load, and a refresh when a command changed the images.
(function () {
  "use strict";

  // quote quotes a word for a POSIX shell when it needs it (as the server does).
  function quote(s) {
    if (s !== "" && /^[A-Za-z0-9\-_.\/:=@%+,]+$/.test(s)) return s;
    return "'" + s.replace(/'/g, "'\\''") + "'";
  }
  const orPlaceholder = (s, ph) => (s.trim() === "" ? ph : quote(s.trim()));
  const byId = (id) => document.getElementById(id);

  // ---- live docker command lines ----

  function updateCommands() {
    const src = byId("tag-source"), dst = byId("tag-target"), tagCmd = byId("tag-cmd");
    if (src && dst && tagCmd) {
      tagCmd.textContent = "docker tag " + orPlaceholder(src.value, "SOURCE_IMAGE[:TAG]") + " " + orPlaceholder(dst.value, "TARGET_IMAGE[:TAG]");
    }
    const ref = byId("rm-ref"), force = byId("rm-force"), rmCmd = byId("rm-cmd");
    if (ref && force && rmCmd) {
      rmCmd.textContent = "docker image rm " + (force.checked ? "-f " : "") + orPlaceholder(ref.value, "IMAGE");
    }
    const all = byId("prune-all"), pruneCmd = byId("prune-cmd");
    if (all && pruneCmd) pruneCmd.textContent = all.checked ? "docker image prune -a -f" : "docker image prune -f";
    const fmt = byId("format-input"), fmtCmd = byId("format-cmd"), fmtForm = byId("format-form");
    if (fmt && fmtCmd && fmtForm) {
      const ref = fmtForm.dataset.ref || "";
      fmtCmd.textContent = fmt.value === "" ? "docker inspect " + quote(ref) : "docker inspect --format " + quote(fmt.value) + " " + quote(ref);
    }
  }
  document.addEventListener("input", updateCommands);
  document.addEventListener("change", updateCommands);

  // ---- images page: toggles, row links ----

  // The -a / dangling checkboxes show the table at once (the Show button does the same
  // without JavaScript).
  document.addEventListener("change", (e) => {
    const cb = e.target;
    if (!(cb instanceof HTMLInputElement) || !cb.closest('[data-testid="images-toggles"]')) return;
    const params = new URLSearchParams(new FormData(cb.form));
    const url = "/images" + (params.toString() ? "?" + params.toString() : "");
    history.replaceState(null, "", url);
    refresh(url);
  });

  // "Tag…" and "Remove…" fill the form with the row's image and move there.
  document.addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest("a.js-select") : null;
    if (!a || a.dataset.form === "push") return; // transfers.js fills the push form
    e.preventDefault();
    const ref = a.dataset.ref || "";
    document.querySelectorAll("tr.selected").forEach((tr) => tr.classList.remove("selected"));
    const tr = a.closest("tr");
    if (tr) tr.classList.add("selected");
    if (a.dataset.form === "tag") {
      byId("tag-source").value = ref;
      byId("tag-form").scrollIntoView({ block: "nearest" });
      byId("tag-target").focus();
    } else {
      byId("rm-ref").value = ref;
      byId("rm-form").scrollIntoView({ block: "nearest" });
      byId("rm-force").focus();
    }
    updateCommands();
  });

  // ---- prune: ask first, in a dialog, with what will go ----

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "prune-form") return;
    const dialog = byId("prune-dialog");
    if (!dialog || typeof dialog.showModal !== "function") return; // the confirmation page
    e.preventDefault();
    openPrune(dialog, byId("prune-all").checked);
  });

  async function openPrune(dialog, all) {
    const body = byId("prune-dialog-body");
    const opener = document.activeElement;
    body.textContent = "Working out what would be removed…";
    dialog.addEventListener("close", () => opener && opener.focus && opener.focus(), { once: true });
    dialog.showModal();
    try {
      // The same plan the confirmation page shows, rendered (and escaped) by the server.
      const res = await fetch("/images/prune" + (all ? "?all=1" : ""), { credentials: "same-origin" });
      if (!res.ok) throw new Error("the server answered " + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const plan = doc.getElementById("prune-plan");
      if (!plan) throw new Error("no plan in the answer");
      body.replaceChildren(document.importNode(plan, true));
      const cancel = byId("prune-cancel");
      cancel.addEventListener("click", (ev) => {
        ev.preventDefault();
        dialog.close();
      });
      cancel.focus(); // the safe choice has the focus; Enter on "Remove them" confirms
    } catch (err) {
      body.textContent = "Could not work out what prune would remove: " + err.message + ". ";
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", () => dialog.close());
      body.appendChild(close);
      close.focus();
    }
  }

  // ---- inspect: --format without a page load ----

  document.addEventListener("submit", async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "format-form") return;
    e.preventDefault();
    const format = byId("format-input").value;
    const outEl = byId("format-output"), errEl = byId("format-error"), cmdEl = byId("format-cmd");
    const url = new URL(location.href);
    url.searchParams.set("format", format);
    history.replaceState(null, "", url);
    try {
      const res = await window.layerlab.api("POST", "/api/inspect/format", { ref: form.dataset.ref, format: format });
      cmdEl.textContent = res.cmd;
      outEl.textContent = res.output;
      outEl.hidden = false;
      errEl.hidden = true;
      errEl.textContent = "";
    } catch (err) {
      if (err.data && err.data.cmd) cmdEl.textContent = err.data.cmd;
      errEl.textContent = err.message;
      errEl.hidden = false;
      outEl.hidden = true;
    }
  });

  document.addEventListener("click", (e) => {
    const t = e.target instanceof Element ? e.target : null;
    if (!t) return;
    const ex = t.closest("button.example-format");
    if (ex) {
      const input = byId("format-input");
      input.value = ex.dataset.format;
      updateCommands();
      byId("format-form").requestSubmit();
      input.focus();
      return;
    }
    if (t.closest("#tree-expand") || t.closest("#tree-collapse")) {
      const open = !!t.closest("#tree-expand");
      document.querySelectorAll(".json-tree details").forEach((d) => (d.open = open));
    }
  });

  // ---- refresh when the images changed (a terminal command, another tab's action) ----

  let refreshing = null;

  // refresh fetches url and swaps in every [data-live] element by id, keeping open
  // <details> open and the focus where it was. A page whose image went away shows why.
  async function refresh(url) {
    if (document.querySelector("dialog[open]")) return; // not under an open dialog
    if (refreshing) refreshing.abort();
    const ctl = new AbortController();
    refreshing = ctl;
    let res;
    try {
      res = await fetch(url || location.href, { credentials: "same-origin", signal: ctl.signal });
    } catch (e) {
      return;
    }
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    if (ctl !== refreshing) return;
    refreshing = null;
    const lives = document.querySelectorAll("[data-live][id]");
    let missing = false;
    lives.forEach((old) => {
      const fresh = doc.getElementById(old.id);
      if (!fresh) {
        missing = true;
        return;
      }
      const focusedId = old.contains(document.activeElement) && document.activeElement.id;
      const openKeys = new Set();
      old.querySelectorAll("details[open]").forEach((d) => openKeys.add(detailsKey(d)));
      const node = document.importNode(fresh, true);
      node.querySelectorAll("details").forEach((d) => {
        if (openKeys.has(detailsKey(d))) d.open = true;
      });
      old.replaceWith(node);
      if (focusedId && byId(focusedId)) byId(focusedId).focus();
    });
    if (missing) {
      const msg = doc.querySelector('[data-testid="error-page"] .state');
      showGone(msg ? msg.textContent.trim() : "This page changed: reload it.");
    }
    updateCommands();
  }

  function detailsKey(d) {
    const li = d.closest("[data-layer]");
    return (li ? "layer:" + li.dataset.layer : "") + "|" + (d.dataset.key || "") + "|" + (d.querySelector("summary") || d).textContent.slice(0, 80);
  }

  function showGone(text) {
    let note = byId("gone-notice");
    if (!note) {
      note = document.createElement("p");
      note.id = "gone-notice";
      note.className = "error-msg";
      note.setAttribute("role", "alert");
      note.dataset.testid = "gone-notice";
      const main = byId("main");
      main.insertBefore(note, main.firstChild);
    }
    note.textContent = text + " ";
    const a = document.createElement("a");
    a.href = "/images";
    a.textContent = "Back to the images";
    note.appendChild(a);
  }

  document.addEventListener("layerlab:changed", () => refresh(location.href));
  updateCommands();
})();
