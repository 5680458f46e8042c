"""The chunked ladder's jobs (issue 20, item 3): hand out the chunks, encode one, join them.

The asset's lease passes from the run that split the source to a holder shared by its chunk and
join tasks (``chunks:<asset>:<key>``). Every chunk task renews it while it encodes, so the sweeper
sees a live lease; when every worker on the asset dies the lease lapses and the sweeper queues the
asset again as for any dead run. That run finds the same split (the key is the plan's), skips the
chunks already published and hands out only the others (or the join, when none is missing).
Chunk folders live in the store under ``chunks/<asset>/<key>/`` (outside ``work/``, which a new run
clears): on object storage a work prefix of the bucket, so that each chunk task, on any machine,
fetches the original, encodes into its local scratch space and stores its part there, and the join,
on any machine, fetches the parts, joins them locally and publishes as every transcode does. The
bucket's parts are removed once the ladder is published (or by the sweeper, when the asset ended).
"""

import hashlib
import logging
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from app.extensions import db
from media_pipeline import chunking
from media_pipeline.copyable import keyframe_times
from media_pipeline.ladder import LadderPlan, plan_ladder
from media_pipeline.models import MediaAsset
from media_pipeline.probe import ProbeFacts
from media_pipeline.services.common import LeaseLost, media_store
from media_pipeline.services.leases import (
    LeaseKeeper,
    acquire_lease,
    release_lease,
    renew_lease,
)
from media_pipeline.storage import MediaStore
from media_pipeline.transcode import MASTER_PLAYLIST, TranscodeSettings, check_variants, finish_output

logger = logging.getLogger(__name__)


@dataclass
class ChunkJob:
    """What the splitting run hands to the queue: chunks still to encode, or only the join."""

    asset_id: int
    key: str
    todo: list[int]
    join: bool


def wants_chunks(plan: LadderPlan, config) -> bool:
    """Long, encoded video only: a copied top rung is already fast in one process, and HDR
    tone-mapping is kept out of the single-frame poster path."""
    threshold = config["MEDIA_CHUNK_THRESHOLD_SECONDS"]
    return bool(
        threshold and plan.has_video and not plan.copy_top and not plan.tone_map and plan.duration > threshold
    )


def chunk_plan(asset: MediaAsset) -> LadderPlan:
    """The plan every chunk and the join use (no copying: all rungs are encoded per chunk)."""
    return plan_ladder(ProbeFacts(**asset.probe), copy=False, copy_audio=False)


def chunk_key(plan: LadderPlan, config) -> str:
    text = f"{plan!r}|{config['MEDIA_CHUNK_SECONDS']}|{config['MEDIA_X264_PRESET']}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def chunks_key(asset_id: int, key: str) -> str:
    """The store key of one plan's chunk parts."""
    return f"chunks/{asset_id}/{key}"


def _manifest(store: MediaStore, asset_id: int, key: str) -> chunking.Split | None:
    return chunking.parse_manifest(store.read_text(f"{chunks_key(asset_id, key)}/{chunking.MANIFEST}"))


def _done_chunks(store: MediaStore, asset_id: int, key: str, count: int) -> set[int]:
    """The chunks stored whole (their master playlist, stored last, is there)."""
    folder = chunks_key(asset_id, key)
    return {i for i in range(count) if store.is_file(f"{folder}/{chunking.chunk_name(i)}/{MASTER_PLAYLIST}")}


def chunk_holder(asset_id: int, key: str) -> str:
    return f"chunks:{asset_id}:{key}"


def split_asset(asset_id: int, holder: str, source: Path, plan: LadderPlan) -> ChunkJob:
    """Split (or find the split of) the source and pass the lease to the chunk holder. Flushes
    only; the caller commits before queueing the job."""
    config, store = current_app.config, media_store()
    key = chunk_key(plan, config)
    split = _manifest(store, asset_id, key)
    if split is None:
        for stale in store.subfolders(f"chunks/{asset_id}"):  # another plan's chunks: not ours to finish
            store.delete(chunks_key(asset_id, stale))
        keyframes = keyframe_times(source, config["FFPROBE_BIN"], config["MEDIA_PROBE_TIMEOUT_SECONDS"])
        bounds = chunking.chunk_bounds(keyframes, plan.duration, float(config["MEDIA_CHUNK_SECONDS"]))
        offsets = _split_audio(store, asset_id, key, source, plan, bounds) if plan.has_audio else None
        split = chunking.Split(bounds, offsets)
        # Written last: a manifest that is there names a split whose audio slices are stored.
        store.write_text(f"{chunks_key(asset_id, key)}/{chunking.MANIFEST}", chunking.manifest_text(split))
    bounds = split.bounds
    done = _done_chunks(store, asset_id, key, len(bounds))
    todo = [i for i in range(len(bounds)) if i not in done]
    shared = chunk_holder(asset_id, key)
    if not renew_lease(asset_id, holder, config["MEDIA_LEASE_SECONDS"], progress=_progress(done, bounds)):
        raise LeaseLost(asset_id)
    asset = db.session.get(MediaAsset, asset_id)
    asset.lease_holder = shared
    db.session.flush()
    logger.info("media asset %s: %s chunks, %s to encode", asset_id, len(bounds), len(todo))
    return ChunkJob(asset_id, key, todo, join=not todo)


