"""Field encryption: keys, rotation, blind index, and EncryptedTextField through a real table.

The project has no model with an encrypted field yet, so the database tests create a throwaway
table with the schema editor (transactional tests: SQLite cannot change its schema inside the
atomic block an ordinary django_db test runs in) and drop it, and unregister the model, afterwards.
"""

import contextlib
import stat

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, models

from ioudesk.core import crypto
from ioudesk.core.fields import EncryptedLookupError, EncryptedTextField, MoneyField
from ioudesk.core.models import AuditEvent

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"
ACCOUNT = "6222021234567890123"


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    """Fresh keys for each test; the cache is cleared before and after so no test sees another's."""
    field_key, index_key = crypto.generate_key(), crypto.generate_key()
    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, field_key)
    monkeypatch.setenv(crypto.INDEX_KEY_ENV, index_key)
    crypto.reset_key_cache()
    yield field_key
    crypto.reset_key_cache()


def use_keys(monkeypatch, *keys):
    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, ",".join(keys))
    crypto.reset_key_cache()


@contextlib.contextmanager
def temporary_model(model_name, /, **fields):
    """A model registered in the app registry and its table, for the length of a test."""
    meta = type("Meta", (), {"app_label": "core", "db_table": f"test_tmp_{model_name.lower()}", "verbose_name": "临时表"})
    model = type(model_name, (models.Model,), {"__module__": __name__, "Meta": meta, **fields})
    try:
        with connection.schema_editor() as editor:
            editor.create_model(model)
        try:
            yield model
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(model)
    finally:
        del apps.all_models["core"][model._meta.model_name]
        apps.clear_cache()


@pytest.fixture
def vault(transactional_db):
    with temporary_model(
        "TmpVault",
        name=models.CharField(max_length=20),
        id_number=EncryptedTextField(),
        phone=EncryptedTextField(blank=True),
        note=EncryptedTextField(blank=True, null=True),
    ) as model:
        yield model


def raw_row(model, pk):
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone, note FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()


# --- crypto -----------------------------------------------------------------------------------


def test_encrypt_round_trips_unicode_with_a_new_iv_each_time():
    first, second = crypto.encrypt("张三 北京市朝阳区"), crypto.encrypt("张三 北京市朝阳区")

    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "张三 北京市朝阳区"
    assert first.startswith("gAAAAA") and first.isascii()


def test_a_token_from_another_key_is_refused_with_a_clear_error(monkeypatch):
    token = crypto.encrypt(PHONE)
    use_keys(monkeypatch, crypto.generate_key())

    with pytest.raises(crypto.DecryptionError, match="IOUDESK_FIELD_KEYS"):
        crypto.decrypt(token)


def test_old_tokens_stay_readable_after_a_new_key_is_put_first_and_rotate_moves_them(monkeypatch, keys):
    old_token = crypto.encrypt(PHONE)
    new_key = crypto.generate_key()
    use_keys(monkeypatch, new_key, keys)

    assert crypto.decrypt(old_token) == PHONE
    assert not crypto.is_current(old_token)
    rotated = crypto.rotate(old_token)
    assert rotated != old_token and crypto.is_current(rotated)
    assert crypto.rotate(rotated) == rotated

    use_keys(monkeypatch, new_key)
    assert crypto.decrypt(rotated) == PHONE
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old_token)


def test_keys_are_cached_until_reset(monkeypatch, keys):
    assert crypto.field_keys() == (keys.encode(),)
    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, crypto.generate_key())
    assert crypto.field_keys() == (keys.encode(),)

    crypto.reset_key_cache()
    assert crypto.field_keys() != (keys.encode(),)


def test_a_malformed_key_is_named_by_position_not_echoed(monkeypatch, keys):
    use_keys(monkeypatch, keys, "short-key-not-32-bytes")

    with pytest.raises(ImproperlyConfigured, match="第 2 个密钥") as error:
        crypto.encrypt(PHONE)
    assert "short-key-not-32-bytes" not in str(error.value)


