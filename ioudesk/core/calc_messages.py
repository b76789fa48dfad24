"""Calculation errors in the user's language.

`ioudesk.calc` is pure Python and words its errors in Chinese, with the detail that helps ("期数
10000超出范围…"). A Chinese user gets that message as it is; a user who chose English gets the
translated message for the error's code."""

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.errors import CalcError

BY_CODE = {
    "calc_error": _("计算输入有误，请检查后重试"),
    "invalid_amount": _("金额格式不正确，请输入如 12345.67 的金额（大于0，最多两位小数）"),
    "invalid_rate": _("利率格式不正确，请写成“年化12%”“月息1分”或“日息万五”"),
    "rate_out_of_range": _("利率超出可接受范围，请检查输入"),
    "invalid_term": _("期数不正确，请输入1到600之间的整数"),
    "invalid_date": _("日期不正确，请按 YYYY-MM-DD 输入真实存在的日期"),
    "invalid_option": _("选项不正确，请从允许的取值中选择"),
    "invalid_schedule": _("还款计划不正确，请检查各期金额和日期"),
    "missing_input": _("缺少必要的输入，请补充"),
    "no_reference_data": _("没有可用的参考数据（如LPR表），请更新参考数据"),
    "invalid_identifier": _("证件号码不正确，请核对后重新输入"),
    "invalid_length": _("号码长度不正确，应为18位"),
    "invalid_character": _("号码含有不允许的字符，请核对"),
    "invalid_checksum": _("校验位不正确，请逐位核对号码"),
    "invalid_birth_date": _("出生日期不正确，请核对第7至14位"),
    "invalid_region": _("地址码不正确，请核对前6位"),
    "irr_not_found": _("无法计算年化利率，请检查现金流"),
}


def calc_error_message(error: CalcError) -> str:
    if (get_language() or "zh-hans").startswith("zh"):
        return error.message
    return str(BY_CODE.get(error.code, BY_CODE["calc_error"]))
