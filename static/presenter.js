// layerlab presenter mode: large type and high contrast for the back of a classroom,
// on every page. Loaded in <head>, before the body is drawn, so a page never flashes
// in the other mode. ?present=1 turns it on, ?present=0 off; the choice is remembered
// (localStorage) for the next pages.
(function () {
  "use strict";
  const KEY = "layerlab.present";
  const root = document.documentElement;

  function stored() {
    try { return localStorage.getItem(KEY) === "1"; } catch (_) { return false; }
  }
  function remember(on) {
    try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (_) { /* private mode: this page only */ }
  }

  let on = stored();
  const q = new URLSearchParams(location.search).get("present");
  if (q === "1" || q === "0") {
    on = q === "1";
    remember(on);
  }
  root.classList.toggle("present", on);

  function show(btn) {
    const now = root.classList.contains("present");
    btn.setAttribute("aria-pressed", now ? "true" : "false");
    btn.querySelector(".present-word").textContent = now ? "Presenter mode: on" : "Presenter mode: off";
  }

  // set turns the mode on or off, remembers it and tells the page (the playground fits
  // its layer stack to the screen again).
  function set(v) {
    root.classList.toggle("present", v);
    remember(v);
    const btn = document.getElementById("present-toggle");
    if (btn) show(btn);
    document.dispatchEvent(new CustomEvent("layerlab:present", { detail: { on: v } }));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const btn = document.getElementById("present-toggle");
    if (!btn) return;
    show(btn);
    btn.addEventListener("click", () => set(!root.classList.contains("present")));
  });

  window.layerlabPresent = { set, on: () => root.classList.contains("present") };
})();
