"""What every records service shares: its error, the event names, and the settings it reads."""

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app

from app.accounts.models import BranchPosition
from app.core.chains import GENESIS_HASH  # noqa: F401 -- re-exported: records services name it here
from app.core.errors import DomainError
from app.records import presence

EVENTS = ("play", "tick", "pause", "seek", "ended", "hidden")
TEXT_KINDS = ("article", "document")
CADRE_POSITIONS = (BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY, BranchPosition.COMMITTEE)


class RecordsError(DomainError):
    """A problem the caller caused: ``(message, status=422, field=None)``, as every domain error."""


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountingPolicy:
    interval: float  # seconds between heartbeats while playing
    tolerance: float  # seconds of slack for network and timer jitter
    max_rate: float  # fastest playback that still counts in full
    presence: presence.PresencePolicy  # 防挂机

    @classmethod
    def from_config(cls, config=None) -> "AccountingPolicy":
        config = config if config is not None else current_app.config
        return cls(
            interval=config["HEARTBEAT_INTERVAL_SECONDS"],
            tolerance=config["HEARTBEAT_TOLERANCE_SECONDS"],
            max_rate=config["PLAYBACK_MAX_RATE"],
            presence=presence.PresencePolicy.from_config(config),
        )


@dataclass(frozen=True)
class HoursPolicy:
    minutes_per_hour_unit: int  # 1 学时 = 45 minutes of timed offline activity by default
    target_member: Decimal
    target_cadre: Decimal  # 书记 / 副书记 / 委员

    @classmethod
    def from_config(cls, config=None) -> "HoursPolicy":
        config = config if config is not None else current_app.config
        return cls(
            minutes_per_hour_unit=config["HOURS_MINUTES_PER_UNIT"],
            target_member=Decimal(str(config["HOURS_TARGET_MEMBER"])),
            target_cadre=Decimal(str(config["HOURS_TARGET_CADRE"])),
        )
