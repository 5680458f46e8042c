"""The one source of "now". Tests and simulations move time by patching :func:`utcnow`."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def localnow() -> datetime:
    """The current time in Asia/Shanghai, the zone every user of the platform lives in."""
    return utcnow().astimezone(LOCAL_TZ)


def localtoday() -> date:
    return localnow().date()


def day_starts_at(day: date) -> datetime:
    """The instant ``day`` begins in Asia/Shanghai (for comparing a local day with stored instants)."""
    return datetime.combine(day, time.min, LOCAL_TZ)
