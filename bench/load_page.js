// Injected into every page of the load test before Streamlit's own code runs (add_init_script).
//
// Keeps an in-page timeline, so latencies do not include Playwright's round trips:
//   lastDown   performance.now() of the last pointerdown (the click that changed a widget)
//   runs       how many times the app's script state became "notRunning" (a run finished)
//   watch      armed by the harness before a click (lt.arm): {runs, checks, hit, via, fresh}; `hit` is
//              set at the first moment nothing runs AND every check holds (a [selector, text] pair:
//              some element matching selector, not stale, contains text) AND either a run started
//              after arming has finished or the checked content is new since arming (see check).
// The script state is Streamlit 1.67's attribute on the app root:
//   <div data-testid="stApp" data-test-script-state="notRunning|running|rerunRequested|...">
(() => {
  if (window.__lt) return;
  const lt = (window.__lt = {
    runs: 0, state: null, lastDown: null, firstRunning: null, lastDone: null, watch: null, mutations: 0,
  });
  document.addEventListener("pointerdown", () => { lt.lastDown = performance.now(); }, true);

  const holds = (sel, text) => {
    for (const e of document.querySelectorAll(sel)) {
      if (e.textContent.includes(text) && !e.closest('[data-stale="true"]')) return true;
    }
    return false;
  };
  // A run that ends within one frame of starting can leave the attribute at "notRunning" the whole
  // time (React applies both states in one render): no run is counted. So content that was not on
  // the page when the watch was armed ("fresh") is a hit as soon as it is there and nothing runs;
  // content that was already there needs a counted run, as before.
  const check = () => {
    const w = lt.watch;
    if (!w || w.hit !== null || lt.state !== "notRunning") return;
    const ran = lt.runs > w.runs;
    if (!ran && !w.fresh) return;
    if (w.checks.every(([sel, text]) => holds(sel, text))) {
      w.hit = performance.now();
      w.via = ran ? "run" : "content";
    }
  };
  lt.check = check;
  lt.arm = (checks) => {
    lt.watch = { runs: lt.runs, checks, hit: null, via: null, fresh: !checks.every(([sel, text]) => holds(sel, text)) };
    lt.lastDown = null;
    lt.firstRunning = null;
  };

  const seen = (next, now) => {
    const before = lt.state;
    lt.state = next;
    if (next === before) return;
    if (next === "running" && lt.firstRunning === null) lt.firstRunning = now;
    if (next === "notRunning") { lt.runs += 1; lt.lastDone = now; }
  };

  new MutationObserver((records) => {
    const now = performance.now();
    lt.mutations += records.length;
    // Several state changes can arrive in one batch: replay them in order (oldValue of the next
    // record is the value this one set; the last one set the current value).
    const states = records.filter(
      (r) => r.type === "attributes" && r.attributeName === "data-test-script-state",
    );
    states.forEach((r, i) => {
      const value = i + 1 < states.length ? states[i + 1].oldValue : r.target.getAttribute("data-test-script-state");
      seen(value, now);
    });
    check();
  }).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeOldValue: true,
  });
})();
