"""Encryption of personal data at rest (ID numbers, phone numbers, bank accounts) and blind indexes.

Why and how: docs/decisions/0002-field-encryption.md.  In short:

* **Encryption** is Fernet (AES-128-CBC + HMAC-SHA256, random IV, from ``cryptography``), through
  ``MultiFernet`` so that several keys can be valid at once.  Keys come from the environment
  variable ``IOUDESK_FIELD_KEYS``: comma-separated urlsafe-base64 32-byte keys, the FIRST is the
  current key (it encrypts), the others are old keys still accepted for decryption.  Rotation:
  put a new key first, run ``ioudesk rotate_field_keys``, then drop the old key.
* **Blind index**: :func:`blind_index` is an HMAC-SHA256 of the (normalised) value under a key of
  its own, ``IOUDESK_INDEX_KEY``, which never rotates with the encryption keys: an index column
  must keep matching the same value for as long as the rows exist, otherwise "find the customer
  with this ID number" silently stops finding anyone.
* Outside production an unset variable means a key generated once into ``DATA_DIR/field_keys`` or
  ``DATA_DIR/index_key`` (mode 600), like the generated ``SECRET_KEY``; in production an unset
  variable is an :class:`~django.core.exceptions.ImproperlyConfigured` error.

Keys are read once per process (``functools.lru_cache``); tests that change them call
:func:`reset_key_cache`.

Usage::

    token = encrypt("13812345678")      # 'gAAAAAB…', different every call
    decrypt(token)                      # '13812345678'
    rotate(token)                       # same token if already under the current key
    blind_index("13812345678", "customer.phone")   # 64 hex digits, stable
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FIELD_KEYS_ENV = "IOUDESK_FIELD_KEYS"
INDEX_KEY_ENV = "IOUDESK_INDEX_KEY"
FIELD_KEYS_FILE = "field_keys"
INDEX_KEY_FILE = "index_key"

_PURPOSE_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]*$")
_INDEX_DOMAIN = b"ioudesk blind index v1:"


class FieldKeyError(ImproperlyConfigured):
    """The field encryption or blind index keys are missing or malformed."""


class DecryptionError(ValueError):
    """A stored value cannot be decrypted with any configured key (wrong keys or damaged data)."""


def generate_key() -> str:
    """A new random key in the format ``IOUDESK_FIELD_KEYS`` and ``IOUDESK_INDEX_KEY`` expect.

    ``python -c "from ioudesk.core.crypto import generate_key; print(generate_key())"``

    >>> len(base64.urlsafe_b64decode(generate_key()))
    32
    """
    return Fernet.generate_key().decode("ascii")


def key_fingerprint(key: bytes | str) -> str:
    """Eight hex digits that name a key without revealing it (for logs and the rotation command).

    >>> key_fingerprint("A" * 43 + "=") == key_fingerprint(b"A" * 43 + b"=")
    True
    """
    raw = key.encode("ascii") if isinstance(key, str) else key
    return hashlib.sha256(b"ioudesk key fingerprint:" + raw).hexdigest()[:8]


# --- keys -------------------------------------------------------------------------------------


def _split_keys(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\s]+", text) if item.strip()]


def _check_key(key: str, *, where: str) -> bytes:
    """The key as bytes, or a FieldKeyError that says which key is wrong (never the key itself)."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise FieldKeyError(
            f"{where} 不是有效的密钥：每个密钥必须是 urlsafe-base64 编码的 32 字节随机数。"
            f'可用 python -c "from ioudesk.core.crypto import generate_key; print(generate_key())" 生成。'
        )
    return key.encode("ascii")


def _data_dir() -> Path:
    return Path(settings.DATA_DIR)


