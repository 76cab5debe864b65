"""audit-tui: a keyboard-driven terminal browser for audit logs."""

__version__ = "0.1.0"
