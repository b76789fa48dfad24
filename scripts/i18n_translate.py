"""Fill English translations from a JSON object on stdin: {"中文原文": "English", ...}.

    echo {\"客户\": \"Customers\"} | python scripts/i18n_translate.py

Only empty entries are filled; prints what is still untranslated."""
import json
import sys

import polib

po = polib.pofile("ioudesk/locale/en/LC_MESSAGES/django.po")
tr = json.loads(sys.stdin.read())
for e in po:
    if e.msgid in tr and not e.msgstr:
        e.msgstr = tr[e.msgid]
po.save()
print("left:", [e.msgid for e in po.untranslated_entries()])
