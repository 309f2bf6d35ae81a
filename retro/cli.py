"""Command line: ``python -m retro import FILE [--db PATH|URL] …`` for automation, tests and benchmarks.

``--db`` (default ``$RETRO_DB``, then the secrets file's ``[connections.retro] url``, then data/retro.duckdb)
names a DuckDB file or a ``postgresql://`` URL; a URL's password is never printed (retro.db.redact_url)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from .db import Database, DatabaseUnavailable, get_database, is_postgres_url, redact_url
from .i18n import format_number, message_text, mismatch_text, reading_text, reconciliation_text, t
from .ingest import ImportFailure, Overrides, analysis_summary, store_import
from .ingest.analyze import analyze_file
from .ingest.detect import ROLES
from .ingest.normalize import Message
from .ingest.read import column_index
from .ingest.restatements import restated_values

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_DB_UNAVAILABLE = 3  # the database file is held by another process (or was invalidated, or unreachable)
DB_HELP = ("DuckDB file or postgresql://user@host:port/db URL (default: $RETRO_DB, else [connections.retro] url "
           "in .streamlit/secrets.toml, else data/retro.duckdb); the password may come from $RETRO_DB_PASSWORD")
IMPORT_MEMORY_LIMIT = "256MB"  # DuckDB's memory for `import` (cmd_import)
EXIT_MISMATCH = 4  # a sheet's own totals disagree with what would be stored: nothing stored (see --accept-mismatch)


def _messages(items: list[Message], lang: str, prefix: str) -> list[dict[str, Any]]:
    return [{"code": m.code, "message": message_text(m.code, m.params, lang, prefix)} for m in items]


def _sheet_json(sheet: dict[str, Any], lang: str, imported: bool) -> dict[str, Any]:
    out = dict(sheet)
    status = sheet["status"]
    out["status"] = {"ready": "imported" if imported else "ready"}.get(status, status)
    out["warnings"] = _messages(sheet["warnings"], lang, "warn")
    out["reconciliation"] = [{**r, "message": reconciliation_text(r, lang)} for r in sheet["reconciliation"]]
    if sheet.get("mismatch"):
        why = sheet["mismatch"]
        fix = why.get("fix") or {}
        flags = [f"--skip-row {sheet['sheet']}:{r}" for r in fix.get("skip_rows", [])]
        flags += [f"--keep-row {sheet['sheet']}:{r}" for r in fix.get("keep_rows", [])]
        out["mismatch"] = {**why, "message": mismatch_text(why, lang), "fix_flags": flags}
    out["readings"] = [{**r, "message": reading_text(r, lang)} for r in sheet.get("readings", [])]
    # A weak reading is an assumption: it is a warning too, so a script sees what to decide.
    out["warnings"] += [{"code": "assumed", "assumed": True, "decision": r["decision"],
                         "message": message_text("assumed", {"text": reading_text(r, lang)}, lang, "warn")}
                        for r in sheet.get("readings", []) if r["strength"] == "weak"]
    err = sheet["error"]
    out["error"] = {"code": err.code, "message": message_text(err.code, err.params, lang, "error")} if err else None
    return out


def cmd_import(args: argparse.Namespace) -> int:
    lang = args.lang
    path = Path(args.file)
    result: dict[str, Any] = {"file": path.name, "status": "error", "import_id": None, "message": None,
                              "error_code": None, "sheets": []}
    try:
        with open(path, "rb"):  # a missing or unreadable file is said before the database is opened
            pass
    except OSError as exc:
        result.update(error_code="not_found", message=str(exc))
        return _emit(result, args, EXIT_BAD_INPUT)
    db = get_database(args.db)
    if isinstance(db, Database):  # on PostgreSQL the server's memory is its own to manage
        with db.cursor() as cur:
            # DuckDB's cache may take 80 % of the machine by default, and storing a big file fills it with
            # blocks already written (issue 19: +800 MB for a 190 MB CSV). One import in its own process
            # needs little of it: beyond this DuckDB spills to the database's temp folder.
            cur.execute(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")
    try:
        overrides = _overrides(args)
    except ValueError as exc:
        result.update(error_code="bad_option", message=str(exc))
        return _emit(result, args, EXIT_BAD_INPUT)
    try:
        # read from the path: a CSV's bytes are never all held (issue 19: they were through the whole import)
        analysis = analyze_file(db, path, sheet=args.sheet, year=args.year, period=args.period, overrides=overrides)
    except ImportFailure as failure:
        result.update(error_code=failure.code, message=message_text(failure.code, failure.params, lang, "error"))
        return _emit(result, args, EXIT_BAD_INPUT)
    summary = analysis_summary(analysis)
    ready = analysis.ready()
    if not ready:
        first = next((s.error for s in analysis.sheets if s.error), None)
        code = first.code if first else "nothing_imported"
        result.update(error_code=code,
                      message=message_text(code, first.params if first else {}, lang, "error"),
                      sheets=[_sheet_json(s, lang, False) for s in summary["sheets"]])
        return _emit(result, args, EXIT_BAD_INPUT)
    restated = restated_values(db, analysis)
    result["restated"] = {"count": len(restated), "values": restated.head(50).to_dict("records")}
    if args.dry_run:
        result.update(status="dry_run", sheets=[_sheet_json(s, lang, False) for s in summary["sheets"]])
        return _emit(result, args, EXIT_OK)
    differing = [s for s in summary["sheets"] if s["status"] == "ready" and s["reconciled"] == "mismatch"]
    if differing and not args.accept_mismatch:
        # a wrong number is worse than a refusal: nothing is stored until it is fixed or accepted
        result.update(status="mismatch", error_code="mismatch",
                      message=t("cli.mismatch", lang, sheets=[s["sheet"] for s in differing]),
                      sheets=[_sheet_json(s, lang, False) for s in summary["sheets"]])
        return _emit(result, args, EXIT_MISMATCH)
    stored = store_import(db, analysis, mode=args.mode, actor="cli", dataset=args.dataset)
    if stored.status == "already_imported":
        result.update(status="already_imported", import_id=stored.import_id,
                      message=t("import.already", lang, id=stored.import_id),
                      sheets=[_sheet_json(s, lang, False) for s in summary["sheets"]])
        return _emit(result, args, EXIT_OK)
    periods = sorted({p for s in summary["sheets"] for p in s["periods"]})
    span = f"{periods[0]} … {periods[-1]}" if periods else "—"
    result.update(status="imported", import_id=stored.import_id, replaced=stored.replaced,
                  message=t("import.done", lang, rows=stored.rows, periods=span),
                  sheets=[_sheet_json(s, lang, True) for s in summary["sheets"]])
    return _emit(result, args, EXIT_OK)


def _overrides(args: argparse.Namespace) -> dict[str, Overrides]:
    """--include-sheet NAME and --role SHEET:COLUMN=ROLE, as the preview's choices would be."""
    out: dict[str, Overrides] = {}
    for name in args.include_sheet or []:
        out.setdefault(name, Overrides()).take_in = True
    for flag, items in (("skip_rows", args.skip_row), ("keep_rows", args.keep_row)):
        for item in items or []:
            m = re.fullmatch(r"(.+):(\d+)", item.strip())
            if not m:
                raise ValueError(f"--{flag[:4]}-row takes SHEET:ROW (the row as the sheet numbers it), not {item!r}")
            getattr(out.setdefault(m.group(1), Overrides()), flag).append(int(m.group(2)))
    for item in args.role or []:
        m = re.fullmatch(r"(.+):([A-Za-z]{1,3})=(\w+)", item.strip())
        if not m or m.group(3) not in ROLES:
            raise ValueError(f"--role takes SHEET:COLUMN=ROLE (a column letter; roles: {', '.join(ROLES)}), not {item!r}")
        out.setdefault(m.group(1), Overrides()).roles[column_index(m.group(2).upper())] = m.group(3)
    return out


