"""The `ioudesk` console script.

`ioudesk <command>` runs a Django management command with the project's settings, so
`ioudesk migrate` is `python manage.py migrate`. `ioudesk calc …` is the calculator, which is
pure Python and starts without Django.
"""
import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["calc"]:
        from ioudesk.calc.cli import main as calc_main

        return calc_main(argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ioudesk", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
