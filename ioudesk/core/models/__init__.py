from .audit import AuditEvent
from .numbering import DocumentSequence
from .org import Branch, Organisation, User

__all__ = ["AuditEvent", "Branch", "DocumentSequence", "Organisation", "User"]
