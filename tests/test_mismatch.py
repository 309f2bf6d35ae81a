"""Why a sheet's own totals disagree with what would be stored (retro/ingest/mismatch.py)."""

from __future__ import annotations

from retro.ingest.mismatch import column_explanation, row_explanation


def test_a_stored_row_that_holds_the_difference_in_every_column_is_offered_for_leaving_out():
    why = row_explanation({1: 7.5, 2: -2.5}, {1: {5, 9}, 2: {5}}, {}, {}, {1: (260, 267.5), 2: (295, 292.5)})
    assert why == {"code": "stored_row", "rows": [5], "fix": {"skip_rows": [5]}}


def test_a_row_left_out_that_holds_what_is_missing_is_offered_for_keeping():
    left_out = {8: ("subtotal", {1: 30.0, 2: 32.0}), 12: ("totals", {1: 43.0, 2: 47.0})}
    why = row_explanation({1: -30.0, 2: -32.0}, {1: set(), 2: set()}, left_out, {}, {1: (73, 43), 2: (79, 47)})
    assert why == {"code": "left_out_row", "rows": [8], "why": "subtotal", "fix": {"keep_rows": [8]}}


def test_a_short_sum_beside_unread_cells_says_so_and_offers_no_fix():
    why = row_explanation({2: -8.0}, {2: set()}, {}, {2: 1}, {2: (30, 22)})
    assert why == {"code": "unread_cells", "count": 1, "rows": []}


def test_a_hundredfold_difference_is_a_scale():
    why = row_explanation({1: 9900.0}, {1: set()}, {}, {}, {1: (100.0, 10000.0)})
    assert why is not None and why["code"] == "scale" and why["factor"] == 100 and why["more"]


def test_two_rows_that_each_hold_the_difference_are_named_but_no_row_is_picked():
    why = row_explanation({1: 5.0}, {1: {3, 4}}, {}, {}, {1: (15, 20)})
    assert why == {"code": "stored_rows_any", "rows": [3, 4], "fix": None}


def test_nothing_explains_an_arbitrary_difference():
    assert row_explanation({1: 3.3}, {1: set()}, {9: ("totals", {1: 10.0})}, {}, {1: (10.0, 13.3)}) is None


def test_a_totals_column_names_the_rows_whose_total_is_not_their_sum():
    why = column_explanation({1: 30.0, 2: 50.0, 3: 9.0}, {1: 30.0, 2: 45.0, 3: 9.0})
    assert why == {"code": "rows_disagree", "rows": [3], "count": 1}  # grid row 2 is the sheet's row 3
