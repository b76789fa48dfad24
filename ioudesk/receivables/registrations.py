"""What receivables plugs into the rest of the product at start-up: approval kinds, day steps,
ledger balance checks, message categories, the customer page's section. One function per part,
owned by the part's module; ``register()`` calls them all."""


def register() -> None:
    from ioudesk.receivables import approval_kinds, verify  # A

    approval_kinds.register()  # A
    verify.register()  # A
    from ioudesk.receivables import selectors as d_selectors  # D

    d_selectors.register()  # D: the customer 360 section
    from ioudesk.receivables import daystep as e_daystep  # E

    e_daystep.register()  # E: day steps receivables (42) and dunning (52), bill categories, bill case source

