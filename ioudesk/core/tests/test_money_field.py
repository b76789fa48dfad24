"""MoneyField: Decimal yuan in Python, integer fen in a real SQLite/PostgreSQL column, exact sums.

Like test_crypto_fields, the tests create a throwaway table with the schema editor (transactional
tests) because no project model uses MoneyField yet.
"""

import contextlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q, Sum, Value

from ioudesk.core.fields import FloatMoneyError, MoneyField, MoneySum


@contextlib.contextmanager
def temporary_model(model_name, /, **fields):
    """A model registered in the app registry and its table, for the length of a test."""
    meta = type("Meta", (), {"app_label": "core", "db_table": f"test_tmp_{model_name.lower()}"})
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
def ledger(transactional_db):
    with temporary_model(
        "TmpLedger",
        memo=models.CharField(max_length=20, blank=True),
        amount=MoneyField(),
        fee=MoneyField(null=True, blank=True),
    ) as model:
        yield model


def raw_amount(model, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT amount FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_amounts_are_whole_fen_in_the_column_and_two_place_decimals_in_python(ledger):
    smallest = ledger.objects.create(amount=Decimal("0.01"))
    largest = ledger.objects.create(amount=Decimal("99999999999.99"))
    negative = ledger.objects.create(amount=Decimal("-12345.67"))

    assert (raw_amount(ledger, smallest.pk), raw_amount(ledger, largest.pk)) == (1, 9999999999999)
    assert raw_amount(ledger, negative.pk) == -1234567
    loaded = {row.pk: row.amount for row in ledger.objects.all()}
    assert loaded == {smallest.pk: Decimal("0.01"), largest.pk: Decimal("99999999999.99"),
                      negative.pk: Decimal("-12345.67")}
    assert all(amount.as_tuple().exponent == -2 for amount in loaded.values())
    assert ledger.objects.get(pk=smallest.pk).fee is None


def test_int_is_whole_yuan_and_strings_are_parsed(ledger):
    five = ledger.objects.create(amount=5)
    typed = ledger.objects.create(amount="12,345.6")

    assert raw_amount(ledger, five.pk) == 500
    assert raw_amount(ledger, typed.pk) == 1234560
    assert (five.amount, typed.amount) == (Decimal("5.00"), Decimal("12345.60"))  # normalised on assignment


def test_a_float_is_refused_on_assignment_save_and_in_queries(ledger):
    with pytest.raises(FloatMoneyError, match="浮点数"):
        ledger(amount=0.1)
    with pytest.raises(TypeError):
        ledger.objects.create(amount=19.99)
    for lookup in ("amount", "amount__gte", "amount__lt", "amount__gt", "amount__lte"):
        with pytest.raises(FloatMoneyError):
            list(ledger.objects.filter(**{lookup: 0.5}))
    with pytest.raises(FloatMoneyError):
        list(ledger.objects.filter(amount__in=[Decimal("1.00"), 0.5]))
    assert ledger.objects.count() == 0


def test_more_than_two_decimals_is_a_validation_error_not_a_rounding(ledger):
    with pytest.raises(ValidationError, match="金额最多两位小数"):
        ledger.objects.create(amount=Decimal("1.005"))
    with pytest.raises(ValidationError, match="金额最多两位小数"):
        ledger.objects.create(amount="0.001")
    with pytest.raises(ValidationError, match="金额最多两位小数"):
        list(ledger.objects.filter(amount__gte=Decimal("100.001")))
    assert ledger.objects.create(amount=Decimal("1.000")).amount == Decimal("1.00")  # zeros are not precision


def test_above_the_engine_maximum_is_refused(ledger):
    with pytest.raises(ValidationError, match="超过上限"):
        ledger.objects.create(amount=Decimal("1000000000000.00"))


def test_filters_compare_in_yuan(ledger):
    ledger.objects.bulk_create([ledger(memo=m, amount=a) for m, a in
                                [("a", Decimal("99.99")), ("b", Decimal("100.00")), ("c", Decimal("100.01"))]])

    assert list(ledger.objects.filter(amount__gte=Decimal("100.00")).order_by("memo").values_list("memo", flat=True)) == ["b", "c"]
    assert list(ledger.objects.filter(amount__lt="100").values_list("memo", flat=True)) == ["a"]
    assert list(ledger.objects.filter(amount__range=("99.99", 100)).order_by("memo")
                .values_list("memo", flat=True)) == ["a", "b"]
    assert ledger.objects.get(amount=Decimal("100.01")).memo == "c"


def test_sums_are_exact_decimals(ledger):
    ledger.objects.bulk_create([ledger(amount=Decimal("0.10")), ledger(amount=Decimal("0.20"))])

    total = ledger.objects.aggregate(MoneySum("amount"))["amount__sum"]
    assert total == Decimal("0.30") and str(total) == "0.30"
    # A plain Sum takes its output field from the column, so it converts too; over no rows it is None.
    assert ledger.objects.aggregate(Sum("amount"))["amount__sum"] == Decimal("0.30")
    assert ledger.objects.filter(amount__gt=1).aggregate(Sum("amount"), MoneySum("fee")) == {
        "amount__sum": None, "fee__sum": Decimal("0.00")
    }


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the float premise is SQLite's")
def test_sqlite_really_adds_decimals_as_floats(transactional_db):
    """Why MoneyField exists: on SQLite a DecimalField column has REAL affinity."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE t_real (amount decimal(12, 2))")
        cursor.executemany("INSERT INTO t_real VALUES (%s)", [["0.10"], ["0.20"]])
        cursor.execute("SELECT SUM(amount) FROM t_real")
        total = cursor.fetchone()[0]
        cursor.execute("DROP TABLE t_real")
    assert isinstance(total, float) and total != 0.3 and Decimal(total) != Decimal("0.30")


def test_ten_thousand_fen_add_up_to_exactly_one_hundred_yuan(ledger):
    ledger.objects.bulk_create([ledger(amount=Decimal("0.01")) for _ in range(10_000)])

    totals = ledger.objects.aggregate(total=MoneySum("amount"), fees=MoneySum("fee"), plain=MoneySum("fee", default=None))

    assert totals == {"total": Decimal("100.00"), "fees": Decimal("0.00"), "plain": None}
    assert str(totals["total"]) == "100.00"


def test_money_expressions_filter_and_update_in_fen(ledger):
    row = ledger.objects.create(amount=Decimal("10.00"), fee=Decimal("0.50"))
    ledger.objects.create(amount=Decimal("1.00"), fee=Decimal("0.00"))

    ledger.objects.filter(pk=row.pk).update(amount=F("amount") + Value(Decimal("1.25"), output_field=MoneyField()))
    row.refresh_from_db()
    assert row.amount == Decimal("11.25")

    totals = ledger.objects.aggregate(owed=MoneySum(F("amount") + F("fee")), big=MoneySum("amount", filter=Q(amount__gte=5)))
    assert totals == {"owed": Decimal("12.75"), "big": Decimal("11.25")}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL rounds into the bigint column instead")
def test_a_bare_decimal_in_sql_arithmetic_is_caught_when_read_back(ledger):
    row = ledger.objects.create(amount=Decimal("10.00"))
    ledger.objects.filter(pk=row.pk).update(amount=F("amount") + Decimal("1.25"))  # 1.25 fen, not yuan

    with pytest.raises(ValueError, match="不是整数分"):
        row.refresh_from_db()


def test_full_clean_and_the_form_field_speak_yuan(ledger):
    form_field = MoneyField(verbose_name="本金").formfield()

    assert (type(form_field).__name__, form_field.max_digits, form_field.decimal_places) == ("DecimalField", 15, 2)
    assert form_field.clean("12345.67") == Decimal("12345.67")
    with pytest.raises(ValidationError):
        form_field.clean("1.005")

    row = ledger(memo="x", amount="88.80")
    row.full_clean()  # no IntegerField range validators comparing yuan against fen limits
    assert row.amount == Decimal("88.80")


def test_postgres_style_numeric_sums_convert_too():
    field = MoneyField()

    assert field.from_db_value(Decimal("12345"), None, connection) == Decimal("123.45")
    assert field.from_db_value(None, None, connection) is None
    assert field.get_prep_value(Decimal("123.45")) == 12345
