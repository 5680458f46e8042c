"""The worker's side: process one asset under its lease and publish the result."""

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.core import audit
from app.core.clock import utcnow
from app.core.signals import media_ready
from app.extensions import db
from media_pipeline.copyable import audio_is_copyable, plays_as_it_is, source_is_copyable
from media_pipeline.ladder import LadderPlan, plan_ladder
from media_pipeline.models import AssetStatus, MediaAsset, MediaRendition, RenditionKind
from media_pipeline.probe import MediaInputError, ProbeFacts
from media_pipeline.services.admission import fail_asset, probe_asset
from media_pipeline.services.chunks import chunk_plan, join_chunks, split_asset, wants_chunks
from media_pipeline.services.common import LeaseLost, media_store
from media_pipeline.services.leases import LeaseKeeper, acquire_lease, release_lease, renew_lease
from media_pipeline.staging import Stage, done_cost, plan_stages, published_rungs, remux_stage, run_stage
from media_pipeline.transcode import TranscodeOutput, TranscodeSettings

logger = logging.getLogger(__name__)


def _publish(asset: MediaAsset, work_dir: Path, output: TranscodeOutput, *, final: bool) -> None:
    """Store the work folder under a new key and point the asset at it (the caller commits: the
    switch is one transaction): the whole ladder (``final``: ready), or its first rungs (watchable
    first: members can play while the rest is made)."""
    store = media_store()
    relative = store.publish(work_dir, asset.id)
    asset.renditions = []
    db.session.flush()  # delete the old rows first: the new ones reuse their (asset, path) pairs
    asset.renditions = [
        MediaRendition(
            kind=RenditionKind(r.kind), path=r.path, width=r.width, height=r.height, bandwidth=r.bandwidth
        )
        for r in output.renditions
    ]
    asset.output_dir, asset.master_playlist = relative, output.master_playlist
    asset.poster, asset.thumbnails = output.poster, output.thumbnails
    asset.output_partial = not final
    if not final:
        db.session.flush()
        audit.record(None, "media.playable", asset, f"首个清晰度可播放：{len(output.renditions)} 个输出")
        return
    asset.status = AssetStatus.READY
    asset.progress, asset.error, asset.estimated_done_at = 100, None, None
    asset.finished_at = utcnow()
    db.session.flush()
    audit.record(None, "media.ready", asset, f"转码完成：{len(output.renditions)} 个输出")
    media_ready.send(asset, asset_id=asset.id)


class _Run:
    """One processing run of an asset under a lease: progress, ETA and the stages."""

    #: Seconds between progress writes (at most a third of the lease).
    REPORT_EVERY = 2.0

    def __init__(self, asset_id: int, holder: str, commit: Callable, dispatch: Callable | None = None):
        self.asset_id, self.holder, self.commit, self.dispatch = asset_id, holder, commit, dispatch
        self.config = current_app.config
        self.lease = self.config["MEDIA_LEASE_SECONDS"]
        self.store = media_store()
        self.work_dir: Path | None = None
        self.keeper: LeaseKeeper | None = None
        self.last_write = 0.0
        self.started = time.monotonic()
        self.base = self.done = self.total = self.stage_cost = 0.0

    def begin(self) -> bool:
        """Count the attempt, clear a dead run's work folders, probe if needed: ``False`` when
        the asset failed instead."""
        asset = db.session.get(MediaAsset, self.asset_id)
        asset.attempts += 1
        if asset.attempts > self.config["MEDIA_MAX_ATTEMPTS"]:
            fail_asset(asset, "多次处理均未完成（进程可能被中断），请重新上传或联系管理员。")
            self.commit()
            return False
        asset.started_at, asset.error, asset.estimated_done_at = utcnow(), None, None
        self.commit()
        for stale in self.store.work_dirs(self.asset_id):  # left by a killed run: we hold the lease now
            self.store.remove(stale)
        needs_probe = asset.status in (AssetStatus.UPLOADED, AssetStatus.PROBING)
        if needs_probe and not probe_asset(asset, commit=self.commit):
            self.commit()
            return False
        asset.status = AssetStatus.TRANSCODING
        self.commit()
        return True

    def plan(self, asset: MediaAsset, source: Path) -> LadderPlan:
        facts = ProbeFacts(**asset.probe)
        copy = self.config["MEDIA_COPY_COMPLIANT"] and source_is_copyable(
            facts, source, self.config["FFPROBE_BIN"], self.config["MEDIA_PROBE_TIMEOUT_SECONDS"]
        )
        return plan_ladder(facts, copy=copy, copy_audio=audio_is_copyable(facts))

    def report(self, fraction: float) -> None:
        """Progress within the current stage -> the asset's percentage and estimated finish."""
        now = time.monotonic()
        if now - self.last_write < min(self.REPORT_EVERY, self.lease / 3):
            return
        self.last_write = now
        if self.keeper is not None and self.keeper.lost:
            raise LeaseLost(self.asset_id)
        overall = min(0.99, (self.done + fraction * self.stage_cost) / self.total) if self.total else 0.0
        gained = overall - self.base
        done_at = None
        if gained > 0.005:
            done_at = utcnow() + timedelta(seconds=(now - self.started) * (1 - overall) / gained)
        if not renew_lease(
            self.asset_id, self.holder, self.lease, progress=int(overall * 100), estimated_done_at=done_at
        ):
            raise LeaseLost(self.asset_id)
        self.commit()

    def execute(self) -> str:
        """The stages still to do, each published when it ends; or, for a long source, the chunks
        handed to the queue (``"chunked"``: their tasks encode, join and publish), after the source
        itself is published when it plays as it is. The original is read from a local path (with
        object storage, a download into this machine's scratch space for the run)."""
        asset = db.session.get(MediaAsset, self.asset_id)
        if asset.original_path is None or not self.store.is_file(asset.original_path):
            raise MediaInputError(_("原始文件不存在，请重新上传。"))
        with self.store.fetch_file(asset.original_path) as source:
            return self._execute(db.session.get(MediaAsset, self.asset_id), source)

    def _execute(self, asset: MediaAsset, source: Path) -> str:
        plan = self.plan(asset, source)
        facts = ProbeFacts(**asset.probe)
        # Watchable first only for an asset nobody can watch yet: a new version of a ready asset
        # keeps the old one serving until it is whole, and a resumed run has published already.
        early = self.config["MEDIA_PUBLISH_EARLY"] and asset.output_dir is None
        remux_size = facts.display_size if early and plays_as_it_is(facts) else None
        settings = TranscodeSettings.from_config(self.config)
        if self.dispatch is not None and wants_chunks(plan, self.config):
            self.commit()  # the remux and the sound encoded for the chunks hold no transaction
            if remux_size is not None:
                self._run_stage(remux_stage(plan, remux_size), source, plan, None, settings)
            job = split_asset(self.asset_id, self.holder, source, chunk_plan(asset))
            self.commit()
            self.dispatch(job)
            return "chunked"
        resuming = asset.output_partial and asset.output_dir is not None
        published = asset.output_dir if resuming else None
        with self._published(published) as folder:
            done = published_rungs(folder, plan)
        stages = plan_stages(plan, done, early, remux_size)
        self.done = done_cost(plan, done)
        self.total = self.done + sum(stage.cost for stage in stages)
        self.base = self.done / self.total if self.total else 0.0
        self.commit()  # from here on nothing reads the row, so no transaction (on SQLite, no lock) is held
        for stage in stages:
            published = self._run_stage(stage, source, plan, published, settings)
            self.done += stage.cost
            self.commit()
        return "ready"

    def _published(self, key: str | None):
        """The published folder as a local folder (``None`` when there is none)."""
        return self.store.fetch_folder(key) if key is not None else nullcontext(None)

    def _run_stage(
        self,
        stage: Stage,
        source: Path,
        plan: LadderPlan,
        published: str | None,
        settings: TranscodeSettings,
    ) -> str:
        """Make one stage into a new work folder and publish it; returns the published folder's key.
        Rungs ``published`` already are reused (see :mod:`media_pipeline.staging`)."""
        self.stage_cost = stage.cost
        self.work_dir = self.store.new_work_dir(self.asset_id)
        with self._published(published) as folder:
            output = run_stage(stage, source, plan, self.work_dir, folder, settings, self.report)
        if not renew_lease(self.asset_id, self.holder, self.lease):
            raise LeaseLost(self.asset_id)
        asset = db.session.get(MediaAsset, self.asset_id)
        _publish(asset, self.work_dir, output, final=stage.final)
        if stage.final:  # ready and free in one commit: nobody sees a finished asset still leased
            release_lease(self.asset_id, self.holder)
        self.work_dir = None  # it is the published folder now
        self.commit()
        return asset.output_dir


