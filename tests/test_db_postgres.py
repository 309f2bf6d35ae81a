"""retro.db on PostgreSQL, against a real throwaway server (tests/postgres_support.py): the server itself,
then the schema, transactions, data version and settings as the DuckDB tests check them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time

import pandas as pd
import psycopg
import pytest
from postgres_support import INSTALL_HINT, PostgresMissing, PostgresServer, find_bin_dir

from retro import db as retro_db
from retro.db import Database, DatabaseUnavailable, PostgresDatabase

# --------------------------------------------------------------------------- the throwaway server


def test_the_throwaway_server_listens_on_loopback_with_a_password(postgres_server):
    with psycopg.connect(postgres_server.url()) as con:
        assert con.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
        assert con.execute("SHOW server_encoding").fetchone()[0] == "UTF8"
        assert con.execute("SELECT current_setting('server_version_num')::int").fetchone()[0] >= 150000
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres_server.url(password="wrong")).close()
    assert postgres_server.root is not None and str(postgres_server.root).startswith("/tmp")


def test_each_test_database_starts_empty(pg_url):
    with psycopg.connect(pg_url) as con:
        assert con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0] == 0


def test_a_stopped_server_leaves_no_folder_and_no_process():
    server = PostgresServer().start()
    root, port = server.root, server.port
    with psycopg.connect(server.url()) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
    server.stop()
    assert root is not None and not root.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.url().replace("/postgres", "/postgres?connect_timeout=2")).close()
    assert port


def test_missing_binaries_say_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setenv("RETRO_PG_BIN", str(tmp_path))
    with pytest.raises(PostgresMissing) as info:
        find_bin_dir()
    assert "apt-get install postgresql" in str(info.value) and str(info.value) == INSTALL_HINT
    with pytest.raises(PostgresMissing):
        PostgresServer()


# --------------------------------------------------------------------------- retro.db on PostgreSQL


def _hide_password(url: str) -> tuple[str, str]:
    from urllib.parse import unquote, urlsplit

    return url, unquote(urlsplit(url).password or "")


DUCK_TO_PG = {
    "VARCHAR": "character varying", "BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision",
    "DATE": "date", "TIMESTAMP": "timestamp without time zone", "BOOLEAN": "boolean", "JSON": "json",
    "VARCHAR[]": "ARRAY", "MAP(VARCHAR, VARCHAR)": "jsonb", "MAP(VARCHAR, DOUBLE)": "jsonb",
}


def _duck_columns(tmp_path) -> dict[str, list[tuple[str, str]]]:
    duck = Database(tmp_path / "same.duckdb")
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in duck.rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ):
        out.setdefault(table, []).append((column, kind))
    duck.close()
    return out


def test_a_new_database_gets_the_same_schema_as_a_duckdb_file(pg_url, tmp_path):
    db = Database(pg_url)
    assert isinstance(db, PostgresDatabase)
    assert db.applied_migrations() == [m.version for m in retro_db.MIGRATIONS]
    pg: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in db.rows(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    ):
        pg.setdefault(table, []).append((column, kind))
    duck = _duck_columns(tmp_path)
    assert sorted(pg) == sorted(duck)  # every table and view, nothing more
    for table, columns in duck.items():
        assert [c for c, _ in pg[table]] == [c for c, _ in columns], table
        assert [k for _, k in pg[table]] == [DUCK_TO_PG[k] for _, k in columns], table
    views = {r[0] for r in db.rows("SELECT table_name FROM information_schema.views WHERE table_schema = 'public'")}
    assert views == {"facts", "current_facts", "current_transactions"}


def test_migrations_re_run_apply_nothing_and_keep_the_data(pg_url):
    db = Database(pg_url)
    db.set_setting("k", "v")
    with db.transaction() as cur:
        cur.execute("""INSERT INTO segments VALUES ('区域=华东', '{"区域": "华东"}')""")
    assert db.migrate() == []
    db.close()
    again = Database(pg_url)
    assert again.migrate() == []
    assert again.applied_migrations() == [m.version for m in retro_db.MIGRATIONS]
    assert again.get_setting("k") == "v"
    assert again.rows("SELECT dims_key, dims FROM segments") == [("区域=华东", {"区域": "华东"})]
    assert again.scalar("SELECT count(*) FROM schema_migrations") == len(retro_db.MIGRATIONS)
    again.close()


def test_two_servers_starting_together_apply_each_migration_once(pg_url):
    opened: list = []
    errors: list = []

    def start() -> None:
        try:
            opened.append(PostgresDatabase(pg_url))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(opened) == 3
    assert opened[0].rows("SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version") == [
        (m.version, 1) for m in retro_db.MIGRATIONS
    ]
    for db in opened:
        db.close()


def test_a_failed_transaction_leaves_nothing_and_the_pool_goes_on(pg_url):
    db = Database(pg_url)
    with pytest.raises(RuntimeError), db.transaction() as cur:
        cur.execute("INSERT INTO settings VALUES (?, ?)", ["a", "1"])
        cur.execute("INSERT INTO layouts VALUES (?, ?, now())", ["fp", '{"x": 1}'])
        raise RuntimeError("boom")
    with pytest.raises(psycopg.errors.UniqueViolation), db.transaction() as cur:
        cur.execute("INSERT INTO settings VALUES (?, ?)", ["b", "1"])
        cur.execute("INSERT INTO settings VALUES (?, ?)", ["b", "2"])  # the key again: the whole write fails
    assert db.rows("SELECT key FROM settings WHERE key IN ('a', 'b')") == []
    assert db.rows("SELECT * FROM layouts") == []
    for _ in range(2 * retro_db.PG_POOL_MAX):  # every pooled connection came back usable, none in a transaction
        assert db.scalar("SELECT 1") == 1
        assert db.scalar("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'") == 0
    db.close()


def test_the_data_version_lives_in_the_database(pg_url):
    one = Database(pg_url)
    other = PostgresDatabase(pg_url)  # a second app server on the same database
    start = other.data_version()
    with one.transaction() as cur:
        retro_db.bump_version(cur)
    assert one.data_version() == start + 1
    assert other.data_version() == start + 1  # seen at its next look, no restart
    with pytest.raises(RuntimeError), one.transaction() as cur:
        retro_db.bump_version(cur)
        raise RuntimeError("rolled back")
    assert other.data_version() == start + 1
    one.close()
    other.close()


def test_settings_round_trip(pg_url):
    db = Database(pg_url)
    assert db.get_setting("missing") is None and db.get_setting("missing", "d") == "d"
    db.set_setting("团队", "华东 100% ?")
    assert db.get_setting("团队") == "华东 100% ?"
    db.set_setting("团队", "西南")
    db.set_setting("empty", None)
    assert db.get_setting("团队") == "西南"
    assert db.get_setting("empty", "default") == "default"
    assert db.rows("SELECT key, value FROM settings WHERE key IN ('团队', 'empty') ORDER BY key") == [
        ("empty", None), ("团队", "西南")
    ]
    db.close()


def test_reads_take_duckdb_parameters_and_return_duckdb_types(pg_url):
    db = Database(pg_url)
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO annotations (metric, period, text, author) VALUES (?, ?, ?, ?)",
            ["销售额", dt.date(2026, 4, 1), "what's 50% of '?'", None],
        )
        cur.execute("INSERT INTO layouts VALUES ($fp, $mapping, now())", {"fp": "f1", "mapping": '{"a": [1, 2]}'})
    assert db.one("SELECT text, '?' AS q, '%' AS p FROM annotations WHERE metric = ?", ["销售额"]) == (
        "what's 50% of '?'", "?", "%"
    )
    assert db.scalar("SELECT mapping FROM layouts WHERE fingerprint = $fp", {"fp": "f1"}) == '{"a": [1, 2]}'
    assert db.scalar("SELECT count(*) FROM annotations") == 1
    frame = db.frame("SELECT id, period, author, created_at FROM annotations")
    assert str(frame["period"].dtype) == "datetime64[us]" and frame["period"][0] == pd.Timestamp("2026-04-01")
    assert str(frame["id"].dtype) == "int64" and frame["author"][0] is None
    arrays = db.arrays("SELECT metric, author FROM annotations")
    assert list(arrays["metric"]) == ["销售额"] and bool(arrays["author"].mask[0])
    db.close()


def test_database_and_get_database_take_the_url(pg_url):
    db = retro_db.get_database(pg_url)
    assert isinstance(db, PostgresDatabase)
    assert retro_db.get_database(pg_url) is db
    assert retro_db.get_database(db.path) is db  # the shown URL (no password) names the same database
    retro_db.close_all()
    assert db.broken and retro_db.get_database(pg_url) is not db


def test_the_url_from_retro_db_with_the_password_from_the_environment(pg_url, monkeypatch):
    url, password = _hide_password(pg_url)
    without = url.replace(":" + url.split("@")[0].rsplit(":", 1)[1] + "@", "@")
    assert password not in without
    monkeypatch.setenv("RETRO_DB", without)
    monkeypatch.setenv("RETRO_DB_PASSWORD", password)
    db = retro_db.get_database()
    assert isinstance(db, PostgresDatabase) and db.scalar("SELECT 1") == 1
    assert password not in repr(db) and password not in str(db.path)


def test_the_password_is_never_printed(pg_url, caplog, capsys):
    url, password = _hide_password(pg_url)
    caplog.set_level(logging.DEBUG)
    db = Database(url)
    for shown in (repr(db), str(db.path), db.path):
        assert password not in shown and "***" in shown
    with pytest.raises(psycopg.Error) as info:  # an error that would quote the value typed
        db.scalar("SELECT CAST(? AS INTEGER)", [password])
    assert password not in str(info.value)
    db.close()

    wrong = url.replace(password, "not-" + password[:6])
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as info:
        PostgresDatabase(wrong)
    assert time.monotonic() - started < 5  # said at once, not after the pool's retries
    failure = info.value
    assert failure.code == "unreachable" and "password authentication failed" in failure.params["detail"]
    shown = " ".join((str(failure), repr(failure), repr(failure.params), caplog.text, *capsys.readouterr()))
    assert password not in shown and "not-" + password[:6] not in shown


def test_placeholders_outside_quotes_only():
    assert retro_db.pg_placeholders("SELECT '?', \"a?\", ? -- ?\n, $x, '$y', 5 % 2, '100%'") == (
        "SELECT '?', \"a?\", %s -- ?\n, %(x)s, '$y', 5 %% 2, '100%%'"
    )
    assert retro_db.pg_statement("value DOUBLE, dims MAP(VARCHAR, VARCHAR) NOT NULL, w DOUBLE PRECISION") == (
        "value DOUBLE PRECISION, dims JSONB NOT NULL, w DOUBLE PRECISION"
    )


# --------------------------------------------------------------------------- the same calls on both engines


@pytest.fixture(params=["duckdb", "postgresql"])
def either_db(request, tmp_path):
    """A migrated database on each engine in turn: what follows must behave the same on both."""
    if request.param == "duckdb":
        db = Database(tmp_path / "either.duckdb")
    else:
        db = Database(request.getfixturevalue("pg_url"))
    yield db
    db.close()


def test_settings_versions_and_rollback_alike_on_both_engines(either_db):
    db = either_db
    start = db.data_version()
    db.set_setting("团队", "华东")
    with db.transaction() as cur:
        retro_db.bump_version(cur)
    assert db.data_version() == start + 1 and db.get_setting("团队") == "华东"
    with pytest.raises(RuntimeError), db.transaction() as cur:
        cur.execute("INSERT INTO settings VALUES (?, ?)", ["gone", "x"])
        retro_db.bump_version(cur)
        raise RuntimeError("rolled back")
    assert db.get_setting("gone") is None and db.data_version() == start + 1


def _tricky_facts(n_extra: int = 0):
    import pyarrow as pa

    sheets = ["销售", 'say "hi", then\nleave', "", "a\\b"]
    units = ["万元", "", None, "%"]
    values = [0.1 + 0.2, 1e300, None, -0.0]
    rows = {
        "import_id": [7] * 4 + [8] * n_extra,
        "sheet_name": sheets + ["s"] * n_extra,
        "period": [dt.date(2026, 1, 1), dt.date(1999, 12, 31), dt.date(2026, 4, 1), dt.date(2026, 2, 28)]
        + [dt.date(2026, 1 + i % 12, 1) for i in range(n_extra)],
        "grain": ["month"] * (4 + n_extra),
        "metric": ["销售额", "成本", "毛利率", "x'y"] + [f"m{i % 50}" for i in range(n_extra)],
        "unit": units + ["元"] * n_extra,
        "scenario": ["actual"] * (4 + n_extra),
        "dims_key": ["区域=华东", "", "区域=西南|产品线=企业版", "k"] + [f"区域={i % 30}" for i in range(n_extra)],
        "value": values + [float(i) / 7 for i in range(n_extra)],
    }
    schema = pa.schema([("import_id", pa.int64()), ("sheet_name", pa.string()), ("period", pa.date32()),
                        ("grain", pa.string()), ("metric", pa.string()), ("unit", pa.string()),
                        ("scenario", pa.string()), ("dims_key", pa.string()), ("value", pa.float64())])
    return pa.table(rows, schema=schema), rows


def test_copy_arrow_stores_the_same_rows_on_both_engines(either_db):
    import pyarrow as pa

    db = either_db
    facts, rows = _tricky_facts()
    segments = pa.table({
        "dims_key": ["区域=华东", "区域=西南|产品线=企业版"],
        "dims": pa.array([[("区域", "华东")], [("区域", "西南"), ("产品线", 'A "quoted", one')]],
                         pa.map_(pa.string(), pa.string())),
    })
    imports = pa.table({
        "id": pa.array([7], pa.int64()), "file_name": ["华东.xlsx"], "file_sha256": ["ab"],
        "file_size": pa.array([10], pa.int64()), "imported_at": [dt.datetime(2026, 4, 2, 9, 30, 1, 250000)],
        "row_count": pa.array([4], pa.int64()),
        "sheets": pa.array([["销售", 'say "hi", then', "a\\b", ""]], pa.list_(pa.string())),
    })
    with db.transaction() as cur:
        assert retro_db.copy_arrow(cur, "fact_rows", facts) == 4
        assert retro_db.copy_arrow(cur, "segments", segments) == 2
        assert retro_db.copy_arrow(cur, "imports", imports) == 1
    stored = db.rows("SELECT sheet_name, period, metric, unit, dims_key, value, replaced_by FROM fact_rows "
                     "ORDER BY period")
    expected = sorted(zip(rows["sheet_name"], rows["period"], rows["metric"], rows["unit"], rows["dims_key"],
                          rows["value"], [None] * 4, strict=True), key=lambda r: r[1])
    assert stored == expected  # NULL and '' kept apart, the doubles to the last bit, text as written
    assert db.rows("SELECT dims_key, dims FROM segments ORDER BY dims_key") == [
        ("区域=华东", {"区域": "华东"}), ("区域=西南|产品线=企业版", {"区域": "西南", "产品线": 'A "quoted", one'}),
    ]
    assert db.one("SELECT sheets, imported_at, is_sample, mode FROM imports") == (
        ["销售", 'say "hi", then', "a\\b", ""], dt.datetime(2026, 4, 2, 9, 30, 1, 250000), False, "replace",
    )
    assert db.scalar("SELECT count(*) FROM facts") == 2  # the view joins the loaded segments


def test_copy_arrow_in_a_failed_transaction_stores_nothing(either_db):
    facts, _ = _tricky_facts(n_extra=1000)
    with pytest.raises(RuntimeError), either_db.transaction() as cur:
        retro_db.copy_arrow(cur, "fact_rows", facts)
        raise RuntimeError("the import failed after loading")
    assert either_db.scalar("SELECT count(*) FROM fact_rows") == 0


def test_a_server_that_is_down_is_unreachable_at_once(postgres_server):
    from postgres_support import free_port

    url = postgres_server.url().replace(f":{postgres_server.port}/", f":{free_port()}/")
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as info:
        Database(url)
    assert time.monotonic() - started < 5
    assert info.value.code == "unreachable" and "refused" in info.value.params["detail"].lower()
    assert postgres_server.password not in str(info.value.params)


def test_the_url_is_shown_without_its_password():
    assert retro_db.redact_url("postgresql://u:p%40ss@db.example.com:5432/retro?sslmode=require") == (
        "postgresql://u:***@db.example.com:5432/retro?sslmode=require"
    )
    assert retro_db.redact_url("postgresql://u@[::1]/retro") == "postgresql://u@[::1]/retro"
    assert retro_db.redact_url("postgres://u:x@[::1]:6543/r") == "postgres://u:***@[::1]:6543/r"
    assert retro_db.is_postgres_url("postgresql://h/db") and not retro_db.is_postgres_url("data/retro.duckdb")


# --------------------------------------------------------------------------- naming the database (RETRO_DB, --db, secrets)


def _down_url(postgres_server) -> str:
    """The throwaway server's URL (password and all) on a port nobody listens on."""
    from postgres_support import free_port

    return postgres_server.url().replace(f":{postgres_server.port}/", f":{free_port()}/")


