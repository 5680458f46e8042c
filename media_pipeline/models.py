"""Media assets, their renditions and resumable uploads.

Renditions are a child table rather than a JSON column: each has typed columns the player, the
CLI and later reports query (kind, height, bandwidth), and a publish replaces the set as a whole.
Every path stored here is relative to ``MEDIA_ROOT`` (assets) or to the asset's output folder
(renditions), so the media store can move without rewriting rows.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db


class AssetStatus(enum.StrEnum):
    UPLOADED = "uploaded"
    PROBING = "probing"
    TRANSCODING = "transcoding"
    READY = "ready"
    FAILED = "failed"


STATUS_LABELS = {
    AssetStatus.UPLOADED: _l("已上传"),
    AssetStatus.PROBING: _l("检测中"),
    AssetStatus.TRANSCODING: _l("转码中"),
    AssetStatus.READY: _l("可播放"),
    AssetStatus.FAILED: _l("失败"),
}


class AssetPurpose(enum.StrEnum):
    """What an upload is for. Lessons take trainers' uploads; members' works take members' short
    videos, uploaded under their own size, duration and daily limits."""

    LESSON = "lesson"
    WORK = "work"


class RenditionKind(enum.StrEnum):
    #: One HLS variant (video with its audio, or audio alone for audio-only lessons).
    HLS = "hls"
    #: The progressive MP4 fallback of a video.
    MP4 = "mp4"
    #: The progressive M4A fallback of an audio-only lesson.
    AUDIO = "audio"


class MediaAsset(TimestampMixin, db.Model):
    """One uploaded video or audio file and what the pipeline made of it."""

    __tablename__ = "media_asset"
    __table_args__ = (sa.Index("ix_media_asset_status_queued", "status", "queued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The trainer or admin who uploaded it; ``None`` for operator ingests without ``--owner``.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    status: Mapped[AssetStatus] = mapped_column(enum_column(AssetStatus, "media_asset_status"))
    purpose: Mapped[AssetPurpose] = mapped_column(
        enum_column(AssetPurpose, "media_asset_purpose", 8),
        default=AssetPurpose.LESSON,
        server_default="lesson",
    )
    #: Percent of the transcode done, from ffmpeg's ``-progress`` output (100 once ready).
    progress: Mapped[int] = mapped_column(default=0)
    #: What went wrong, in Chinese, as the trainer sees it; ``None`` unless failed.
    error: Mapped[str | None] = mapped_column(sa.String(500))
    #: Processing runs started (first run, retries, redeliveries); capped by MEDIA_MAX_ATTEMPTS.
    attempts: Mapped[int] = mapped_column(default=0)

    original_filename: Mapped[str] = mapped_column(sa.String(255))
    #: The uploaded file as received, relative to MEDIA_ROOT; ``None`` once retention removed it.
    original_path: Mapped[str | None] = mapped_column(sa.String(500))
    original_size: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    # Probe facts (ffprobe), filled in by the probe before anything is queued.
    #: Seconds of media.
    duration: Mapped[float | None]
    #: Coded size of the video stream, as stored in the file.
    width: Mapped[int | None]
    height: Mapped[int | None]
    #: Size as a player shows it: rotation metadata and non-square pixels applied.
    display_width: Mapped[int | None]
    display_height: Mapped[int | None]
    #: Clockwise degrees (0, 90, 180, 270) a player turns the coded picture to show it upright.
    rotation: Mapped[int] = mapped_column(default=0)
    video_codec: Mapped[str | None] = mapped_column(sa.String(32))
    audio_codec: Mapped[str | None] = mapped_column(sa.String(32))
    #: Average frames per second of the video stream.
    frame_rate: Mapped[float | None]
    has_video: Mapped[bool] = mapped_column(default=False)
    has_audio: Mapped[bool] = mapped_column(default=False)
    #: Overall bits per second of the original.
    bit_rate: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: True for HDR (PQ or HLG) or more than 8 bits per sample: tone-mapped to 8-bit SDR.
    needs_tone_mapping: Mapped[bool] = mapped_column(default=False)
    #: Every probe fact (:class:`~media_pipeline.probe.ProbeFacts`), which the ladder planner reads.
    probe: Mapped[dict | None] = mapped_column(sa.JSON)

    #: Published outputs, relative to MEDIA_ROOT (``assets/<id>/<key>``); ``None`` until ready.
    output_dir: Mapped[str | None] = mapped_column(sa.String(255))
    #: Master playlist, relative to ``output_dir``.
    master_playlist: Mapped[str | None] = mapped_column(sa.String(255))
    #: Poster JPEG, relative to ``output_dir``; ``None`` for audio.
    poster: Mapped[str | None] = mapped_column(sa.String(255))
    #: Thumbnails (``thumbs/01.jpg`` ...), relative to ``output_dir``.
    thumbnails: Mapped[list | None] = mapped_column(sa.JSON)
    #: ``output_dir`` holds the first rungs of the run in progress (watchable first): members can
    #: play them, and a run after a crash keeps them instead of encoding them again.
    output_partial: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The worker's estimate of when processing ends, from ffmpeg's speed so far (server clock).
    estimated_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: Holder of the per-asset lease (``host:pid:nonce``): the one worker allowed to process it.
    lease_holder: Mapped[str | None] = mapped_column(sa.String(120))
    #: The lease lapses at this time unless renewed; a killed worker's lease simply runs out.
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When a processing job was last sent to the broker (the sweeper's deadline is counted from it).
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the current (or last) processing run started and finished.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the original file was removed under the retention setting.
    original_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner = relationship("User", lazy="joined")
    renditions: Mapped[list["MediaRendition"]] = relationship(
        back_populates="asset",
        cascade="all, delete-orphan",
        order_by="MediaRendition.id",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<MediaAsset {self.id} {self.status}>"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_finished(self) -> bool:
        return self.status in (AssetStatus.READY, AssetStatus.FAILED)

    @property
    def is_audio_only(self) -> bool:
        return self.has_audio and not self.has_video

    def lease_is_live(self, now: datetime | None = None) -> bool:
        return self.lease_holder is not None and (
            self.lease_expires_at is not None and self.lease_expires_at > (now or utcnow())
        )

    @property
    def is_playable(self) -> bool:
        """Members can watch it: ready, or a first rendition already published (watchable first)."""
        return self.status == AssetStatus.READY or (
            self.status == AssetStatus.TRANSCODING and self.output_partial and self.output_dir is not None
        )

    def is_resuming(self, now: datetime | None = None) -> bool:
        """A run was started and its worker died (its lease lapsed, or a later run took over)."""
        return self.status == AssetStatus.TRANSCODING and self.attempts > 0 and not self.lease_is_live(now)

    def seconds_left(self, now: datetime | None = None) -> int | None:
        if self.status != AssetStatus.TRANSCODING or self.estimated_done_at is None:
            return None
        return max(0, int((self.estimated_done_at - (now or utcnow())).total_seconds()))

    def hls_variants(self) -> list["MediaRendition"]:
        return [r for r in self.renditions if r.kind == RenditionKind.HLS]

    def fallback(self) -> "MediaRendition | None":
        return next((r for r in self.renditions if r.kind != RenditionKind.HLS), None)


class MediaRendition(db.Model):
    """One playable output of an asset: an HLS variant or a progressive fallback file."""

    __tablename__ = "media_rendition"
    __table_args__ = (sa.UniqueConstraint("asset_id", "path", name="uq_media_rendition_asset_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("media_asset.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RenditionKind] = mapped_column(enum_column(RenditionKind, "media_rendition_kind"))
    #: Picture size; ``None`` for audio.
    width: Mapped[int | None]
    height: Mapped[int | None]
    #: Peak bits per second (HLS ``BANDWIDTH``; for files, their average).
    bandwidth: Mapped[int] = mapped_column(default=0)
    #: The variant playlist or the file, relative to the asset's ``output_dir``.
    path: Mapped[str] = mapped_column(sa.String(255))

    asset: Mapped[MediaAsset] = relationship(back_populates="renditions")


class MediaUpload(TimestampMixin, db.Model):
    """A resumable upload in progress: bytes arrive in chunks into ``uploads/<id>.part``."""

    __tablename__ = "media_upload"

    #: Random, URL-safe; still checked against the owner on every request.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: Declared total size in bytes; the upload is complete when ``received`` reaches it.
    size: Mapped[int] = mapped_column(sa.BigInteger)
    received: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    purpose: Mapped[AssetPurpose] = mapped_column(
        enum_column(AssetPurpose, "media_upload_purpose", 8),
        default=AssetPurpose.LESSON,
        server_default="lesson",
    )
    #: The asset made from it once complete.
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media_asset.id", ondelete="SET NULL"))

    @property
    def is_complete(self) -> bool:
        return self.received >= self.size