def _read_or_create_key_file(path: Path) -> str:
    """The file's text; if the file does not exist, a new key is written to it first (mode 600).

    Several processes may start at once: the key is written to a private temporary file and then
    hard-linked into place, which fails if another process got there first, so everyone ends up
    using the one key that won (never two different keys for one data directory).
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(generate_key() + "\n")
            temporary.chmod(0o600)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_text(encoding="ascii")


def _production() -> bool:
    return bool(getattr(settings, "PRODUCTION", False))


@functools.lru_cache(maxsize=1)
def field_keys() -> tuple[bytes, ...]:
    """The encryption keys, current first: from ``IOUDESK_FIELD_KEYS`` or the generated key file."""
    text = os.environ.get(FIELD_KEYS_ENV, "").strip()
    if text:
        source = FIELD_KEYS_ENV
    elif _production():
        raise FieldKeyError(
            f"生产环境（IOUDESK_ENV=production）必须设置 {FIELD_KEYS_ENV}：以逗号分隔的字段加密密钥，"
            "第一个为当前密钥。丢失密钥将无法解密已加密的身份证号、手机号和银行账号，请妥善备份。"
        )
    else:
        path = _data_dir() / FIELD_KEYS_FILE
        text, source = _read_or_create_key_file(path), str(path)
    keys = _split_keys(text)
    if not keys:
        raise FieldKeyError(f"{source} 中没有字段加密密钥。")
    return tuple(_check_key(key, where=f"{source} 的第 {n} 个密钥") for n, key in enumerate(keys, start=1))


@functools.lru_cache(maxsize=1)
def _fernets() -> tuple[Fernet, MultiFernet]:
    keys = field_keys()
    fernets = [Fernet(key) for key in keys]
    return fernets[0], MultiFernet(fernets)


@functools.lru_cache(maxsize=1)
def _index_key() -> bytes:
    text = os.environ.get(INDEX_KEY_ENV, "").strip()
    if text:
        source = INDEX_KEY_ENV
    elif _production():
        raise FieldKeyError(
            f"生产环境（IOUDESK_ENV=production）必须设置 {INDEX_KEY_ENV}：盲索引密钥（一个，永不轮换）。"
            "它必须与建立索引时的值相同，否则按身份证号、手机号查找客户将查不到任何记录。"
        )
    else:
        path = _data_dir() / INDEX_KEY_FILE
        text, source = _read_or_create_key_file(path), str(path)
    keys = _split_keys(text)
    if len(keys) != 1:
        raise FieldKeyError(f"{source} 必须恰好包含一个盲索引密钥（它不轮换），现在有 {len(keys)} 个。")
    return base64.urlsafe_b64decode(_check_key(keys[0], where=source))


def reset_key_cache() -> None:
    """Forget the keys read so far (tests that change the environment call this)."""
    field_keys.cache_clear()
    _fernets.cache_clear()
    _index_key.cache_clear()


# --- encryption -------------------------------------------------------------------------------


def encrypt(value: str) -> str:
    """A Fernet token (ASCII) for ``value``, under the current key; a new random IV every call."""
    if not isinstance(value, str):
        raise TypeError(f"只能加密字符串，收到 {type(value).__name__}")
    return _fernets()[1].encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The text inside ``token``; any configured key (current or old) may have made it."""
    try:
        return _fernets()[1].decrypt(_token_bytes(token)).decode("utf-8")
    except InvalidToken:
        raise DecryptionError(_undecryptable_message()) from None


def is_current(token: str) -> bool:
    """Whether ``token`` was made with the current key (so rotation would not change it)."""
    try:
        _fernets()[0].decrypt(_token_bytes(token))
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """``token`` re-encrypted under the current key (keeping its timestamp).

    A token already under the current key comes back unchanged, so rotating twice writes nothing
    the second time.
    """
    if is_current(token):
        return token
    try:
        return _fernets()[1].rotate(_token_bytes(token)).decode("ascii")
    except InvalidToken:
        raise DecryptionError(_undecryptable_message()) from None


def _token_bytes(token: str) -> bytes:
    if not isinstance(token, str):
        raise TypeError(f"密文必须是字符串，收到 {type(token).__name__}")
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        raise DecryptionError("这不是加密后的数据（含非 ASCII 字符），可能是未加密写入的明文。") from None


def _undecryptable_message() -> str:
    fingerprints = "、".join(key_fingerprint(key) for key in field_keys())
    return (
        f"无法解密：没有一个已配置的密钥（指纹 {fingerprints}）能解开这条数据。"
        f"请检查 {FIELD_KEYS_ENV} 是否仍包含加密时使用的旧密钥，或数据是否被改动。"
    )


# --- blind index ------------------------------------------------------------------------------


def normalize_for_index(value: str) -> str:
    """The form a value is indexed in: NFKC (full-width digits become ASCII), no whitespace, upper case.

    >>> normalize_for_index(" １１０１０５ 19491231002x ")
    '11010519491231002X'
    """
    text = unicodedata.normalize("NFKC", value)
    return "".join(text.split()).upper()


def blind_index(value: str, purpose: str) -> str:
    """A keyed hash (HMAC-SHA256, 64 hex digits) of ``value`` for exact-match search without decrypting.

    Equal values give equal indexes for the same ``purpose`` ("customer.id_number",
    "customer.phone", …) and unrelated ones for different purposes, so one column's index cannot be
    matched against another's.  The value is normalised first (:func:`normalize_for_index`), so
    ``11010519491231002x`` finds ``11010519491231002X``.  Only exact matches: no prefix, suffix or
    "contains" search (see the decision record).  Store it in ``CharField(max_length=64,
    db_index=True)``; an empty value has no index (store ``""`` or NULL), so it raises ``ValueError``.
    """
    if not isinstance(value, str):
        raise TypeError(f"盲索引只接受字符串，收到 {type(value).__name__}")
    if not isinstance(purpose, str) or not _PURPOSE_RE.match(purpose):
        raise ValueError(f"盲索引用途必须是小写字母、数字和 _.:- 组成的名称，如 customer.id_number，收到 {purpose!r}")
    normalised = normalize_for_index(value)
    if not normalised:
        raise ValueError("空值没有盲索引：索引列请存空字符串或 NULL。")
    purpose_key = hmac.new(_index_key(), _INDEX_DOMAIN + purpose.encode("ascii"), hashlib.sha256).digest()
    return hmac.new(purpose_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
