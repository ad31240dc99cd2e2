"""The output channels, found by themselves: the day's digest in, published or sent out.

Each module of this package that defines `CHANNEL` (an instance of
`core.channels.base.Channel`) is a channel, registered under its name; adding a channel is
adding such a module (and its section in core/default_config.toml, when it has keys), and
nothing else: the pipeline runs a step for it after summarize, `dailyai run` gains a
`--no-<name>` option, and `dailyai doctor` says whether it is on and what it needs.

Modules without `CHANNEL` are what the channels share: `base` (the protocol), `layout` (the
output dir and its URLs), `render` (wording and escaping), `chart` (the category chart).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from core.channels.base import Channel, ChannelResult, DeliverOptions, DeliveryReport
from core.config import Config
from core.errors import ConfigError
from core.i18n import _


@functools.cache
def channels() -> dict[str, Channel]:
    """Every channel by name, in the order their steps run."""
    found: dict[str, Channel] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        channel = getattr(module, "CHANNEL", None)
        if channel is None:
            continue  # a shared module (base, layout, render, chart)
        if not isinstance(channel, Channel):
            raise TypeError(f"{module.__name__}.CHANNEL must be an instance of a Channel subclass")
        if channel.name in found:
            raise TypeError(f"{module.__name__}: the channel name {channel.name!r} is taken")
        found[channel.name] = channel
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def channel_names() -> list[str]:
    """The names of every channel, in the order their steps run."""
    return list(channels())


def channel_of(name: str) -> Channel:
    """The channel called `name` (one of `channel_names()`)."""
    try:
        return channels()[name]
    except KeyError:
        known = ", ".join(channel_names())
        raise ConfigError(
            _("channel {name!r} is not known — use one of {known}").format(name=name, known=known)
        ) from None


def run_flag(channel: Channel) -> str:
    """The `dailyai run --no-<flag>` option that leaves the channel out."""
    return channel.run_flag or channel.name


def check_channels(config: Config) -> None:
    """Read every channel's section of the config, so a bad key (a token written inline)
    stops the command before anything runs, naming its line."""
    for channel in channels().values():
        channel.options(config)


__all__ = [
    "Channel",
    "ChannelResult",
    "DeliverOptions",
    "DeliveryReport",
    "channel_names",
    "channel_of",
    "channels",
    "check_channels",
    "run_flag",
]
