"""Scaffold: filled by the 往来账款 work."""

from ninja import Router

router = Router(tags=["往来账款"])
