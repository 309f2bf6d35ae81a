"""``python bench/load_profile.py [streamlit options]``: retro's server exactly as ``python -m retro.ui``
starts it, plus a sampling profiler for the load test (``bench_load.py --profile``).

Nothing in pages/ or retro/ changes: this launcher starts a thread that, every 10 ms, reads each
Python thread's own CPU clock and charges the CPU it used since the last look to the category of
the stack it is in (``sys._current_frames``; a thread waiting for the GIL or for a core uses none),
and times every script run (``ScriptRunner._run_script``: wall and the run thread's CPU). CPU of
threads Python does not know (DuckDB's worker pool) = process CPU − Python threads' CPU. Written
as JSON to ``$RETRO_LOAD_PROFILE`` every 5 s and at exit.

Caveat: a stack seen at the sample is charged with the whole CPU since the previous sample, so
short phases are blurred over 10 ms; over thousands of samples the shares hold.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

# The code under test: a clean snapshot of HEAD (bench_load.py --code head) or this working tree.
CODE = Path(os.environ.get("RETRO_LOAD_CODE") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(CODE))

INTERVAL = 0.010
SAMPLE = os.environ.get("RETRO_LOAD_SAMPLER", "1") != "0"
OUT = Path(os.environ.get("RETRO_LOAD_PROFILE", "load-profile.json"))


def categorise(frames: list[tuple[str, str]], thread_name: str) -> str:
    """The category of a thread's stack (outermost rules first; the first match wins)."""
    files = [f for f, _ in frames]
    funcs = [fn for _, fn in frames]
    script = "ScriptRunner" in thread_name
    if not script:
        if any(x in f for f in files for x in ("uvicorn", "starlette", "websockets", "tornado")):
            return "server thread: HTTP/websocket (uvicorn, starlette)"
        if any("streamlit/runtime" in f for f in files):
            return "server thread: streamlit runtime (session/forward msgs)"
        return "server thread: other"
    if any(f.endswith("retro/db.py") for f in files):
        return "script: DuckDB query (retro/db.py)"
    if any("streamlit/runtime/caching/hashing.py" in f for f in files):
        return "script: st.cache_data hashing the arguments"
    if any("streamlit/runtime/caching" in f for f in files) and any(fn in {"_read_from_mem_cache", "read_result", "loads", "_unpickle"}
                                                                    or "pickle" in fn for fn in funcs):
        return "script: st.cache_data unpickling a hit"
    if any("/altair/" in f or "/jsonschema/" in f or f.endswith("retro/charts.py") for f in files):
        return "script: chart specs (altair, retro/charts.py)"
    if any("streamlit/elements/lib/column_config" in f or "dataframe_util" in f or "arrow" in f.lower() for f in files):
        return "script: dataframes to Arrow (st.dataframe)"
    user = [i for i, f in enumerate(files) if "/pages/" in f or f.endswith("/app.py") or "/retro/" in f]
    if user:
        if any("/streamlit/" in f for f in files[user[-1] + 1:]):
            return "script: Streamlit element calls (protobuf, widgets)"
        return "script: page/retro Python (incl. pandas)"
    return "script: Streamlit script runner (rerun set-up, compile)"


class Profiler:
    def __init__(self) -> None:
        self.categories: collections.Counter[str] = collections.Counter()  # CPU seconds
        self.own: collections.Counter[str] = collections.Counter()  # CPU seconds by innermost Python frame
        self.busy_scripts: collections.Counter[int] = collections.Counter()
        self.samples = 0
        self.runs: list[dict] = []
        self.lock = threading.Lock()
        self.me = 0
        self.last_cpu: dict[int, float] = {}
        self.last_process = time.process_time()
        self.categories_delta: list[float] = []
        self.started = time.time()

    def sample(self) -> None:
        """Charge each thread's CPU time since the last sample (its own CPU clock: a thread waiting
        for the GIL or for a core uses none) to the category of the stack it is in now."""
        names = {t.ident: t.name for t in threading.enumerate()}
        busy_scripts = 0
        for ident, frame in sys._current_frames().items():
            try:
                cpu = time.clock_gettime(time.pthread_getcpuclockid(ident))
            except (OSError, ValueError):
                continue
            used = cpu - self.last_cpu.get(ident, cpu)
            self.last_cpu[ident] = cpu
            if used <= 0:
                continue
            stack = []
            f = frame
            while f is not None:
                stack.append((f.f_code.co_filename, f.f_code.co_name))
                f = f.f_back
            stack.reverse()
            name = names.get(ident, "")
            cat = "profiler itself (this sampler)" if ident == self.me else categorise(stack, name)
            if "ScriptRunner" in name:
                busy_scripts += 1
            self.categories[cat] += used
            self.categories_delta.append(used)
            file, func = stack[-1] if stack else ("?", "?")
            self.own[f"{Path(file).parent.name}/{Path(file).name}:{func}"] += used
        process = time.process_time()
        native = process - self.last_process - sum(self.categories_delta)
        self.last_process = process
        self.categories_delta.clear()
        if self.samples and native > 0:
            self.categories["native threads (DuckDB workers, …)"] += native
        self.busy_scripts[busy_scripts] += 1
        self.samples += 1

    def loop(self) -> None:
        self.me = threading.get_ident()
        last_dump = time.monotonic()
        while True:
            time.sleep(INTERVAL)
            if not SAMPLE:  # runs timed only (bench_load.py --runs-only): none of the sampler's cost
                if time.monotonic() - last_dump > 5:
                    self.dump()
                    last_dump = time.monotonic()
                continue
            try:
                self.sample()
            except Exception:  # noqa: BLE001,S112 - a profiler must never take the server down
                continue
            if time.monotonic() - last_dump > 5:
                self.dump()
                last_dump = time.monotonic()

    def dump(self) -> None:
        with self.lock:
            runs = list(self.runs)
        data = {
            "interval_ms": INTERVAL * 1000,
            "samples": self.samples,
            "categories": dict(self.categories),
            "top": [(k, round(v, 3)) for k, v in self.own.most_common(40)],
            "busy_script_threads_histogram": dict(sorted(self.busy_scripts.items())),
            "runs": runs,
            "note": "CPU seconds per category, from each thread's own CPU clock between samples",
        }
        tmp = OUT.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False))
        os.replace(tmp, OUT)


def instrument_runs(prof: Profiler) -> None:
    """Time each script run (whole rerun of app.py + page) on the server, per session."""
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner.ScriptRunner._run_script

    def timed(self, rerun_data):  # noqa: ANN001 - Streamlit's signature
        started = time.perf_counter()
        cpu = time.thread_time()
        try:
            return original(self, rerun_data)
        finally:
            with prof.lock:
                prof.runs.append({"session": self._session_id[:8], "ts": time.time(),
                                  "ms": (time.perf_counter() - started) * 1000,
                                  "thread_cpu_ms": (time.thread_time() - cpu) * 1000,
                                  "page": rerun_data.page_name or rerun_data.page_script_hash[:8]})

    script_runner.ScriptRunner._run_script = timed


def main() -> None:
    prof = Profiler()
    instrument_runs(prof)
    threading.Thread(target=prof.loop, name="load-profiler", daemon=True).start()
    atexit.register(prof.dump)

    def on_term(signum, frame):  # noqa: ANN001
        prof.dump()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    from retro.ui import serve

    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
