"""The ladder in stages (issue 20): watchable first, and what a crash cannot take back.

A video's ladder is made in up to two ffmpeg commands, each into its own work folder and each
published under a new key that the asset's row is then switched to (see :mod:`media_pipeline.storage`):

1. **first playable**: the copied top rung when the source is browser-ready (seconds); else the
   source remuxed into the MP4 fallback when it plays as it is (seconds, see
   :mod:`media_pipeline.copyable`), and the whole ladder then follows in one pass; else the lowest
   rung alone, published at once with a master playlist listing just it;
2. **the rest**: every rung not yet published, the poster and thumbnails; the rungs already
   published are hard-linked into the new folder (same files, no copy, nothing re-encoded), the
   master playlist lists them all, and the MP4 fallback is remuxed.

A run that starts after a crash finds the rungs the dead run published (``output_partial``) and
only makes the others. Members keep playing the folder they loaded; the sweeper removes replaced
folders after a grace period.

With object storage (``MEDIA_STORAGE=s3``) the published folder is **downloaded** into the worker's
scratch space (:meth:`~media_pipeline.storage.MediaStore.fetch_folder`) and everything here reads it
as on the local store; its rungs are hard-linked into the work folder and uploaded again under the
new prefix. Chosen over server-side ``CopyObject`` because it keeps one code path for both stores
(``published_rungs``, ``check_variants`` and the master's entries read local files, and the new
prefix is written by the same :meth:`~media_pipeline.storage.MediaStore.put_folder` as every other
output), and because what is reused is small: the first playable rung (the lowest one, or the copied
top rung of a short browser-ready source). The price is one download and one upload of those rungs
per resumed or staged run, on the worker's network link instead of inside the storage service.
"""

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.copyable import remux_source
from media_pipeline.ladder import LadderPlan
from media_pipeline.transcode import (
    MASTER_PLAYLIST,
    RenditionOutput,
    TranscodeOutput,
    TranscodeSettings,
    check_variants,
    encode_rungs,
    finish_output,
)

_STREAM_INF = re.compile(r"#EXT-X-STREAM-INF:(?P<attrs>.*)\n(?P<uri>[^#\n][^\n]*)")
#: Relative costs (per pixel of a frame): decoding the source, encoding, copying, poster + thumbnails.
DECODE_COST, COPY_COST, EXTRAS_COST = 0.6, 0.05, 0.05


@dataclass
class Stage:
    #: Indexes into ``plan.renditions``; ``None`` for an audio-only plan's one variant.
    rungs: list[int] | None
    extras: bool
    final: bool
    cost: float = 1.0
    #: The source's picture size when this stage remuxes the source as it is (watchable at once).
    remux_size: tuple[int, int] | None = None


def _area(plan: LadderPlan, index: int) -> float:
    rendition = plan.renditions[index]
    return float(rendition.width * rendition.height)


def rung_cost(plan: LadderPlan, index: int) -> float:
    source = _area(plan, len(plan.renditions) - 1)
    copied = plan.copy_top and index == len(plan.renditions) - 1
    return COPY_COST * source if copied else _area(plan, index)


def stage_cost(plan: LadderPlan, rungs: list[int] | None, extras: bool) -> float:
    if not plan.has_video:
        return 1.0
    source = _area(plan, len(plan.renditions) - 1)
    decodes = extras or any(not (plan.copy_top and i == len(plan.renditions) - 1) for i in rungs or [])
    return (
        (DECODE_COST * source if decodes else 0.0)
        + sum(rung_cost(plan, i) for i in rungs or [])
        + (EXTRAS_COST * source if extras else 0.0)
    )


def remux_stage(plan: LadderPlan, size: tuple[int, int]) -> Stage:
    source = _area(plan, len(plan.renditions) - 1)
    return Stage([], extras=False, final=False, cost=COPY_COST * source, remux_size=size)


