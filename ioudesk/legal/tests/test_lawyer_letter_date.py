"""A 律师函 issued for a collection case in legal dates its legal case (LegalCase.lawyer_letter_on,
through legal.services.legal_case_lawyer_letter): the 律师函 of 2026-05-12 sets it, a 催款函 does not,
an earlier date never replaces a later one, a closed legal case keeps its own."""

from datetime import date

from ioudesk.core import clock
from ioudesk.core.models.audit import AuditEvent
from ioudesk.legal import letters
from ioudesk.legal.models import LegalCase
from ioudesk.legal.services import legal_case_lawyer_letter, legal_case_open
from ioudesk.legal.tests.letter_fixtures import (  # noqa: F401 (fixtures)
    LETTER_DAY,
    case_fixture,
    overdue_loan_fixture,
    private_dir_fixture,
)

COUNSEL = letters.LetterOptions(law_firm="北京正诚律师事务所", lawyer="周明")


def test_a_lawyer_letter_dates_the_legal_case(case, admin_user_zh):
    with clock.frozen(date(2026, 5, 11)):
        legal = legal_case_open(case, by=admin_user_zh, lawyer="周明", law_firm="北京正诚律师事务所")
    assert legal.lawyer_letter_on is None
    with clock.frozen(LETTER_DAY):
        letters.demand_letter_issue(case, kind=letters.DEMAND, by=admin_user_zh)
        legal.refresh_from_db()
        assert legal.lawyer_letter_on is None  # a 催款函 is not a lawyer's letter
        letters.demand_letter_issue(case, kind=letters.LAWYER, by=admin_user_zh, options=COUNSEL)
    legal.refresh_from_db()
    assert legal.lawyer_letter_on == LETTER_DAY == date(2026, 5, 12)
    [event] = AuditEvent.objects.filter(object_repr=legal.number, verb="发出律师函")
    assert event.changes["lawyer_letter_on"] == [None, "2026-05-12"]

    assert legal_case_lawyer_letter(case, on=date(2026, 5, 1)) == []  # an earlier letter: the later date stays
    legal.refresh_from_db()
    assert legal.lawyer_letter_on == LETTER_DAY

    LegalCase.objects.filter(pk=legal.pk).update(status="closed", closed_on=LETTER_DAY)
    assert legal_case_lawyer_letter(case, on=date(2026, 5, 20)) == []
    legal.refresh_from_db()
    assert legal.lawyer_letter_on == LETTER_DAY
