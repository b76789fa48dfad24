"""Fixtures shared by every test: the organisation and roles, staff users per role and branch, a
pinned business date, and the real Chromium for browser tests."""

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

# The production shape (2 gunicorn web processes, 2 workers) as the `production` fixture.
pytest_plugins = ["tests.production"]

FAST_ARGON2 = "tests.hashers.FastArgon2PasswordHasher"
CHROMIUM = os.environ.get("IOUDESK_CHROMIUM", "/usr/bin/chromium")
SKIP_BROWSER = os.environ.get("IOUDESK_SKIP_BROWSER") == "1"

# pytest-django's live_server runs Django in a thread while Playwright's sync API runs an event
# loop in this one; Django would otherwise refuse ORM calls from the test body.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    on_postgres = "postgres" in os.environ.get("DATABASE_URL", "")
    has_chromium = shutil.which(CHROMIUM) is not None
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL-only: runs in the PostgreSQL pass of make test"))
        if "browser" in item.keywords:
            if SKIP_BROWSER:
                item.add_marker(pytest.mark.skip(reason="IOUDESK_SKIP_BROWSER=1: browser tests opted out"))
            elif not has_chromium:
                raise pytest.UsageError(
                    f"Chromium is missing at {CHROMIUM}: browser tests cannot run. Run scripts/system-packages "
                    "(or apt-get install chromium), or opt out explicitly with IOUDESK_SKIP_BROWSER=1.")


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory):
    """One data directory migrated by a real `manage.py migrate` in a child process, once per run."""
    directory = tmp_path_factory.mktemp("migrated-data")
    env = {**os.environ, "IOUDESK_DATA_DIR": str(directory)}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=Path(__file__).parent, env=env,
                   check=True, capture_output=True, timeout=600)
    return directory