def _split_audio(
    store: MediaStore, asset_id: int, key: str, source: Path, plan: LadderPlan, bounds: list
) -> list[float]:
    """Encode the sound once and store its slice for every chunk (see :mod:`media_pipeline.chunking`)."""
    work_dir = store.new_chunk_work_dir(asset_id, key, chunking.AUDIO_DIR)
    try:
        whole = work_dir / "whole.aac"
        chunking.encode_audio(source, plan, whole, TranscodeSettings.from_config(current_app.config))
        offsets = chunking.slice_audio(whole, bounds, work_dir / chunking.AUDIO_DIR)
        store.put_folder(work_dir / chunking.AUDIO_DIR, f"{chunks_key(asset_id, key)}/{chunking.AUDIO_DIR}")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return offsets


def _progress(done: set[int], bounds: list) -> int:
    return int(90 * len(done) / len(bounds)) if bounds else 0


def _load(asset_id: int, key: str):
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None or asset.is_finished or asset.lease_holder != chunk_holder(asset_id, key):
        return None, None
    return asset, _manifest(media_store(), asset_id, key)


def encode_chunk(asset_id: int, key: str, index: int, *, commit: Callable) -> str:
    """Encode chunk ``index`` unless it is there already. Returns ``"join"`` when this was the
    last chunk missing (the caller queues the join), ``"encoded"``, ``"done"`` (nothing to do)."""
    asset, split = _load(asset_id, key)
    if asset is None or split is None or index >= len(split.bounds):
        db.session.rollback()
        return "done"
    bounds = split.bounds
    holder, config, store = chunk_holder(asset_id, key), current_app.config, media_store()
    part = f"{chunks_key(asset_id, key)}/{chunking.chunk_name(index)}"
    if store.is_file(f"{part}/{MASTER_PLAYLIST}"):
        return "done"
    original = asset.original_path
    plan = chunk_plan(asset)
    commit()
    keeper = None
    if config["MEDIA_LEASE_HEARTBEAT"]:
        keeper = LeaseKeeper(
            current_app._get_current_object(), asset_id, holder, config["MEDIA_LEASE_SECONDS"]
        )
        keeper.__enter__()
    work_dir = store.new_chunk_work_dir(asset_id, key, index)
    try:
        settings = TranscodeSettings.from_config(config)
        with (
            store.fetch_file(original, shared=True) as source,  # one download per machine, not per chunk
            _audio_slice(store, asset_id, key, index, split) as audio,
        ):
            chunking.encode_chunk(source, plan, work_dir, settings, bounds[index], audio=audio)
        if keeper is not None and keeper.lost:
            raise LeaseLost(asset_id)
        _store_chunk(store, work_dir, part)
    finally:
        if keeper is not None:
            keeper.__exit__(None, None, None)
        shutil.rmtree(work_dir, ignore_errors=True)
    done = _done_chunks(store, asset_id, key, len(bounds))
    renew_lease(asset_id, holder, config["MEDIA_LEASE_SECONDS"], progress=_progress(done, bounds))
    commit()
    if len(done) == len(bounds) and store.claim(f"{chunks_key(asset_id, key)}/join.claimed"):
        return "join"
    return "encoded"


@contextmanager
def _audio_slice(store: MediaStore, asset_id: int, key: str, index: int, split: chunking.Split):
    """The chunk's slice of the sound encoded once, and where it starts; ``None`` to encode its own."""
    if split.audio_offsets is None:
        yield None
        return
    with store.fetch_file(
        f"{chunks_key(asset_id, key)}/{chunking.AUDIO_DIR}/{chunking.audio_slice_name(index)}"
    ) as path:
        yield path, split.audio_offsets[index]


def _store_chunk(store: MediaStore, work_dir: Path, part: str) -> bool:
    """Store a finished chunk; ``False`` when another run stored it first. Only one of the chunks
    finishing together then queues the join: the one whose claim of ``join.claimed`` wins (a
    ``mkdir``, or a conditional write on object storage)."""
    try:
        store.put_folder(work_dir, part)
    except OSError:
        if store.is_file(f"{part}/{MASTER_PLAYLIST}"):
            return False
        raise
    return True


def join_chunks(asset_id: int, key: str, *, commit: Callable, publish: Callable) -> str:
    """Join every chunk into the ladder, make the extras and the fallback, and publish (ready)."""
    asset, split = _load(asset_id, key)
    if asset is None or split is None:
        db.session.rollback()
        return "done"
    bounds = split.bounds
    holder, config, store = chunk_holder(asset_id, key), current_app.config, media_store()
    if len(_done_chunks(store, asset_id, key, len(bounds))) < len(bounds):
        return "waiting"
    if not acquire_lease(asset_id, holder, config["MEDIA_LEASE_SECONDS"]):
        db.session.rollback()
        return "busy"
    original = asset.original_path
    plan = chunk_plan(asset)
    commit()
    work_dir = store.new_work_dir(asset_id)
    try:
        settings = TranscodeSettings.from_config(config)
        with store.fetch_folder(chunks_key(asset_id, key)) as folder:
            chunking.join_chunks(folder, len(bounds), plan, work_dir)
        with store.fetch_file(original, shared=True) as source:
            chunking.make_extras(source, plan, work_dir, settings)
        variants = check_variants(work_dir, plan, plan.variant_names)
        output = finish_output(work_dir, plan, variants, settings)
        if not renew_lease(asset_id, holder, config["MEDIA_LEASE_SECONDS"]):
            raise LeaseLost(asset_id)
        publish(db.session.get(MediaAsset, asset_id), work_dir, output, final=True)
        work_dir = None
        release_lease(asset_id, holder)
        commit()
    finally:
        if work_dir is not None:
            store.remove(work_dir)
    store.delete(f"chunks/{asset_id}")
    return "ready"
