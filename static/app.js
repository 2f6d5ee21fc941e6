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

  window.layerlab = { api, csrf, changed };
})();