def test_retro_db_names_a_file_or_a_url_and_the_secrets_file_comes_next(monkeypatch, tmp_path, pg_url):
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setattr(retro_db, "SECRETS_PATH", secrets)
    monkeypatch.setenv("RETRO_DB", pg_url)
    assert retro_db.default_db_target() == pg_url
    assert retro_db.data_dir() == retro_db.DEFAULT_DB_PATH.parent  # TLS files and backups: not beside a URL
    monkeypatch.setenv("RETRO_DB", "~/x.duckdb")
    assert retro_db.default_db_target() == retro_db.Path("~/x.duckdb").expanduser()
    monkeypatch.delenv("RETRO_DB")
    assert retro_db.default_db_target() == retro_db.DEFAULT_DB_PATH  # no secrets file: the default file

    url, password = _hide_password(pg_url)
    without = url.replace(":" + url.split("@")[0].rsplit(":", 1)[1] + "@", "@")
    secrets.write_text(f'[passcodes]\neditor = "e"\n\n[connections.retro]\nurl = "{without}"\n'
                       f'password = "{password}"\n', encoding="utf-8")
    db = retro_db.get_database()
    assert isinstance(db, PostgresDatabase) and db.scalar("SELECT count(*) FROM schema_migrations") > 0
    assert password not in db.path and password not in repr(db)
    secrets.write_text('[connections.retro]\nurl = "data/other.duckdb"\n', encoding="utf-8")
    assert retro_db.default_db_target() == retro_db.DEFAULT_DB_PATH  # only a PostgreSQL URL is taken from there


