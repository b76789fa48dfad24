"""One exception hierarchy for the calculation engine.

Every error is a :class:`CalcError`, itself a ``ValueError`` so callers that only know
``ValueError`` still catch it.  Each class has a stable ``code`` the API returns next to the
message; the message is Chinese and tells the user what to fix.

>>> try:
...     raise InvalidAmount("本金必须大于0，请输入正数金额")
... except CalcError as error:
...     print(error.code, error.message)
invalid_amount 本金必须大于0，请输入正数金额
"""


class CalcError(ValueError):
    """Base of every calculation error."""

    code = "calc_error"
    default_message = "计算输入有误，请检查后重试"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidAmount(CalcError):
    code = "invalid_amount"
    default_message = "金额格式不正确，请输入如 12345.67 的金额"


class InvalidRate(CalcError):
    code = "invalid_rate"
    default_message = "利率格式不正确，请写成“年化12%”“月息1分”或“日息万五”"


class RateOutOfRange(InvalidRate):
    code = "rate_out_of_range"
    default_message = "利率超出可接受范围，请检查输入"


class InvalidTerm(CalcError):
    code = "invalid_term"
    default_message = "期数不正确，请输入1到600之间的整数"


class InvalidDate(CalcError):
    code = "invalid_date"
    default_message = "日期不正确，请按 YYYY-MM-DD 输入真实存在的日期"


class InvalidOption(CalcError):
    code = "invalid_option"
    default_message = "选项不正确，请从允许的取值中选择"


class InvalidSchedule(CalcError):
    code = "invalid_schedule"
    default_message = "还款计划不正确，请检查各期金额和日期"


class MissingInput(CalcError):
    code = "missing_input"
    default_message = "缺少必要的输入，请补充"


class NoReferenceData(CalcError):
    code = "no_reference_data"
    default_message = "没有可用的参考数据（如LPR表），请更新参考数据"


class InvalidIdentifier(CalcError):
    """Base for 身份证号 and 统一社会信用代码 errors."""

    code = "invalid_identifier"
    default_message = "证件号码不正确，请核对后重新输入"


class InvalidLength(InvalidIdentifier):
    code = "invalid_length"
    default_message = "号码长度不正确，应为18位"


class InvalidCharacter(InvalidIdentifier):
    code = "invalid_character"
    default_message = "号码含有不允许的字符，请核对"


class InvalidChecksum(InvalidIdentifier):
    code = "invalid_checksum"
    default_message = "校验位不正确，请逐位核对号码"


class InvalidBirthDate(InvalidIdentifier):
    code = "invalid_birth_date"
    default_message = "出生日期不正确，请核对第7至14位"


class InvalidRegion(InvalidIdentifier):
    code = "invalid_region"
    default_message = "地址码不正确，请核对前6位"
