// Injected into every page of bench/bench_ui.py before Streamlit's own code runs (add_init_script).
//
// Measures, inside the page (Playwright's round trips are not counted), the time from the
// pointerdown of the click that changed something until the page is idle with the new content:
//   idle   = Streamlit's script state is "notRunning" (the attribute on [data-testid=stApp], as in
//            bench/load_page.js), the status widget shows no running icon, and the DOM has not
//            changed for `quiet` ms (a MutationObserver on the whole document: Vega's embeds,
//            stale elements removed, late deltas all count as changes);
//   content = the armed predicate holds (the new heading / caption / count is there, not stale).
// The hit time is the last DOM change before the quiet window (when the page settled), not the
// end of the window. The predicate must be false when armed: the new content proves the new run.
(() => {
  if (window.__ui) return;
  const now = () => performance.now();
  const ui = (window.__ui = { down: null, lastMutation: now(), mutations: 0, watch: null });
  document.addEventListener("pointerdown", () => { ui.down = now(); }, true);
  document.addEventListener("keydown", (e) => { if (e.key === "Enter") ui.down = now(); }, true);

  const state = () => {
    const app = document.querySelector("[data-testid=stApp]");
    return app ? app.getAttribute("data-test-script-state") : null;
  };
  const statusBusy = () => document.querySelector(
    "[data-testid=stStatusWidgetRunningIcon], [data-testid=stStatusWidgetRunningManIcon]") !== null;
  ui.fresh = (e) => !e.closest('[data-stale="true"]');
  ui.all = (sel, text) => [...document.querySelectorAll(sel)].filter(
    (e) => (text === undefined || e.textContent.includes(text)) && ui.fresh(e));
  ui.has = (sel, text) => ui.all(sel, text).length > 0;
  ui.count = (sel, text) => ui.all(sel, text).length;
  ui.h1 = () => { const h = ui.all("[data-testid=stMain] h1"); return h.length ? h[0].textContent.trim() : null; };

  const check = () => {
    const w = ui.watch;
    if (!w || w.hit !== null) return;
    const t = now();
    const s = state();
    if (s !== "notRunning") {
      if (w.running === null) w.running = t;
      w.done = null;
      return;
    }
    if (w.running !== null && w.done === null) w.done = t;
    if (statusBusy()) return;
    if (t - ui.lastMutation < w.quiet) return;
    let ok = false;
    try { ok = Boolean(w.pred()); } catch (e) { ok = false; }
    if (ok) { w.hit = ui.lastMutation; w.confirmed = t; }
  };
  ui.arm = (body, quiet) => {
    const pred = new Function(body);
    let before = false;
    try { before = Boolean(pred()); } catch (e) { before = false; }
    ui.watch = { pred, quiet, hit: null, confirmed: null, running: null, done: null, armed: now(), before };
    ui.down = null;
    return before;
  };
  ui.result = () => {
    const w = ui.watch;
    return { down: ui.down, armed: w.armed, hit: w.hit, running: w.running, done: w.done, confirmed: w.confirmed };
  };
  new MutationObserver(() => { ui.lastMutation = now(); ui.mutations += 1; check(); })
    .observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  setInterval(check, 10);
})();
