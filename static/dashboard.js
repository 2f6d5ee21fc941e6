// layerlab: the class dashboard (/teach/{class}). The server renders every card; this
// keeps them live over /ws/teach/{class}: each message carries the changed cards
// rendered by the server (and their progress rows), which replace the old ones. It
// also runs the filters (buttons and keys a, s, i, d), the counts, the "time since
// the last activity" and the confirmations of the teacher's actions.
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const classID = root.dataset.class;
  const cardsEl = document.getElementById("dash-cards");
  const liveText = document.getElementById("dash-live-text");
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const IDLE_MS = 10 * 60 * 1000;
  let filter = "all";

  // fill gives the action forms of a card the session's CSRF token (a live card is
  // rendered for every dashboard of the class, without it).
  function fill(scope) {
    scope.querySelectorAll("input.csrf").forEach((i) => {
      if (!i.value) i.value = csrf();
    });
  }

  function since(ms) {
    if (ms < 60000) return "just now";
    if (ms < 3600000) return Math.floor(ms / 60000) + " min ago";
    if (ms < 48 * 3600000) return Math.floor(ms / 3600000) + " h ago";
    return Math.floor(ms / 86400000) + " days ago";
  }

  // tick recomputes "time since" and the idle flag from each card's last activity:
  // a student becomes idle with no message from the server.
  function tick() {
    const now = Date.now();
    cardsEl.querySelectorAll("[data-testid=student-card]").forEach((c) => {
      const at = Date.parse(c.dataset.activity || "");
      if (isNaN(at)) return;
      const s = c.querySelector("[data-testid=card-since]");
      if (s) s.textContent = since(now - at);
      c.dataset.idle = now - at >= IDLE_MS ? "1" : "0";
    });
    apply();
  }

  function matches(c) {
    switch (filter) {
      case "stuck":
        return c.dataset.stuck === "1";
      case "idle":
        return c.dataset.idle === "1";
      case "done":
        return c.dataset.done === "1";
    }
    return true;
  }

  // apply shows the cards the filter selects and updates every button's count.
  function apply() {
    const cards = [...cardsEl.querySelectorAll("[data-testid=student-card]")];
    const counts = { all: cards.length, stuck: 0, idle: 0, done: 0 };
    for (const c of cards) {
      if (c.dataset.stuck === "1") counts.stuck++;
      if (c.dataset.idle === "1") counts.idle++;
      if (c.dataset.done === "1") counts.done++;
      c.hidden = !matches(c);
    }
    document.querySelectorAll(".dash-filter").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.filter === filter));
      const n = b.querySelector(".count");
      if (n) n.textContent = String(counts[b.dataset.filter]);
    });
    const empty = document.getElementById("dash-filter-empty");
    const shown = cards.some((c) => !c.hidden);
    if (!shown && cards.length > 0) {
      if (!empty) {
        const p = document.createElement("p");
        p.id = "dash-filter-empty";
        p.className = "dash-empty";
        p.dataset.testid = "dash-filter-empty";
        p.textContent = "No student matches this filter.";
        cardsEl.after(p);
      }
    } else if (empty) {
      empty.remove();
    }
  }

  function setFilter(f) {
    filter = f;
    apply();
  }

  document.querySelectorAll(".dash-filter").forEach((b) => {
    b.addEventListener("click", () => setFilter(b.dataset.filter));
  });
  const keys = { a: "all", s: "stuck", i: "idle", d: "done" };
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
    if (keys[e.key]) {
      setFilter(keys[e.key]);
      document.querySelector('.dash-filter[data-filter="' + keys[e.key] + '"]').focus();
    } else if (e.key === "m") {
      const p = document.getElementById("dash-progress");
      if (p) p.scrollIntoView({ block: "start" });
    }
  });

  // A destructive action asks first.
  document.addEventListener("submit", (e) => {
    const f = e.target;
    if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
  });

  function fragment(html) {
    const t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  // place puts a new card in name order.
  function place(node, parent) {
    const name = (node.dataset.name || "").toLowerCase();
    for (const other of parent.children) {
      if ((other.dataset.name || "").toLowerCase() > name) {
        parent.insertBefore(node, other);
        return;
      }
    }
    parent.appendChild(node);
  }

  // replaceCard swaps a card for its new rendering; an actions panel the teacher has
  // open (perhaps typing a name) is kept as it is.
  function replaceCard(old, node) {
    const open = old.querySelector("details.card-actions[open]");
    if (open) {
      const fresh = node.querySelector("details.card-actions");
      if (fresh) fresh.replaceWith(open);
    }
    old.replaceWith(node);
  }

  function update(msg) {
    if (msg.type !== "cards") return;
    const seen = new Set();
    for (const c of msg.cards) {
      seen.add(c.workspace);
      const node = fragment(c.html);
      fill(node);
      const old = document.getElementById("card-" + c.workspace);
      if (old) replaceCard(old, node);
      else place(node, cardsEl);
      const body = document.getElementById("matrix-body");
      if (body && c.row) {
        const row = fragment("<table><tbody>" + c.row + "</tbody></table>").querySelector("tr");
        const oldRow = document.getElementById("row-" + c.workspace);
        if (oldRow) oldRow.replaceWith(row);
        else body.appendChild(row);
      }
    }
    const gone = msg.gone || [];
    if (msg.snapshot) {
      cardsEl.querySelectorAll("[data-testid=student-card]").forEach((c) => {
        if (!seen.has(c.dataset.workspace)) gone.push(c.dataset.workspace);
      });
    }
    for (const ws of gone) {
      const c = document.getElementById("card-" + ws);
      if (c) c.remove();
      const r = document.getElementById("row-" + ws);
      if (r) r.remove();
    }
    const head = document.querySelector("[data-testid=progress-matrix] thead tr");
    const columns = head ? head.children.length - 1 : 0;
    const note = document.getElementById("dash-reload");
    if (msg.tasks !== columns && !note) {
      const p = document.createElement("p");
      p.id = "dash-reload";
      p.dataset.testid = "dash-reload";
      p.textContent = "The lesson's task list changed: reload the page to see the progress matrix's columns.";
      document.getElementById("dash-progress").prepend(p);
    }
    const empty = document.querySelector("[data-testid=dash-empty]");
    if (empty && cardsEl.children.length > 0) empty.remove();
    tick();
  }

  // reason asks the server why a websocket was refused: a handshake's answer (the
  // limit of dashboards, a teacher link rotated) never reaches the WebSocket API.
  async function reason(path) {
    try {
      const res = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (res.status === 429 || res.status === 403) {
        const data = await res.json();
        return data.error || res.statusText;
      }
    } catch (err) {
      return "";
    }
    return "";
  }

  let delay = 1000;
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const path = "/ws/teach/" + encodeURIComponent(classID);
    const sock = new WebSocket(proto + "//" + location.host + path);
    let opened = false;
    sock.addEventListener("open", () => {
      opened = true;
      delay = 1000;
      liveText.textContent = "Live: cards update as students work";
      root.dataset.live = "1";
    });
    sock.addEventListener("message", (e) => {
      try {
        update(JSON.parse(e.data));
      } catch (err) {
        console.error("dashboard update", err);
      }
    });
    sock.addEventListener("close", async () => {
      root.dataset.live = "0";
      const wait = delay;
      delay = Math.min(delay * 2, 30000);
      const why = opened ? "" : await reason(path);
      liveText.textContent = "Not live" + (why ? " (" + why + ")" : "") + ": reconnecting in " + Math.round(wait / 1000) + " s (the cards may be out of date)";
      setTimeout(connect, wait);
    });
  }

  fill(document);
  tick();
  setInterval(tick, 30000);
  connect();
})();