def process_asset(asset_id: int, *, holder: str, commit: Callable, dispatch: Callable | None = None) -> str:
    """Probe (if not yet done), transcode and publish one asset, under its lease. With
    ``dispatch`` (it queues a :class:`~media_pipeline.services.chunks.ChunkJob`), a source longer
    than ``MEDIA_CHUNK_THRESHOLD_SECONDS`` is split into chunks encoded by their own tasks.

    Returns ``"ready"``, ``"chunked"`` (handed to the chunk tasks), ``"failed"`` (bad input; the
    reason is on the asset), ``"busy"`` (a live lease is held elsewhere: try again later) or
    ``"done"`` (nothing to do: finished already, or gone). Raises one of
    :data:`TRANSIENT_ERRORS` for a failure worth retrying; the asset then stays in its state with
    the lease released, and runs again, keeping the rungs it already published.
    """
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None or asset.is_finished:
        return "done"
    if not acquire_lease(asset_id, holder, current_app.config["MEDIA_LEASE_SECONDS"]):
        db.session.rollback()
        return "busy"
    commit()
    run = _Run(asset_id, holder, commit, dispatch)
    keeper = None
    if current_app.config["MEDIA_LEASE_HEARTBEAT"]:
        keeper = LeaseKeeper(current_app._get_current_object(), asset_id, holder, run.lease).__enter__()
        run.keeper = keeper
    try:
        if not run.begin():
            return "failed"
        outcome = run.execute()
        logger.info("media asset %s %s", asset_id, outcome)
        return outcome
    except MediaInputError as exc:
        db.session.rollback()
        fail_asset(db.session.get(MediaAsset, asset_id), str(exc))
        commit()
        return "failed"
    except LeaseLost:
        db.session.rollback()
        logger.warning("media asset %s: lease lost to another worker, stopping", asset_id)
        return "busy"
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if keeper is not None:
            keeper.__exit__(None, None, None)
        if run.work_dir is not None:
            run.store.remove(run.work_dir)
        try:
            release_lease(asset_id, holder)
            commit()
        except SQLAlchemyError:
            db.session.rollback()
            logger.exception("could not release the lease of media asset %s", asset_id)


def fail_for_good(asset_id: int, message: str) -> None:
    """Mark an asset failed after its retries ran out or its time limit passed."""
    asset = db.session.get(MediaAsset, asset_id)
    if asset is not None and not asset.is_finished:
        fail_asset(asset, message)


def join_asset_chunks(asset_id: int, key: str, *, commit: Callable) -> str:
    """The chunked ladder's last step: join, make the extras and the fallback, publish (ready)."""
    return join_chunks(asset_id, key, commit=commit, publish=_publish)