def test_without_environment_keys_development_generates_private_key_files(monkeypatch, settings, tmp_path):
    monkeypatch.delenv(crypto.FIELD_KEYS_ENV)
    monkeypatch.delenv(crypto.INDEX_KEY_ENV)
    settings.DATA_DIR = tmp_path
    settings.PRODUCTION = False
    crypto.reset_key_cache()

    token, index = crypto.encrypt(PHONE), crypto.blind_index(PHONE, "customer.phone")
    crypto.reset_key_cache()

    key_file, index_file = tmp_path / "field_keys", tmp_path / "index_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(index_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() != index_file.read_text().strip()
    assert crypto.decrypt(token) == PHONE  # the second read uses the file written the first time
    assert crypto.blind_index(PHONE, "customer.phone") == index
    assert set(tmp_path.iterdir()) == {key_file, index_file}  # no temporary files left behind


def test_production_without_keys_is_a_configuration_error(monkeypatch, settings, tmp_path):
    monkeypatch.delenv(crypto.FIELD_KEYS_ENV)
    monkeypatch.delenv(crypto.INDEX_KEY_ENV)
    settings.DATA_DIR = tmp_path
    settings.PRODUCTION = True
    crypto.reset_key_cache()

    with pytest.raises(ImproperlyConfigured, match="生产环境.*IOUDESK_FIELD_KEYS"):
        crypto.encrypt(PHONE)
    with pytest.raises(ImproperlyConfigured, match="IOUDESK_INDEX_KEY"):
        crypto.blind_index(PHONE, "customer.phone")
    assert list(tmp_path.iterdir()) == []  # nothing generated in production


def test_blind_index_matches_equal_values_per_purpose_only():
    index = crypto.blind_index(ID_NUMBER, "customer.id_number")

    assert len(index) == 64 and int(index, 16) >= 0
    assert crypto.blind_index(ID_NUMBER, "customer.id_number") == index
    assert crypto.blind_index(" １１０１０５19491231002x", "customer.id_number") == index  # full-width, x
    assert crypto.blind_index("110105194912310037", "customer.id_number") != index
    assert crypto.blind_index(ID_NUMBER, "contact.id_number") != index
    assert index != crypto.blind_index(ID_NUMBER, "customer.phone")


def test_blind_index_survives_field_key_rotation_but_not_an_index_key_change(monkeypatch, keys):
    index = crypto.blind_index(PHONE, "customer.phone")

    use_keys(monkeypatch, crypto.generate_key(), keys)
    assert crypto.blind_index(PHONE, "customer.phone") == index

    monkeypatch.setenv(crypto.INDEX_KEY_ENV, crypto.generate_key())
    crypto.reset_key_cache()
    assert crypto.blind_index(PHONE, "customer.phone") != index


def test_blind_index_refuses_empty_values_and_unnamed_purposes():
    with pytest.raises(ValueError, match="空值没有盲索引"):
        crypto.blind_index("  ", "customer.phone")
    with pytest.raises(ValueError, match="用途"):
        crypto.blind_index(PHONE, "")
    with pytest.raises(TypeError):
        crypto.blind_index(13812345678, "customer.phone")


# --- EncryptedTextField -----------------------------------------------------------------------


def test_the_column_holds_ciphertext_and_the_model_plain_text(vault):
    row = vault.objects.create(name="张三", id_number=ID_NUMBER, phone=PHONE, note=None)

    stored_id, stored_phone, stored_note = raw_row(vault, row.pk)
    assert ID_NUMBER not in stored_id and "002X" not in stored_id and "1949" not in stored_id
    assert PHONE not in stored_phone and "5678" not in stored_phone
    assert stored_id.startswith("gAAAAA") and stored_note is None
    assert crypto.decrypt(stored_id) == ID_NUMBER

    loaded = vault.objects.get(pk=row.pk)
    assert (loaded.id_number, loaded.phone, loaded.note) == (ID_NUMBER, PHONE, None)
    assert list(vault.objects.values_list("phone", flat=True)) == [PHONE]