def test_the_cli_takes_a_url_and_says_an_unreachable_server_plainly(postgres_server, capsys, tmp_path):
    from retro import cli
    from retro.i18n import t

    down = _down_url(postgres_server)
    assert cli.main(["series", "--db", down, "--metric", "销售额"]) == cli.EXIT_DB_UNAVAILABLE
    said = capsys.readouterr().err
    assert said.startswith(t("safety.db_unreachable", "en", path=retro_db.redact_url(down), detail="")[:60])
    assert "refused" in said.lower() and postgres_server.password not in said

    sheet = tmp_path / "a.csv"
    sheet.write_text("月份,销售额\n2026-01,100\n", encoding="utf-8")
    assert cli.main(["import", str(sheet), "--db", down, "--json", "--lang", "zh"]) == cli.EXIT_DB_UNAVAILABLE
    out = json.loads(capsys.readouterr().out)
    assert out["error_code"] == "database_unreachable" and "无法连接 PostgreSQL 数据库" in out["message"]
    assert postgres_server.password not in out["message"]

    assert cli.main(["backup", "--db", down, "--out", str(tmp_path)]) == cli.EXIT_DB_UNAVAILABLE
    said = capsys.readouterr().err
    assert "refused" in said.lower() and postgres_server.password not in said
    assert "postgresql://" in cli.DB_HELP


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_page_says_the_server_cannot_be_reached_and_what_to_check(postgres_server, monkeypatch, lang):
    from streamlit.testing.v1 import AppTest

    from retro.i18n import t

    down = _down_url(postgres_server)
    monkeypatch.setenv("RETRO_DB", down)
    at = AppTest.from_file(str(retro_db.DEFAULT_DB_PATH.parent.parent / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [str(e.value) for e in at.error]
    start = t("safety.db_unreachable", lang, path="", detail="").split("PostgreSQL")[0]
    assert len(errors) == 1 and errors[0].startswith(start) and "PostgreSQL" in errors[0], errors
    assert "refused" in errors[0].lower() and postgres_server.password not in errors[0]
    assert any(b.label == t("safety.retry", lang) for b in at.button)


def test_the_reads_of_a_map_column_in_postgresqls_spelling():
    st = retro_db.pg_statement
    assert st("SELECT unnest(map_keys(s.dims)), unnest(map_values(s.dims)) FROM segments s") == (
        "SELECT (jsonb_each_text(s.dims)).key, (jsonb_each_text(s.dims)).value FROM segments s")
    assert st("SELECT map_keys(dims) FROM t") == "SELECT ARRAY(SELECT jsonb_object_keys(dims)) FROM t"
    assert st("SELECT coalesce(t.dims[$by], '—'), sum(t.measures[?]), dims['区域'] FROM t") == (
        "SELECT coalesce((t.dims ->> CAST($by AS TEXT)), '—'), "
        "sum(CAST(t.measures ->> CAST(? AS TEXT) AS DOUBLE PRECISION)), (dims ->> CAST('区域' AS TEXT)) FROM t")
    # a key read from a column (likeforlike: each pair's view dimension), the values beside map_keys, a map
    # written from two parameters (targets)
    assert st("SELECT s.dims[x.view_by], dims[d] FROM t") == (
        "SELECT (s.dims ->> CAST(x.view_by AS TEXT)), (dims ->> CAST(d AS TEXT)) FROM t")
    assert st("SELECT map_keys(dims), map_values(dims) FROM targets") == (
        "SELECT ARRAY(SELECT jsonb_object_keys(dims)), ARRAY(SELECT value FROM jsonb_each_text(dims)) FROM targets")
    assert st("VALUES (?, map(?::VARCHAR[], ?::VARCHAR[]))") == (
        "VALUES (?, jsonb_object(CAST(? AS TEXT[]), CAST(? AS TEXT[])))")
    assert st("SELECT periods[1], dims[upper(k)] FROM t") == "SELECT periods[1], dims[upper(k)] FROM t"  # left alone


def test_a_map_read_on_postgresql_gives_what_duckdb_gives(either_db):
    import pyarrow as pa

    db = either_db
    with db.transaction() as cur:
        retro_db.copy_arrow(cur, "segments", pa.table({
            "dims_key": ["区域=华东|产品线=企业版", ""],
            "dims": pa.array([[("区域", "华东"), ("产品线", "企业版")], []], pa.map_(pa.string(), pa.string())),
        }))
    assert sorted(db.rows("SELECT dims_key, unnest(map_keys(dims)), unnest(map_values(dims)) FROM segments")) == [
        ("区域=华东|产品线=企业版", "产品线", "企业版"), ("区域=华东|产品线=企业版", "区域", "华东")]
    assert db.rows("SELECT dims[?] FROM segments ORDER BY dims_key", ["区域"]) == [(None,), ("华东",)]
    assert sorted(db.scalar("SELECT map_keys(dims) FROM segments WHERE dims_key <> ''")) == ["产品线", "区域"]
    keys, values = db.one("SELECT map_keys(dims), map_values(dims) FROM segments WHERE dims_key <> ''")
    assert dict(zip(keys, values, strict=True)) == {"区域": "华东", "产品线": "企业版"}  # values in the keys' order
    assert db.rows("SELECT s.dims[k.d] FROM segments s, (SELECT '产品线' AS d) k ORDER BY s.dims_key") == [
        (None,), ("企业版",)]
