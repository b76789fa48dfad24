"""The first start: `ioudesk setup` creates the organisation, roles and administrator and prints
the generated password once; production settings pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from ioudesk.core.models import User
from ioudesk.core.roles import ROLES

ROOT = Path(__file__).resolve().parent.parent


def test_setup_prints_a_password_that_logs_in_and_only_once(db, capsys, monkeypatch):
    monkeypatch.delenv("IOUDESK_ADMIN_PASSWORD", raising=False)

    call_command("setup")
    first = capsys.readouterr().out
    call_command("setup")
    second = capsys.readouterr().out

    password = first.split("密码")[1].split()[0]
    assert authenticate(RequestFactory().post("/admin/login/"), username="admin", password=password) is not None
    assert "密码" not in second
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.branch.name == "总部"
    assert set(admin.groups.values_list("name", flat=True)) == {"系统管理员"}
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_setup_takes_the_password_from_the_environment(db, monkeypatch, capsys):
    monkeypatch.setenv("IOUDESK_ADMIN_PASSWORD", "From-env-2026")

    call_command("setup")

    assert "From-env-2026" not in capsys.readouterr().out
    assert authenticate(RequestFactory().post("/admin/login/"), username="admin", password="From-env-2026") is not None


def test_auditor_role_is_read_only():
    from django.contrib.auth.models import Group, Permission  # noqa: F401

    assert ROLES["审计"] == ["*.view_*", "core.view_all_branches"]


def _manage(*args, **env):
    environment = {**os.environ, **env}
    environment.pop("DATABASE_URL", None)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.sqlite_only
def test_production_settings_pass_check_deploy(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        IOUDESK_ENV="production", SECRET_KEY="x" * 20 + "production-secret-key-for-the-check-0123456789",
        ALLOWED_HOSTS="iou.example.cn", IOUDESK_DATA_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.sqlite_only
def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", IOUDESK_ENV="production", IOUDESK_DATA_DIR=str(tmp_path), SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.sqlite_only
def test_data_dir_moves_the_sqlite_file(migrated_data_dir):
    # conftest's template is a real `manage.py migrate` with IOUDESK_DATA_DIR set (it fails the run if it fails)
    assert (migrated_data_dir / "ioudesk.sqlite3").stat().st_size > 100_000


def test_console_script_runs_management_commands(tmp_path):
    script = Path(sys.executable).parent / "ioudesk"
    result = subprocess.run(
        [str(script), "check"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "IOUDESK_DATA_DIR": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