def _emit(result: dict[str, Any], args: argparse.Namespace, code: int) -> int:
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
        return code
    lang = args.lang
    out = sys.stdout if code == EXIT_OK else sys.stderr
    if result.get("message"):
        print(result["message"], file=out)
    for s in result["sheets"]:
        line = f"- {s['sheet']}: {s['status']}"
        if s.get("shape"):
            line += f" · {t('shape.' + s['shape'], lang)} · {s['rows']} rows"
        if s.get("periods"):
            line += f" · {s['periods'][0]} … {s['periods'][-1]}"
        if s.get("error"):
            line += f" · {s['error']['message']}"
        if s.get("skip_reason"):
            line += f" · {t('skip.' + s['skip_reason'], lang)}"
        print(line, file=out)
        for w in s.get("warnings", []):
            print(f"    ! {w['message']}", file=out)
        for r in s.get("reconciliation", []):
            print(f"    = {r['message']}", file=out)
        for r in s.get("readings", []):
            print(f"    · {r['message']}", file=out)
    return code


def cmd_series(args: argparse.Namespace) -> int:
    from . import metrics

    db = get_database(args.db)
    filters: dict[str, list[str]] = {}
    for item in args.filter or []:
        if "=" not in item:
            print(f"--filter takes DIMENSION=VALUE, not {item!r}", file=sys.stderr)
            return EXIT_BAD_INPUT
        dim, value = item.split("=", 1)
        filters.setdefault(dim.strip(), []).append(value.strip())
    try:
        frame = metrics.series(db, args.metric, grain=args.grain, scenario=args.scenario, by=args.by, filters=filters)
    except KeyError:
        names = [m.name for m in metrics.catalog(db)]
        print(f"no metric named {args.metric!r}; metrics: {', '.join(names)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rows = [
        {
            "period": metrics.period_label(r.period, args.grain),
            "segment": r.segment,
            "value": None if r.value is None or r.value != r.value else float(r.value),
            "mom": None if r.mom is None or r.mom != r.mom else float(r.mom),
            "yoy": None if r.yoy is None or r.yoy != r.yoy else float(r.yoy),
            "complete": bool(r.complete),
        }
        for r in frame.itertuples()
    ]
    if args.json:
        print(json.dumps({"metric": args.metric, "grain": args.grain, "scenario": args.scenario, "by": args.by,
                          "filters": filters, "rows": rows}, ensure_ascii=False))
        return EXIT_OK
    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:+.1f}%"

    for r in rows:
        value = "—" if r["value"] is None else f"{r['value']:,.2f}"
        print(f"{r['period']}\t{r['segment'] or '*'}\t{value}\tMoM {pct(r['mom'])}\tYoY {pct(r['yoy'])}"
              + ("" if r["complete"] else "\t(partial)"))
    return EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    """The KPI scorecard of one period: every KPI's plan, actual, attainment, deviation, status,
    weight and score, and the overall score (per segment with --by)."""
    from . import metrics, scoring

    try:
        scoring.grain_of(args.period)
    except ValueError:
        print(f"--period takes YYYY-MM, YYYY-Qn or YYYY, not {args.period!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    db = get_database(args.db)
    if args.by and args.by not in metrics.dimensions(db):
        print(f"no dimension named {args.by!r}; dimensions: {', '.join(metrics.dimensions(db))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    card = scoring.scorecard(db, args.period, by=args.by, forecast=args.forecast)
    if args.json:
        print(json.dumps(scoring.scorecard_json(card), ensure_ascii=False, default=str))
        return EXIT_OK

    def pct(v: float | None, signed: bool = False) -> str:
        return "—" if v is None else (f"{v * 100:+.1f}%" if signed else f"{v * 100:.1f}%")

    def value(v: float | None, unit: str | None) -> str:
        return "—" if v is None else format_number(v, args.lang, unit=unit, compact=False)

    print(f"{card.label}" + (f" by {args.by}" if args.by else "") + (" (in progress: to date)" if card.in_progress else ""))
    print("\t".join(("metric", "segment", "plan", "actual", "attainment", "deviation", "status", "weight", "score")))
    for r in card.rows:
        print("\t".join((r.metric, r.segment or "*", value(r.plan, r.unit), value(r.actual, r.unit), pct(r.attainment),
                         pct(r.deviation, signed=True), r.status + (f" ({r.reason})" if r.reason and r.reason != r.status else ""),
                         f"{r.weight:g}", pct(r.score))))
    for segment, score in card.segments.items():
        print(f"overall {segment}\t{pct(score)}")
    print(f"overall\t{pct(card.overall)}")
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    """A review with its problems, measures (and their checks against the data), tasks and lessons."""
    from . import reviews

    db = get_database(args.db)
    if args.id is not None:
        review = reviews.get_review(db, args.id)
    elif args.period:
        try:
            review = reviews.review_for_period(db, args.period)
        except ValueError:
            print(f"--period takes YYYY-MM or YYYY-Qn, not {args.period!r}", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        found = reviews.reviews(db)
        review = found[0] if found else None
    if review is None:
        print("no such review", file=sys.stderr)
        return EXIT_BAD_INPUT
    data = reviews.review_json(db, review, args.lang)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, default=str))
        return EXIT_OK
    head = data["review"]
    print(f"{head['title']} ({head['label']}, {head['status']})")
    for p in data["problems"]:
        print(f"problem #{p['id']}\t{p['status']}\t{p['title']}" + ("\t(carried)" if p["carried"] else ""))
    for m in data["measures"]:
        check = m["verification"]["state"]
        print(f"measure #{m['id']}\t{m['status']}\t{m['owner']}\t{m['due']}\t{m['title']}"
              + (f"\t{m['criterion']}: {check}" if check != "none" else "") + ("\tOVERDUE" if m["overdue"] else ""))
    for x in data["tasks"]:
        print(f"task #{x['id']}\t{x['status']}\t{x['owner']}\t{x['task']}")
    for x in data["lessons"]:
        print(f"lesson #{x['id']}\t{x['kind']}\t{x['text']}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """The review report of one period as a file (xlsx, pdf, pptx, md, html), for a scheduled job."""
    from . import scoring
    from .report import export_bytes
    from .report.model import build_report

    try:
        scoring.grain_of(args.period)
    except ValueError:
        print(f"--period takes YYYY-MM or YYYY-Qn, not {args.period!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    fmt = args.format or (Path(args.out).suffix.lstrip(".").lower() or "xlsx")
    try:
        report = build_report(get_database(args.db), args.period, lang=args.lang, sections=args.section or None,
                              team=args.team)
        data = export_bytes(report, fmt)
    except (ValueError, ImportError) as failure:
        print(f"report not written: {failure}", file=sys.stderr)
        return EXIT_BAD_INPUT
    Path(args.out).write_bytes(data)
    print(f"{args.out} ({fmt}, {len(data):,} bytes)")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from .backup import backup
    from .db import default_db_target

    target = args.db or default_db_target()
    if not is_postgres_url(target):
        target = Path(target)
        if not target.exists():
            print(f"no database at {target}", file=sys.stderr)
            return EXIT_BAD_INPUT
    folder = backup(get_database(target), args.out)  # a URL: the same folder, read in one snapshot
    print(folder)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from .backup import BackupError, restore
    from .db import default_db_target

    target = args.db or default_db_target()
    shown = redact_url(target) if is_postgres_url(target) else target  # never the password
    try:
        # A URL: loaded in one transaction, other servers go on reading; a file: replaced by the new one.
        safety = restore(target if is_postgres_url(target) else Path(target), args.folder)
    except BackupError as failure:
        params = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in failure.params.items()}
        print(t(f"safety.backup.error.{failure.code}", args.lang, **params), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"restored {shown} from {args.folder}" + (f"; the replaced database was backed up to {safety}" if safety else ""))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m retro", description="retro: operations review dashboard")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import", help="import a workbook (.xlsx/.xlsm/.xls/.csv) into the database")
    p.add_argument("file")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--sheet", help="import only this sheet")
    p.add_argument("--year", type=int, help="year for month headers that carry none")
    p.add_argument("--period", help="period of a sheet that has none (YYYY-MM, YYYY-Qn, YYYY)")
    p.add_argument("--mode", choices=("replace", "keep"), default="replace",
                   help="when periods overlap earlier imports: replace them (default) or keep both")
    p.add_argument("--dry-run", action="store_true", help="analyse and report, store nothing")
    p.add_argument("--include-sheet", action="append", metavar="SHEET",
                   help="import a sheet read as a helper (pivot, copy, dashboard, forecast) all the same (repeatable)")
    p.add_argument("--role", action="append", metavar="SHEET:COLUMN=ROLE",
                   help="overrule a column's reading, e.g. 'Orders:C=measure' (repeatable)")
    p.add_argument("--skip-row", action="append", metavar="SHEET:ROW",
                   help="leave this row out (a reconciliation's fix; the row as the sheet numbers it; repeatable)")
    p.add_argument("--keep-row", action="append", metavar="SHEET:ROW",
                   help="keep this row that was read as a totals or subtotal row (repeatable)")
    p.add_argument("--dataset", help="the source this file belongs to (default: the dataset of its layout's last import, "
                                     "else the file name without its dates)")
    p.add_argument("--accept-mismatch", action="store_true",
                   help=f"store sheets whose own totals disagree with what is stored (else: exit {EXIT_MISMATCH}, nothing stored)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--lang", choices=("zh", "en"), default="en")
    p.set_defaults(func=cmd_import)
    q = sub.add_parser("series", help="print a metric's series with MoM and YoY, as the trends page shows it")
    q.add_argument("--db", help=DB_HELP)
    q.add_argument("--metric", required=True)
    q.add_argument("--by", help="break down by this dimension")
    q.add_argument("--filter", action="append", metavar="DIM=VALUE", help="keep only this value (repeatable)")
    q.add_argument("--grain", choices=("month", "quarter", "year"), default="month")
    q.add_argument("--scenario", choices=("actual", "plan", "forecast"), default="actual")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_series)
    g = sub.add_parser("score", help="print the KPI scorecard of a period: plan, actual, attainment, status, score")
    g.add_argument("--db", help=DB_HELP)
    g.add_argument("--period", required=True, help="YYYY-MM, YYYY-Qn or YYYY")
    g.add_argument("--by", help="score each segment of this dimension")
    g.add_argument("--forecast", choices=("straight", "seasonal"), default="seasonal",
                   help="how a period in progress is forecast to its end")
    g.add_argument("--json", action="store_true")
    g.add_argument("--lang", choices=("zh", "en"), default="en")
    g.set_defaults(func=cmd_score)
    rv = sub.add_parser("review", help="print a review: problems, measures with their checks, tasks, lessons")
    rv.add_argument("--db", help=DB_HELP)
    rv.add_argument("--period", help="the review of this month or quarter (YYYY-MM, YYYY-Qn); default the newest")
    rv.add_argument("--id", type=int, help="the review with this id")
    rv.add_argument("--json", action="store_true")
    rv.add_argument("--lang", choices=("zh", "en"), default="en")
    rv.set_defaults(func=cmd_review)
    rp = sub.add_parser("report", help="write the review report of a period (xlsx, pdf, pptx, md, html)")
    rp.add_argument("--db", help=DB_HELP)
    rp.add_argument("--period", required=True, help="YYYY-MM or YYYY-Qn")
    rp.add_argument("--format", choices=("xlsx", "pdf", "pptx", "md", "html"),
                    help="default: from the --out suffix, else xlsx")
    rp.add_argument("--lang", choices=("zh", "en"), default="zh", help="the report's language")
    rp.add_argument("--section", action="append", metavar="KEY",
                    help="include only these sections (repeatable): summary, kpis, trends, scorecard, strategy_plan, "
                         "progress, outcome, followup, problems, measures, lessons, data")
    rp.add_argument("--team", help="team name for the cover and the file name")
    rp.add_argument("--out", required=True, help="file to write")
    rp.set_defaults(func=cmd_report)
    b = sub.add_parser("backup", help="export the whole database to Parquet files in a new folder under OUT")
    b.add_argument("--db", help=DB_HELP)
    b.add_argument("--out", required=True, help="folder to put the backup folder in")
    b.add_argument("--lang", choices=("zh", "en"), default="en")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="replace the database with a backup (the current one is backed up first)")
    r.add_argument("folder", help="a backup folder made by `backup`")
    r.add_argument("--db", help=DB_HELP)
    r.add_argument("--lang", choices=("zh", "en"), default="en")
    r.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ImportFailure as failure:  # pragma: no cover - each command handles its own
        print(message_text(failure.code, failure.params, getattr(args, "lang", "en"), "error"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except DatabaseUnavailable as exc:
        # Another process holds the file (a running server, a second import): say so, no traceback.
        message = t(f"safety.db_{exc.code}", getattr(args, "lang", "en"), **exc.params)
        if getattr(args, "json", False):
            print(json.dumps({"file": Path(args.file).name if getattr(args, "file", None) else None, "status": "error",
                              "import_id": None, "message": message, "error_code": f"database_{exc.code}",
                              "sheets": []}, ensure_ascii=False))
        else:
            print(message, file=sys.stderr)
        return EXIT_DB_UNAVAILABLE