@pytest.fixture
def migrated_data_dir(tmp_path, _migrated_sqlite_template):
    """A fresh copy of that migrated SQLite data directory in `tmp_path`, for tests that start the
    product's own processes (serve, worker): a copy costs milliseconds, a migrate many seconds."""
    shutil.copytree(_migrated_sqlite_template, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1400, "height": 900}}


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Argon2 with the cheapest cost (tests.hashers.FastArgon2PasswordHasher) in place of the
    production's: a test makes several staff users, each hash otherwise costs about 0.2 s. The hashes
    are still argon2 (same algorithm, same code), and the product's own processes a test starts
    (serve, worker) verify them with the real hasher. tests/test_password_hashing.py logs in with the
    production's hasher and cost."""
    from django.conf import settings
    from django.test.utils import override_settings

    hashers = [FAST_ARGON2 if name == "django.contrib.auth.hashers.Argon2PasswordHasher" else name
               for name in settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture
def organisation(db):
    from ioudesk.core.roles import roles_sync
    from ioudesk.core.services import organisation_ensure
    from ioudesk.ledger.services import chart_ensure

    organisation = organisation_ensure()
    _roles_ensure(roles_sync)
    chart_ensure()  # a transactional test's flush empties the seeded chart
    return organisation


_ROLE_GRANTS: dict[tuple, dict[str, list[int]]] = {}


def _roles_ensure(roles_sync):
    """What ``roles_sync()`` leaves behind, for a test database without the roles: the first time
    for a given set of permissions ``roles_sync()`` itself runs and its grants are remembered; later
    tests get the same groups and grants in two INSERTs instead of the pattern matching and one
    ``set()`` per role (0.1 s a test). Any role group there already: ``roles_sync()`` as such."""
    from django.contrib.auth.models import Group, Permission
    from django.db import transaction

    from ioudesk.core.roles import ROLES

    key = (repr(ROLES), tuple(Permission.objects.order_by("pk").values_list("pk", "content_type_id", "codename")))
    grants = _ROLE_GRANTS.get(key)
    if grants is None or Group.objects.filter(name__in=ROLES).exists():
        counts = roles_sync()
        if grants is None:
            through = Group.permissions.through.objects.filter(group__name__in=ROLES)
            grants = {name: [] for name in ROLES}
            for name, permission in through.order_by("permission_id").values_list("group__name", "permission_id"):
                grants[name].append(permission)
            _ROLE_GRANTS[key] = grants
        return counts
    Through = Group.permissions.through
    with transaction.atomic():  # as roles_sync() is
        groups = Group.objects.bulk_create([Group(name=name) for name in ROLES])
        Through.objects.bulk_create([Through(group_id=group.pk, permission_id=permission)
                                     for group in groups for permission in grants[group.name]])
    return {name: len(grants[name]) for name in ROLES}


@pytest.fixture
def head_office(organisation):
    return organisation.branches.get(parent__isnull=True)


@pytest.fixture
def make_branch(organisation, head_office):
    from ioudesk.core.models import Branch
    from ioudesk.core.services import branch_save

    def make(code, name, parent=None):
        return branch_save(branch=Branch(organisation=organisation, parent=parent or head_office, code=code, name=name))

    return make


@pytest.fixture
def make_staff(organisation, head_office, django_user_model):
    from django.contrib.auth.models import Group

    def make(username, *, role=None, branch=None, password="Secret-pass-2026"):
        user = django_user_model.objects.create_user(
            username=username, password=password, branch=branch or head_office, is_staff=True
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def admin_user_zh(organisation, head_office, django_user_model):
    from django.contrib.auth.models import Group

    from ioudesk.core.roles import ADMINISTRATOR

    user = django_user_model.objects.create_superuser(
        username="admin", password="Admin-pass-2026", email="", branch=head_office
    )
    user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    return user


@pytest.fixture
def business_date():
    from ioudesk.core import clock

    with clock.frozen(date(2026, 11, 28)) as day:
        yield day


# --- people and records most money tests need ---------------------------------------------


@pytest.fixture
def manager(make_staff):
    """An account manager (客户经理) of the head office."""
    return make_staff("zhangwei", role="客户经理")


@pytest.fixture
def approver(make_staff):
    return make_staff("liuyang", role="审批员")


@pytest.fixture
def finance(make_staff):
    return make_staff("chenjing", role="财务")


@pytest.fixture
def debtor(head_office, manager):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    return customer_create(customer=Customer(kind="individual", branch=head_office, name="王建国",
                                             id_number="11010519491231002X", phone="13901012345"), user=manager)


@pytest.fixture
def sqlite_file_db(transactional_db, tmp_path):
    """For a threaded test on SQLite: the default database becomes a file copy of the (in-memory)
    test database for this test, since threads cannot share the in-memory one (its shared cache
    answers "table is locked" instead of waiting like WAL does). The copy is made with SQLite's
    backup API (schema, triggers and seed rows, in milliseconds); every thread's connection opens
    the file with the project's options (WAL, IMMEDIATE). Undone afterwards. On PostgreSQL: nothing
    to do. Request it before the fixtures that write (it depends on ``transactional_db``)."""
    from django.db import connections

    memory = connections["default"]
    if memory.vendor != "sqlite" or not memory.is_in_memory_db():
        yield memory.settings_dict["NAME"]
        return
    memory.ensure_connection()
    path = str(tmp_path / "threads.sqlite3")
    settings_dict = memory.settings_dict  # the dict every thread's new connection is built from
    name = settings_dict["NAME"]
    memory.settings_dict = dict(settings_dict)  # it stays in memory (and never really closes)
    settings_dict["NAME"] = path
    file_db = type(memory)(settings_dict, "default")
    try:
        file_db.ensure_connection()
        memory.connection.backup(file_db.connection)
        connections["default"] = file_db
        yield path
    finally:
        file_db.close()
        connections["default"] = memory
        settings_dict["NAME"] = name
        memory.settings_dict = settings_dict