def plan_stages(
    plan: LadderPlan, done: set[str], early: bool, remux_size: tuple[int, int] | None = None
) -> list[Stage]:
    """The commands still to run: ``done`` are rung names already published by this job;
    ``remux_size`` (the source's picture) when the source plays as it is and is to be published
    first, remuxed."""
    if not plan.has_video:
        return [Stage(None, extras=False, final=True)]
    todo = [i for i, r in enumerate(plan.renditions) if r.name not in done]
    stages = []
    if early and remux_size is not None and not plan.copy_top:
        stages.append(remux_stage(plan, remux_size))
    elif early and not done and len(plan.renditions) > 1:
        first = len(plan.renditions) - 1 if plan.copy_top else 0
        stages.append(Stage([first], extras=False, final=False, cost=stage_cost(plan, [first], False)))
        todo.remove(first)
    stages.append(Stage(todo, extras=True, final=True, cost=stage_cost(plan, todo, True)))
    return stages


def done_cost(plan: LadderPlan, done: set[str]) -> float:
    """What the published rungs cost to make: counted as progress already made."""
    return sum(rung_cost(plan, i) for i, r in enumerate(plan.renditions) if r.name in done)


def read_entries(master: Path) -> dict[str, str]:
    """variant URI -> its ``#EXT-X-STREAM-INF`` attributes."""
    if not master.is_file():
        return {}
    return {m.group("uri").strip(): m.group("attrs") for m in _STREAM_INF.finditer(master.read_text())}


def published_rungs(folder: Path | None, plan: LadderPlan) -> set[str]:
    """Names of the plan's rungs complete in a published folder (listed and with an end)."""
    if folder is None or not folder.is_dir():
        return set()
    listed = read_entries(folder / MASTER_PLAYLIST)
    done = set()
    for rendition in plan.renditions:
        playlist = folder / rendition.name / "index.m3u8"
        listed_here = f"{rendition.name}/index.m3u8" in listed and playlist.is_file()
        if listed_here and "#EXT-X-ENDLIST" in playlist.read_text():
            done.add(rendition.name)
    return done


def link_rungs(published: Path, work_dir: Path, names: list[str]) -> None:
    """Hard-link published rungs into a work folder: the same files, nothing redone."""
    for name in names:
        target = work_dir / name
        target.mkdir(exist_ok=True)
        for path in (published / name).iterdir():
            try:
                os.link(path, target / path.name)
            except OSError:  # a volume without hard links (some network or S3 mounts): copy
                shutil.copyfile(path, target / path.name)


def write_master(work_dir: Path, plan: LadderPlan, entries: dict[str, str]) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for name in plan.variant_names:
        uri = f"{name}/index.m3u8"
        if uri in entries:
            lines += [f"#EXT-X-STREAM-INF:{entries[uri]}", uri]
    tmp = work_dir / (MASTER_PLAYLIST + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, work_dir / MASTER_PLAYLIST)


def run_stage(
    stage: Stage,
    source: Path,
    plan: LadderPlan,
    work_dir: Path,
    published: Path | None,
    settings: TranscodeSettings,
    on_progress=None,
) -> TranscodeOutput:
    """One stage into ``work_dir``: encode its rungs, link the published ones, write the master
    (and, for the final stage, the fallback). Returns what the folder holds."""
    if stage.remux_size is not None:
        return remux_source(source, plan, stage.remux_size, work_dir, settings)
    variants: list[RenditionOutput] = []
    if stage.rungs is None or stage.rungs or stage.extras:
        variants = encode_rungs(source, plan, work_dir, settings, stage.rungs, stage.extras, on_progress)
    entries = read_entries(work_dir / MASTER_PLAYLIST)
    made = {v.path.split("/", 1)[0] for v in variants}
    kept = sorted(published_rungs(published, plan) - made) if published is not None else []
    if kept:
        link_rungs(published, work_dir, kept)
        variants += check_variants(published, plan, kept)
        entries.update(
            {
                k: v
                for k, v in read_entries(published / MASTER_PLAYLIST).items()
                if k in {f"{name}/index.m3u8" for name in kept}
            }
        )
    order = {f"{name}/index.m3u8": i for i, name in enumerate(plan.variant_names)}
    variants.sort(key=lambda v: order.get(v.path, 0))
    if plan.has_video:
        write_master(work_dir, plan, entries)
    if stage.final:
        return finish_output(work_dir, plan, variants, settings)
    return TranscodeOutput(master_playlist=MASTER_PLAYLIST, renditions=variants)
