"""The receivables tests' shared fixtures (a customer, a supplier, payment terms, the business date)."""

from ioudesk.receivables.tests.a_book import company, supplier, terms, today  # noqa: F401
