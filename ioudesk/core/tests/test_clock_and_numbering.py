import threading
from datetime import date

import pytest
from django.db import connection, transaction

from ioudesk.core import clock, numbering, services
from ioudesk.core.models import AuditEvent, DocumentSequence, Organisation


def test_business_date_follows_the_organisation_setting(organisation):
    services.business_date_set(new_date=date(2026, 11, 20), reason="补录 11 月 20 日的还款")

    assert clock.today() == date(2026, 11, 20)
    event = AuditEvent.objects.get(verb="设置营业日")
    assert event.changes["business_date"] == [None, "2026-11-20"] and event.reason.startswith("补录")

    services.business_date_set(new_date=None, reason="恢复")
    assert clock.today() != date(2026, 11, 20) or date.today() == date(2026, 11, 20)


def test_frozen_clock_wins_over_the_setting(organisation):
    services.business_date_set(new_date=date(2026, 1, 1), reason="演示")

    with clock.frozen(date(2026, 11, 28)):
        assert clock.today() == date(2026, 11, 28)
    assert clock.today() == date(2026, 1, 1)


def test_numbers_run_per_day_and_organisation(organisation, business_date):
    other = Organisation.objects.create(name="第二机构")

    first = numbering.next_number(organisation=organisation, prefix="JD")
    second = numbering.next_number(organisation=organisation, prefix="JD")
    other_first = numbering.next_number(organisation=other, prefix="JD")
    next_day = numbering.next_number(organisation=organisation, prefix="JD", day=date(2026, 11, 29))

    assert (first, second) == ("JD20261128-0001", "JD20261128-0002")
    assert other_first == "JD20261128-0001"
    assert next_day == "JD20261129-0001"


def test_a_rolled_back_document_gives_its_number_back(organisation, business_date):
    numbering.next_number(organisation=organisation, prefix="JD")
    with pytest.raises(RuntimeError), transaction.atomic():
        numbering.next_number(organisation=organisation, prefix="JD")
        raise RuntimeError("the IOU failed validation")

    assert numbering.next_number(organisation=organisation, prefix="JD") == "JD20261128-0002"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_numbering_is_unique_and_gap_free_on_postgres():
    organisation = services.organisation_ensure()
    results, errors = [], []

    def worker():
        try:
            for _ in range(10):
                results.append(numbering.next_number(organisation=organisation, prefix="JD", day=date(2026, 11, 28)))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [f"JD20261128-{n:04d}" for n in range(1, 81)]


def test_without_an_organisation_given_numbers_are_the_organisations(organisation, business_date):
    Organisation.objects.create(name="第二机构")  # a later one is not "the" organisation

    assert numbering.next_number(prefix="PZ") == "PZ20261128-0001"
    assert numbering.next_number(organisation=organisation, prefix="PZ") == "PZ20261128-0002"
    assert DocumentSequence.objects.get(prefix="PZ").organisation_id == organisation.pk
