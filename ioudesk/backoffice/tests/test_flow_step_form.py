"""审批流设置's step forms: the blank 新增步骤 form posts its selects' first options (角色, 或签); left as
it is, it must be skipped, not refused for a missing 步骤名称 (every save of a flow was refused)."""

import pytest

from ioudesk.backoffice.approval_pages import StepFormSet

pytestmark = pytest.mark.django_db


def test_an_untouched_new_step_form_is_skipped(organisation):
    blank = {"steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-0-approver_type": "role",
             "steps-0-mode": "any", "steps-0-required_count": "1"}
    steps = StepFormSet(prefix="steps", data=blank)
    assert not steps.forms[0].has_changed()
    assert steps.is_valid(), steps.errors


def test_a_new_step_with_only_a_mode_chosen_still_needs_its_name(organisation):
    touched = {"steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-0-approver_type": "role",
               "steps-0-mode": "all", "steps-0-required_count": "1"}
    steps = StepFormSet(prefix="steps", data=touched)
    assert not steps.is_valid()
    assert "name" in steps.errors[0]
