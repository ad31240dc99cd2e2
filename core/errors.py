"""The errors the app reports to users.

Every message says what failed, why, and what to do, on one line, so the CLI can print
`str(error)` and the TUI can show it in a notification unchanged.
"""


class DailyAIError(Exception):
    """Base class for every failure that is reported to the user rather than crashing."""


class ConfigError(DailyAIError):
    """The configuration file or a command-line option is invalid."""


class SourceError(DailyAIError):
    """A paper source could not be fetched or its content could not be used."""


class StoreError(DailyAIError):
    """The SQLite store could not be opened or migrated."""


class ModelError(DailyAIError):
    """The local model (Ollama) could not be reached, is not pulled, or failed to answer."""


class MailError(DailyAIError):
    """The digest email could not be built or sent (SMTP, TLS, login or a recipient).

    `report` holds what was delivered before the failure, when sending had started.
    """

    def __init__(self, message: str, *, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report
