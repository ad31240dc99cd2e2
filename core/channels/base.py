"""What an output channel declares: everything the app knows about one way of publishing a day.

A channel is one module of `core/channels/` holding a subclass of `Channel` and one instance
of it named `CHANNEL`; the registry (`core.channels`) finds the module by itself, and the
pipeline runs one step per channel, in `order`, after summarize, on the day's digest. A
channel says whether it is on (`enabled`) and what it still needs to deliver (`needs`),
renders the day for its readers (`render`), and publishes or sends it (`deliver`), returning
a `ChannelResult` the run records. Whether a failure of it means nothing was published
(`essential`) decides the run's status.

A channel that sends the day to recipients (`delivers`: email, chat) records each one in the
store's delivery ledger, claimed before sending, so nobody is sent a day twice, even by two
senders at once, and a failed recipient is retried by the next run; `DeliveryReport` is what
happened to each.

Its config keys are its own section of config.toml (`[notify]`), declared by `Options` and
documented, with their defaults, in the shipped `core/default_config.toml`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from core.config import Config
from core.i18n import _
from core.models import RunStatus

if TYPE_CHECKING:
    from core.digest import Digest
    from core.services import Services


@dataclass
class NoOptions:
    """The options of a channel without a config section of its own."""


@dataclass
class DeliverOptions:
    """How one delivery is asked for (by a run, or by a command such as `dailyai notify`)."""

    out_dir: Path | None = None
    """Where files are written (`--out`); None: the configured output dir."""
    force: bool = False
    """Send again to recipients who already got the day (never to one being sent to now)."""
    targets: Sequence[str] | None = None
    """The recipients to send to instead of the configured ones (`--to`)."""
    now: datetime | None = None
    on_progress: Callable[[str], None] | None = None
    """Called with a line on what is being done (connecting, sending to whom)."""


@dataclass
class DeliveryReport:
    """What happened to the day for each recipient of a channel that delivers (email, chat)."""

    day: date
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Already sent this day earlier (the ledger says so); use force to resend."""
    failed: dict[str, str] = field(default_factory=dict)
    """Recipient → why it was not delivered (one line)."""
    held: dict[str, str] = field(default_factory=dict)
    """Recipient → who else is sending them this day right now (so not this one)."""
    message_ids: dict[str, str] = field(default_factory=dict)
    note: str = ""
    """Why nothing was sent at all, when that is the case (e.g. an empty day)."""

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_counts(self) -> dict[str, int]:
        """How many were sent, skipped, held by another sender and failed (for the ledger)."""
        return {
            "sent": len(self.sent),
            "skipped": len(self.skipped),
            "held": len(self.held),
            "failed": len(self.failed),
        }


@dataclass
class ChannelResult:
    """How one channel's delivery of a day ended, as the run records it."""

    status: RunStatus
    """ok, partial (some recipients failed), failed or skipped (with the reason)."""
    reason: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    """Files written (the report, its chart, the feeds)."""
    delivery: DeliveryReport | None = None
    """Per recipient, for a channel that delivers."""

    @classmethod
    def of_delivery(cls, delivery: DeliveryReport) -> ChannelResult:
        """The result of sending to recipients: partial when any failed, naming them (a
        channel that could not send at all raises instead, and its step is failed)."""
        counts = delivery.as_counts()
        if delivery.note and not (delivery.sent or delivery.skipped or delivery.held):
            return cls(RunStatus.SKIPPED, delivery.note, counts, [], delivery)
        if delivery.failed:
            failed = ", ".join(map(str, delivery.failed))
            return cls(RunStatus.PARTIAL, f"refused: {failed}", counts, [], delivery)
        held = "; ".join(f"{who}: {why}" for who, why in delivery.held.items())
        return cls(RunStatus.OK, held, counts, [], delivery)


class Channel(ABC):
    """One output channel. Subclass it in a module of `core/channels/`, set `name`, and create
    the instance `CHANNEL = YourChannel()` there."""

    name: ClassVar[str]
    """Its step in `dailyai run` and the run ledger, and its config section ("notify")."""
    order: ClassVar[int]
    """Where its step runs among the channels' (smaller first)."""
    run_flag: ClassVar[str] = ""
    """The `dailyai run --no-<flag>` option that leaves it out (default: its name)."""
    run_flag_help: ClassVar[str] = ""
    what: ClassVar[str] = ""
    """What it publishes, in a sentence ("sends the email"), for messages and help."""
    essential: ClassVar[bool] = False
    """Whether its failure means nothing was published (the report, the feeds): the run
    fails, rather than being partial."""
    delivers: ClassVar[bool] = False
    """Whether it sends the day to recipients (each once, through the delivery ledger). A
    run still summarizing the day sends it when done, so other runs leave it to that one."""
    Options: ClassVar[type[Any]] = NoOptions
    """A dataclass whose fields are the keys of its own section of config.toml (`[name]`),
    checked like every key (types, typos, lines); its defaults and their documentation go
    in core/default_config.toml. (The email's `[email]` predates channels and is
    `Config.email`, read by the TUI too.)"""

    def options(self, config: Config) -> Any:
        """Its section of the config as an `Options` (a ConfigError names a bad key's line)."""
        if self.Options is NoOptions:
            return NoOptions()
        return config.section(self.name, self.Options)

    def enabled(self, config: Config) -> bool:
        """Whether `dailyai run` delivers it (a channel that is off is a skipped step)."""
        return True

    def off_reason(self, config: Config) -> str:
        """Why it is off, and how to turn it on (one line)."""
        return _("{name} is off").format(name=self.name)

    def needs(self, config: Config) -> list[str]:
        """What is missing for it to deliver (each a line saying what to set), [] if nothing."""
        return []

    @abstractmethod
    def render(self, digest: Digest, config: Config) -> str:
        """The day as its readers get it (the Markdown report, the daily feed item's HTML,
        the email's text, the chat message), without writing or sending anything."""

    @abstractmethod
    async def deliver(
        self, services: Services, digest: Digest, options: DeliverOptions
    ) -> ChannelResult:
        """Publish or send the day. A failure that stops it entirely is a DailyAIError (the
        run records the step as failed); recipients that fail are in the result."""


__all__ = [
    "Channel",
    "ChannelResult",
    "DeliverOptions",
    "DeliveryReport",
    "NoOptions",
]