def test_empty_values_are_stored_as_they_are_and_can_be_found(vault):
    blank = vault.objects.create(name="空", id_number=ID_NUMBER, phone="", note="")
    vault.objects.create(name="满", id_number=ID_NUMBER, phone=PHONE, note=None)

    assert raw_row(vault, blank.pk)[1:] == ("", "")
    assert list(vault.objects.filter(phone="").values_list("name", flat=True)) == ["空"]
    assert list(vault.objects.filter(note__isnull=True).values_list("name", flat=True)) == ["满"]
    assert list(vault.objects.exclude(phone="").values_list("name", flat=True)) == ["满"]


def test_searching_the_content_of_an_encrypted_field_is_refused(vault):
    vault.objects.create(name="张三", id_number=ID_NUMBER, phone=PHONE)

    for lookup in ({"phone": PHONE}, {"phone__icontains": "5678"}, {"phone__endswith": "5678"},
                   {"id_number__in": [ID_NUMBER]}, {"phone__gt": "1"}):
        with pytest.raises(EncryptedLookupError, match="盲索引"):
            list(vault.objects.filter(**lookup))
    with pytest.raises(EncryptedLookupError, match="TmpVault.phone"):
        vault.objects.filter(phone__lower="x").count()


def test_rotate_field_keys_reencrypts_every_row_once(vault, monkeypatch, keys, capsys):
    old_rows = [vault.objects.create(name=f"客户{n}", id_number=f"11010519491231{n:03d}X", phone=PHONE)
                for n in range(3)]
    new_key = crypto.generate_key()
    use_keys(monkeypatch, new_key, keys)
    vault.objects.create(name="新客户", id_number=ID_NUMBER, phone="")  # already under the new key
    before = {row.pk: raw_row(vault, row.pk) for row in old_rows}

    assert vault.objects.get(pk=old_rows[0].pk).phone == PHONE  # old rows readable meanwhile
    call_command("rotate_field_keys", "--batch-size", "2")
    first_run = capsys.readouterr().out

    assert "core.TmpVault（临时表）：共 4 行有加密数据，重新加密 3 行，1 行已是当前密钥。" in first_run
    assert all(raw_row(vault, pk)[0] != stored[0] for pk, stored in before.items())
    event = AuditEvent.objects.get(verb="轮换字段加密密钥")
    assert event.changes["core.TmpVault"] == [None, 3]

    use_keys(monkeypatch, new_key)  # the old key removed
    assert sorted(vault.objects.values_list("id_number", flat=True)) == sorted(
        [f"11010519491231{n:03d}X" for n in range(3)] + [ID_NUMBER]
    )
    assert set(vault.objects.values_list("phone", flat=True)) == {PHONE, ""}

    call_command("rotate_field_keys")
    assert "重新加密 0 行，4 行已是当前密钥" in capsys.readouterr().out


def test_rotate_field_keys_stops_on_a_row_no_key_can_read(vault, monkeypatch):
    vault.objects.create(name="张三", id_number=ID_NUMBER)
    use_keys(monkeypatch, crypto.generate_key())

    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"core.TmpVault.id_number（主键 \d+）"):
        call_command("rotate_field_keys")


def test_fields_deconstruct_for_migrations():
    name, path, args, kwargs = EncryptedTextField(blank=True, null=True, verbose_name="身份证号").deconstruct()
    assert (path, args, kwargs) == (
        "ioudesk.core.fields.EncryptedTextField", [], {"blank": True, "null": True, "verbose_name": "身份证号"}
    )
    rebuilt = EncryptedTextField(*args, **kwargs)
    assert rebuilt.deconstruct()[1:] == (path, args, kwargs)

    assert MoneyField(default=0).deconstruct()[1:] == ("ioudesk.core.fields.MoneyField", [], {"default": 0})


def test_system_check_refuses_a_unique_encrypted_field():
    field = EncryptedTextField(unique=True)
    field.set_attributes_from_name("id_number")
    field.model = type("Fake", (), {"_meta": type("M", (), {"label": "core.Fake"})})

    errors = [error.id for error in EncryptedTextField.check(field)]
    assert "ioudesk.E001" in errors
