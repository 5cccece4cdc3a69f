"""Reports: the terminal table and the JSON report."""

from .json_report import build_report, write_report
from .terminal import format_decision_section, format_table

__all__ = ["build_report", "format_decision_section", "format_table", "write_report"]
