"""Scaffold: filled by the 往来账款 work."""
