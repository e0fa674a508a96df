"""`hedgerow users add` and `hedgerow users set-password`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hedgerow.accounts.passwords import check_password
from hedgerow.accounts.sessions import SessionStore
from hedgerow.accounts.users import UserStore
from hedgerow.cli import main


def _run(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(args)


def _password_of(data: Path, email: str) -> str:
    users = UserStore(data / "meta.sqlite3")
    found = users.with_password(email)
    users.close()
    assert found is not None
    return found[1]


def test_add_then_set_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["users", "add", "Ann@Example.com", "--password-stdin", "--data-dir", str(tmp_path)]
    assert _run(add, "first password\n", monkeypatch) == 0
    assert "user ann@example.com added" in capsys.readouterr().out
    assert check_password(_password_of(tmp_path, "ann@example.com"), "first password")
    assert _run(add, "another password\n", monkeypatch) == 1  # exists already
    assert "exists already" in capsys.readouterr().err

    sessions = SessionStore(tmp_path / "meta.sqlite3", lifetime=3600)
    session_id, _ = sessions.create(user_id=1)
    change = ["users", "set-password", "ann@example.com", "--password-stdin"]
    assert _run([*change, "--data-dir", str(tmp_path)], "second password\n", monkeypatch) == 0
    stored = _password_of(tmp_path, "ann@example.com")
    assert check_password(stored, "second password")
    assert not check_password(stored, "first password")
    assert sessions.get(session_id) is None  # signed out everywhere
    sessions.close()


def test_refusals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    short = ["users", "add", "bob@example.com", "--password-stdin", *data]
    assert _run(short, "short\n", monkeypatch) == 2
    assert "at least 8 characters" in capsys.readouterr().err
    bad_email = ["users", "add", "not-an-email", "--password-stdin", *data]
    assert _run(bad_email, "long enough\n", monkeypatch) == 2
    unknown = ["users", "set-password", "nobody@example.com", "--password-stdin", *data]
    assert _run(unknown, "long enough\n", monkeypatch) == 1
    assert "no user" in capsys.readouterr().err


def test_prompt_asks_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typed = iter(["one password", "another one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main(["users", "add", "cy@example.com", "--data-dir", str(tmp_path)]) == 2
    typed = iter(["same password", "same password"])
    assert main(["users", "add", "cy@example.com", "--data-dir", str(tmp_path)]) == 0
    assert check_password(_password_of(tmp_path, "cy@example.com"), "same password")
