"""The test run hashes passwords with tests.hashers.FastArgon2PasswordHasher (conftest.py); this
test signs in with the production's hasher and its cost, as configured in config/settings.py."""

import importlib

from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher
from django.test.utils import override_settings
from django.urls import reverse

from ioudesk.core.models import AuditEvent
from ioudesk.core.models.audit import AuditAction


def test_a_staff_user_signs_in_with_the_production_argon2_hasher(client, make_staff):
    production = importlib.import_module("config.settings").PASSWORD_HASHERS
    assert production[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=production):
        clerk = make_staff("zhouba", password="Right-pass-2026")
        hasher = identify_hasher(clerk.password)
        assert type(hasher) is Argon2PasswordHasher
        decoded = hasher.decode(clerk.password)
        real = Argon2PasswordHasher()
        assert (decoded["time_cost"], decoded["memory_cost"], decoded["parallelism"]) == (
            real.time_cost, real.memory_cost, real.parallelism)
        assert not hasher.must_update(clerk.password)

        wrong = client.post(reverse("admin:login"), {"username": "zhouba", "password": "Wrong-pass-2026"})
        assert wrong.status_code == 200 and "_auth_user_id" not in client.session
        response = client.post(reverse("admin:login"), {"username": "zhouba", "password": "Right-pass-2026"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(clerk.pk)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_id=clerk.pk).exists()
    clerk.refresh_from_db()
    assert identify_hasher(clerk.password).decode(clerk.password)["memory_cost"] == Argon2PasswordHasher.memory_cost


def test_the_test_run_hashes_with_the_fast_argon2(make_staff):
    """What conftest.py puts in place: still argon2 (same algorithm name, verified by the real
    hasher), at the lowest cost."""
    clerk = make_staff("zhoujiu", password="Right-pass-2026")
    assert clerk.password.startswith("argon2$argon2id$v=19$m=8,t=1,p=1$")
    assert Argon2PasswordHasher().verify("Right-pass-2026", clerk.password)
    assert not Argon2PasswordHasher().verify("Wrong-pass-2026", clerk.password)
