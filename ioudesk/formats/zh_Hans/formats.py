"""Dates and times as the product writes them everywhere (2026-11-28, 2026-11-28 14:05), in
Chinese and in English alike, instead of Django's locale defaults (2026年11月28日, Nov. 28, 2026).
Amounts are formatted by ioudesk.core (¥12,345.67), not here."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "m-d"
YEAR_MONTH_FORMAT = "Y-m"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M"]
FIRST_DAY_OF_WEEK = 1
