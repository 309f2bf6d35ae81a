"""The process-wide memo of views: one computation per key however many sessions ask, a new data
version computes afresh, failures are not kept, the bound holds, and the pages leave views as built."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from retro.memo import _memos, clear_all, shared

APP = Path(__file__).resolve().parent.parent / "app.py"


def test_a_view_is_computed_once_per_key_and_again_for_a_new_data_version():
    calls = []

    @shared(8)
    def view(path: str, version: int, metric: str) -> dict:
        calls.append((version, metric))
        return {"metric": metric, "version": version}

    first = view("a.duckdb", 1, "销售额")
    assert view("a.duckdb", 1, "销售额") is first  # shared, not recomputed
    assert view("a.duckdb", 2, "销售额") == {"metric": "销售额", "version": 2}  # a write bumped the version
    assert view("a.duckdb", 1, metric="销售额") == first  # keyword and positional are different keys, same value
    assert calls == [(1, "销售额"), (2, "销售额"), (1, "销售额")]


def test_sessions_asking_for_the_same_missing_view_wait_for_one_computation():
    started = threading.Event()
    calls = []

    @shared(8)
    def slow(path: str, version: int) -> list[int]:
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return [version]

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow("a", 7))) for _ in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1
    assert len(results) == 10 and all(r is results[0] for r in results)


def test_a_failure_is_raised_to_every_caller_and_not_kept():
    attempts = []

    @shared(8)
    def flaky(path: str, version: int) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database busy")
        return 42

    with pytest.raises(RuntimeError):
        flaky("a", 1)
    assert flaky("a", 1) == 42
    assert len(attempts) == 2


def test_the_least_recently_used_entry_goes_first_and_clear_all_forgets_everything():
    calls = []

    @shared(2)
    def view(version: int) -> int:
        calls.append(version)
        return version

    view(1), view(2), view(1), view(3)  # 2 is the least recently used when 3 arrives
    assert len(view.memo.entries) == 2
    view(1)
    view(2)
    assert calls == [1, 2, 3, 2]
    clear_all()
    assert all(not m.entries for m in _memos)
    view(1)
    assert calls[-1] == 1


@pytest.mark.usefixtures("navigation_only")
def test_drawing_the_pages_leaves_every_shared_view_as_it_was_built(monkeypatch):
    """Views are shared between sessions without copies: drawing them must not change them. Each view
    is recorded as it leaves its builder, and compared with what the memo holds after two sessions."""
    from streamlit.testing.v1 import AppTest

    def frozen(value) -> str:
        return json.dumps(value, default=repr, sort_keys=True) if isinstance(value, dict | list) else repr(value)

    import retro.ui  # noqa: F401 - every module with views, so every memo exists before it is wrapped
    import retro.ui.goals  # noqa: F401
    import retro.ui.trends  # noqa: F401

    as_built: dict = {}
    for memo in _memos:
        def recording(*args, _name=memo.fn.__qualname__, _fn=memo.fn, **kwargs):
            value = _fn(*args, **kwargs)
            as_built[(_name, id(value))] = frozen(value)
            return value
        recording.__qualname__ = memo.fn.__qualname__
        monkeypatch.setattr(memo, "fn", recording)

        def batched(key, value, _name=memo.fn.__qualname__, _put=memo.put):  # a batch's values, as built
            as_built[(_name, id(value))] = frozen(value)
            return _put(key, value)
        monkeypatch.setattr(memo, "put", batched)

    def session(lang: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params["lang"] = lang
        at.run()  # the first start imports the sample
        return at

    clear_all()
    for lang in ("zh", "zh", "en"):
        at = session(lang)
        for page in ("pages/trends.py", "pages/goals.py", "pages/trends.py"):
            at.switch_page(page).run()
            assert not at.exception, [e.value for e in at.exception]
        at.segmented_control(key="trends_grain").set_value("quarter").run()
    held = {(m.fn.__qualname__, id(v)): frozen(v) for m in _memos for v in list(m.entries.values())}
    assert {"trend_view", "breakdown_view", "card"} <= {name for name, _ in held}
    assert held.keys() <= as_built.keys()
    assert {k: as_built[k] for k in held} == held


def test_a_keyed_value_is_built_once_per_key():
    from retro.memo import keyed

    get = keyed(4)
    built = []
    first = get(("bullets", "zh", '{"ratio":[0.8]}'), lambda: built.append(1) or {"spec": 1})
    again = get(("bullets", "zh", '{"ratio":[0.8]}'), lambda: built.append(2) or {"spec": 2})
    other = get(("bullets", "en", '{"ratio":[0.8]}'), lambda: built.append(3) or {"spec": 3})
    assert first is again and other == {"spec": 3} and built == [1, 3]


def test_a_batch_reserves_its_keys_and_a_caller_waits_for_it_instead_of_computing_again():
    calls = []

    @shared(3)
    def view(path: str, n: int) -> int:
        calls.append(n)
        return n * 10

    view("a", 1)
    assert view.memo.reserve([("a", 1), ("a", 2), ("a", 3), ("a", 2)]) == [("a", 2), ("a", 3)]
    assert view.memo.reserve([("a", 2)]) == []  # being computed: not a second batch's
    got = []
    waiting = threading.Thread(target=lambda: got.append(view("a", 2)))
    waiting.start()
    time.sleep(0.2)
    assert not got and calls == [1]  # the caller waits for the batch
    view.memo.put(("a", 2), 20)
    waiting.join(5)
    assert got == [20] and calls == [1]  # read, not computed
    view.memo.release(("a", 3))  # the batch failed for this one: a caller computes it
    assert view("a", 3) == 30 and calls == [1, 3]
    view.memo.reserve([("a", 4)])
    view.memo.put(("a", 4), 40)  # the bound holds for a batch too: the least recently used goes
    assert view.memo.reserve([("a", 1)]) == [("a", 1)]
