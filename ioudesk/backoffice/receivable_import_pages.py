"""Scaffold: filled by the 往来账款 work (see /work/issue13-contract.md)."""

urlpatterns: list = []
