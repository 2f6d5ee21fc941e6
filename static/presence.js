// layerlab: presence. Every page keeps one websocket open to /ws/presence while it is
// open: a student with at least one open page shows online on the class dashboard.
// A session that has stored nothing yet (no workspace to be online) is closed at once
// with code 4001 and not tried again; a connection lost otherwise is tried again,
// further apart, and given up after a few failures in a row.
(function () {
  "use strict";
  if (!("WebSocket" in window)) return;
  let delay = 2000;
  let failures = 0;
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const sock = new WebSocket(proto + "//" + location.host + "/ws/presence");
    let opened = false;
    sock.addEventListener("open", () => {
      opened = true;
      failures = 0;
      delay = 2000;
    });
    sock.addEventListener("close", (e) => {
      if (e.code === 4001) return;
      if (!opened && ++failures > 5) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    });
  }
  connect();
})();
