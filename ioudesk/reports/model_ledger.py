"""(being written: see docs/architecture.md, 报表)"""
