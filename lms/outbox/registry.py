"""Loads message channels from the ``lms.channels`` entry-point group into ``app.extensions``."""

import inspect
from importlib.metadata import entry_points

from flask import current_app

from .channels import Channel

GROUP = "lms.channels"


def init_app(app, eps=None):
    """Register every channel not in CHANNELS_DISABLED. A duplicate key, a key that differs from
    its entry-point name, an entry point that is not a Channel class, a method of the contract
    left out or missing labels stop the
    app at start-up, as for course types."""
    disabled = app.config.get("CHANNELS_DISABLED") or ()
    if isinstance(disabled, str):
        disabled = [key.strip() for key in disabled.split(",") if key.strip()]
    found = list(entry_points(group=GROUP) if eps is None else eps)
    if not found:
        # the built-ins are entry points too: none at all means stale package metadata, and a
        # site that would keep every message in the outbox without saying why
        raise RuntimeError(
            f"no message channel is registered under {GROUP!r}: install the package "
            "(pip install -e .) so that its entry points are known"
        )
    channels = {}
    for ep in sorted(found, key=lambda e: e.name):
        if ep.name in disabled:
            continue
        channel = ep.load()
        if not (isinstance(channel, type) and issubclass(channel, Channel)):
            raise RuntimeError(f"entry point {ep.name!r} is not a Channel class")
        if inspect.isabstract(channel):
            missing = sorted(channel.__abstractmethods__)
            raise RuntimeError(f"channel {ep.name!r} does not implement {missing}")
        if channel.key != ep.name:
            raise RuntimeError(f"entry point {ep.name!r} loads channel {channel.key!r}")
        if channel.key in channels:
            raise RuntimeError(f"channel {channel.key!r} is registered twice")
        missing = {"id", "en"} - set(channel.labels)
        if missing:
            raise RuntimeError(f"channel {channel.key!r} lacks labels {sorted(missing)}")
        channels[channel.key] = channel
    app.extensions["channels"] = dict(
        sorted(channels.items(), key=lambda item: (item[1].order, item[0]))
    )


def all_channels():
    """Every registered channel class, in fallback order."""
    return list(current_app.extensions["channels"].values())


def get(key):
    """The channel class with this key, or None (unknown or disabled)."""
    return current_app.extensions["channels"].get(key)


def enabled():
    """The channels whose settings are there, in fallback order."""
    return [c for c in all_channels() if c.configured(current_app.config)]


def choices(locale, current=None):
    """(key, label) of the channels a person may prefer: the enabled ones, or every one while
    none is (a development site, where messages wait in the outbox for staff to read); and the
    ``current`` preference when it is switched off since, so that a form showing it does not
    change it silently."""
    offered = [(c.key, c.label(locale)) for c in enabled() or all_channels()]
    if current and current not in dict(offered):
        channel = get(current)
        offered.append((current, channel.label(locale) if channel else current))
    return offered


def route(user, preferred=None):
    """The enabled channels that reach ``user``: the preferred one first, then the others in
    their order."""
    preferred = preferred or getattr(user, "preferred_channel", None)
    reachable = [c for c in enabled() if user is not None and c.address(user)]
    reachable.sort(key=lambda c: c.key != preferred)
    return reachable
