"""Model fields: :class:`MoneyField` (exact money) and :class:`EncryptedTextField` (personal data at rest).

MoneyField
    DESIGN.md: money is ``Decimal`` yuan in Python and an integer count of fen in the database.
    SQLite has no decimal type: Django's ``DecimalField`` is stored with REAL (float) affinity, so
    ``SUM()`` over it adds binary floats and 0.10 + 0.20 comes back as 0.30000000000000004.
    Integers add exactly on every database, so MoneyField is a ``BigIntegerField`` of fen and
    converts at the edge: ``Decimal("12345.67")`` <-> ``1234567``.  Sums are added by the database
    in integer fen and come back as ``Decimal`` yuan: use :class:`MoneySum`, which always has a
    MoneyField output (a plain ``Sum`` of a MoneyField column infers it too, but a ``Sum`` over an
    expression Django types differently, or with ``output_field=BigIntegerField()``, gives int fen)
    and sums no rows to ``Decimal("0.00")``.

    Arithmetic belongs in Python (``ioudesk.calc``), not in SQL: ``F("amount") * Decimal("0.5")``
    multiplies fen and Django types the result as a DecimalField of fen, not yuan, and
    ``F("amount") + Decimal("1.25")`` adds 1.25 *fen*.  Adding and subtracting MoneyFields
    (``F("principal") + F("interest")``) is fine; a constant must be
    ``Value(Decimal("1.25"), output_field=MoneyField())``.

EncryptedTextField
    Stores a Fernet token (see :mod:`ioudesk.core.crypto`); Python sees the plain text.  Encrypted
    values cannot be searched: the only lookups allowed are ``isnull`` and ``exact`` with ``""`` or
    ``None``; anything else raises :class:`EncryptedLookupError`.  Search by a blind index column
    (:func:`ioudesk.core.crypto.blind_index`) and show masked values (:mod:`ioudesk.core.masking`).
    :func:`rotate_encrypted_fields` (behind ``ioudesk rotate_field_keys``) re-encrypts every row
    under the current key.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.core import checks
from django.core.exceptions import FieldError, ValidationError
from django.db import models
from django.db.models import lookups
from django.db.models.query_utils import DeferredAttribute
from django.utils.functional import cached_property

from ioudesk.calc.errors import InvalidAmount
from ioudesk.calc.money import MAX_AMOUNT, from_fen, parse_amount, to_fen
from ioudesk.core import crypto

ZERO = Decimal("0.00")

# --- money ------------------------------------------------------------------------------------


class FloatMoneyError(TypeError):
    """A float was given as an amount: floats cannot hold 0.1 exactly, so money never uses them."""


def money_value(value) -> Decimal | None:
    """Any accepted amount (``Decimal``, ``int`` yuan, ``str``) as ``Decimal`` yuan with two places.

    ``int`` means whole yuan (``5`` is ¥5.00, not 5 fen).  ``float`` raises
    :class:`FloatMoneyError`; more than two decimals or a malformed string raises
    ``ValidationError`` ("金额最多两位小数…").

    >>> money_value("12345.6"), money_value(5), money_value(Decimal("0.010"))
    (Decimal('12345.60'), Decimal('5.00'), Decimal('0.01'))
    >>> money_value(0.1)
    Traceback (most recent call last):
    ...
    ioudesk.core.fields.FloatMoneyError: 金额不能用浮点数（float）传入：0.1 无法精确表示。请改用 Decimal 或字符串，如 Decimal("0.10")。
    >>> money_value(Decimal("1.005"))
    Traceback (most recent call last):
    ...
    django.core.exceptions.ValidationError: ['金额最多两位小数（精确到分），请删去多余的小数位：1.005']
    """
    if value is None:
        return None
    if type(value) is Decimal and value.is_finite() and value.as_tuple().exponent == -2 and abs(value) <= MAX_AMOUNT:
        return value  # the common case (values read from the database): already exact to the fen
    if isinstance(value, float):
        raise FloatMoneyError(
            f'金额不能用浮点数（float）传入：{value!r} 无法精确表示。请改用 Decimal 或字符串，如 Decimal("0.10")。'
        )
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise TypeError(f"金额的类型不支持（{type(value).__name__}），请传入 Decimal、整数（元）或字符串")
    try:
        return parse_amount(value)
    except InvalidAmount as error:
        raise ValidationError(error.message, code=error.code) from None


class _MoneyAttribute(DeferredAttribute):
    """Normalises on assignment: ``iou.amount = "12.3"`` reads back as ``Decimal("12.30")`` and a
    float is refused at once, not later in ``save()``.  Expressions (``F("amount") + 1``) pass."""

    def __set__(self, instance, value):
        if value is not None and not hasattr(value, "resolve_expression"):
            value = money_value(value)
        instance.__dict__[self.field.attname] = value


class MoneyField(models.BigIntegerField):
    """Money: ``Decimal`` yuan with exactly two places in Python, integer fen in the database."""

    description = "金额（数据库中以分为单位的整数）"
    descriptor_class = _MoneyAttribute

    @cached_property
    def validators(self):
        # Not IntegerField's range validators: they are in fen, the Python value is in yuan, and
        # parse_amount already caps amounts at calc.money.MAX_AMOUNT.
        return [*self.default_validators, *self._validators]

    def to_python(self, value):
        return money_value(value)

    def get_prep_value(self, value):
        value = models.Field.get_prep_value(self, value)  # resolves lazy objects, nothing else
        amount = money_value(value)
        return None if amount is None else to_fen(amount)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        if not isinstance(value, int):  # PostgreSQL's SUM(bigint) is numeric: Decimal("123")
            fen = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
            if fen != fen.to_integral_value():
                raise ValueError(
                    f"金额列里出现了不是整数分的值 {value!r}：多半是 SQL 里把 Decimal 常量直接加到了金额上"
                    '（F("amount") + Decimal("1.25") 加的是 1.25 分）。常量请写成 Value(…, output_field=MoneyField())。'
                )
            value = int(fen)
        return from_fen(value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs):
        return models.Field.formfield(
            self, **{"form_class": forms.DecimalField, "max_digits": 15, "decimal_places": 2, **kwargs}
        )


class _RefuseFloatRounding:
    """IntegerField's gte/lt lookups round a float up (``amount__gte=0.5`` would mean ≥ ¥1.00):
    refuse it instead, like every other lookup does through get_prep_value."""

    def get_prep_lookup(self):
        if isinstance(self.rhs, float):
            money_value(self.rhs)
        return super().get_prep_lookup()


class _MoneyGreaterThanOrEqual(_RefuseFloatRounding, lookups.IntegerGreaterThanOrEqual):
    pass


class _MoneyLessThan(_RefuseFloatRounding, lookups.IntegerLessThan):
    pass


MoneyField.register_lookup(_MoneyGreaterThanOrEqual)
MoneyField.register_lookup(_MoneyLessThan)


class MoneySum(models.Sum):
    """``Sum`` of a MoneyField that comes back as exact ``Decimal`` yuan (the database adds int fen).

    Unlike ``Sum``, a sum over no rows is ``Decimal("0.00")``, not ``None`` (pass ``default=None``
    for ``Sum``'s behaviour).  The default alias stays ``<field>__sum``.

    ``IOU.objects.aggregate(total=MoneySum("principal"))["total"]`` → ``Decimal("1234.56")``
    """

    def __init__(self, expression, *, default=ZERO, **extra):
        extra.setdefault("output_field", MoneyField())
        super().__init__(expression, default=default, **extra)


# --- encrypted text ---------------------------------------------------------------------------


class EncryptedLookupError(FieldError):
    """A query tried to compare, search or order by the content of an encrypted field."""


def _field_label(field) -> str:
    return f"{field.model._meta.label}.{field.name}" if hasattr(field, "model") else str(field.name)


def _lookup_refused(field, lookup_name: str) -> EncryptedLookupError:
    name = _field_label(field)
    return EncryptedLookupError(
        f"加密字段 {name} 不能按内容查询（__{lookup_name}）：数据库里存的是密文。"
        "请改用盲索引列做精确查找（ioudesk.core.crypto.blind_index），"
        "或用单独保存的“后四位”列做尾号查询；只支持 __isnull 和等于空字符串。"
    )


class _EncryptedExact(lookups.Exact):
    """``field=""`` and ``field=None`` only: empty values are stored as they are, everything else is
    random ciphertext that no comparison could match."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None) or hasattr(self.rhs, "resolve_expression"):
            raise _lookup_refused(self.lhs.output_field, "exact")
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text encrypted at rest; the plain ``str`` in Python.  ``""`` and ``None`` are stored as they
    are (so ``blank=True`` and ``null=True`` work and empty rows can be found)."""

    description = "加密文本"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return crypto.decrypt(value)
        except crypto.DecryptionError as error:
            raise crypto.DecryptionError(f"{_field_label(self)}：{error}") from None

    def formfield(self, **kwargs):
        # An ID number, phone or account number is one line: a text input, not TextField's textarea.
        # The back office gives it Unfold's styling (ioudesk.backoffice.mixins.UnfoldWidgetsMixin).
        return super().formfield(**{"widget": forms.TextInput, **kwargs})

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EncryptedExact
        raise _lookup_refused(self, lookup_name)

    def get_transform(self, lookup_name):
        raise _lookup_refused(self, lookup_name)

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if self.unique or self.primary_key or self.db_index:
            errors.append(
                checks.Error(
                    "加密字段不能设 unique、primary_key 或 db_index：同一明文每次加密得到不同的密文。",
                    hint="唯一性和查找请用盲索引列（CharField(max_length=64, unique=True) 存 blind_index()）。",
                    obj=self,
                    id="ioudesk.E001",
                )
            )
        return errors


def encrypted_fields(models_: Iterable[type[models.Model]] | None = None):
    """``[(model, [EncryptedTextField, …]), …]`` for concrete, non-proxy models (all installed ones
    by default) that have encrypted columns."""
    if models_ is None:
        from django.apps import apps

        models_ = apps.get_models()
    found = []
    for model in models_:
        if model._meta.proxy:
            continue
        fields = [
            field
            for field in model._meta.local_concrete_fields
            if isinstance(field, EncryptedTextField)
        ]
        if fields:
            found.append((model, fields))
    return found
