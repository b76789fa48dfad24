"""The public application form: the fields an applicant fills in, the captcha (django-simple-captcha,
drawn locally) and the honeypot. The rules are the service's (applications.services), not the form's."""

from captcha.fields import CaptchaField
from django import forms
from django.utils.translation import gettext_lazy as _

from ioudesk.applications.services import online_products, portal_branches


class ApplyForm(forms.Form):
    product = forms.ModelChoiceField(label=_("贷款产品"), queryset=None, empty_label=_("请选择"),
                                     error_messages={"required": _("请选择贷款产品。"),
                                                     "invalid_choice": _("请选择贷款产品。")})
    amount = forms.CharField(label=_("申请金额（元）"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "50000"}))
    term = forms.CharField(label=_("期数（月）"), max_length=4,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "12"}))
    branch = forms.ModelChoiceField(label=_("办理网点"), queryset=None, required=False, empty_label=_("不指定（总部分配）"),
                                    error_messages={"invalid_choice": _("请选择办理网点。")})
    purpose = forms.CharField(label=_("借款用途"), max_length=200,
                              widget=forms.TextInput(attrs={"placeholder": _("如：装修、经营周转")}))
    applicant_name = forms.CharField(label=_("姓名"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(label=_("身份证号"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=_("手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    email = forms.CharField(label=_("电子邮箱（选填）"), max_length=254, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "email"}))
    monthly_income = forms.CharField(label=_("月收入（元，选填）"), max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    employer = forms.CharField(label=_("工作单位（选填）"), max_length=100, required=False)
    monthly_debt = forms.CharField(label=_("现有每月还款（元，选填）"), max_length=20, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    consent = forms.BooleanField(label=_("我已阅读并同意《个人信息授权及隐私条款》"), required=False)
    website = forms.CharField(label=_("网址"), required=False)  # the honeypot: hidden, people leave it empty
    captcha = CaptchaField(label=_("验证码"), error_messages={"invalid": _("验证码不正确，请看图重新计算。"),
                                                            "required": _("请填写验证码。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = online_products()
        self.fields["product"].label_from_instance = lambda product: product.name
        self.fields["branch"].queryset = portal_branches()
        self.fields["captcha"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        for name in ("amount", "term", "purpose", "applicant_name", "id_number", "phone"):
            self.fields[name].error_messages["required"] = _("请填写%(field)s。") % {
                "field": str(self.fields[name].label).split("（")[0]}


class TrackForm(forms.Form):
    number = forms.CharField(label=_("申请编号"), max_length=24,
                             widget=forms.TextInput(attrs={"placeholder": "SQ20261201-0001", "autocomplete": "off"}),
                             error_messages={"required": _("请填写申请编号。")})
    phone_last4 = forms.CharField(label=_("手机号后四位"), max_length=4, min_length=4,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                                  error_messages={"required": _("请填写手机号后四位。"),
                                                  "min_length": _("请填写手机号后四位。")})


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件"), error_messages={"required": _("请选择要上传的文件。")})
