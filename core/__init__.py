"""Daily AI Insights without a screen: sources, store, classification, summaries, publishing.

Nothing in this package imports Textual; the TUI (`tui/`) and the CLI (`cli/`) are thin
front ends over these modules.
"""

__version__ = "0.1.0"
