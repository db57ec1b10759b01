"""The interactive compatibility report (a self-contained HTML page)."""

from ._explorer import CompatibilityExplorer

__all__ = ["CompatibilityExplorer"]
