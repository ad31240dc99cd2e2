"""Modal dialogs: confirm, read a message, pick a date, pick a category."""

from tui.dialogs.category import CategoryDialog
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.date import DateDialog
from tui.dialogs.message import MessageDialog

__all__ = ["CategoryDialog", "ConfirmDialog", "DateDialog", "MessageDialog"]
