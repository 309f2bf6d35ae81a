"""retro.db on PostgreSQL, against a real throwaway server (tests/postgres_support.py): the server itself,
then the schema, transactions, data version and settings as the DuckDB tests check them."""

from __future__ import annotations

import psycopg
import pytest
from postgres_support import INSTALL_HINT, PostgresMissing, PostgresServer, find_bin_dir

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
