"""Demo lesson files made at seed time: slide videos and audio with a spoken narration, and a PDF.

A lesson's slides and narration are in ``demo_content/lessons.json``. Each slide is drawn with
Pillow in a Noto CJK font, its narration spoken offline by espeak-ng's Mandarin voice; the slide
stays on screen while its sentence is spoken, and ffmpeg joins them into an H.264/AAC video (or an
AAC audio file) that then goes through the real media pipeline. Without espeak-ng the lesson is
a silent slide show and the log says so; without a CJK font the slides fall back to Pillow's font.
"""

import json
import logging
import shutil
import subprocess
import wave
from functools import cache
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

CONTENT = Path(__file__).parent / "demo_content"
FONT_FILES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
]
SIZE = (960, 540)
RED, GOLD, INK, PAPER = (178, 34, 34), (250, 215, 120), (40, 40, 40), (255, 250, 242)
RATE = 22050
#: Silence after each slide's sentence, in seconds.
PAUSE = 0.6
#: Reading speed assumed for a silent slide (characters per second).
SILENT_PACE = 4.0


@cache
def lesson_scripts() -> dict[str, list[dict]]:
    """Lesson title → its slides: ``{"heading", "lines", "say"}``."""
    return json.loads((CONTENT / "lessons.json").read_text(encoding="utf-8"))


@cache
def _font_file() -> tuple[str, int] | None:
    """The first Noto CJK file found, with the index of its Simplified Chinese face."""
    for path in FONT_FILES:
        if Path(path).exists():
            for index in range(5):
                try:
                    if ImageFont.truetype(path, 12, index=index).getname()[0].endswith(" SC"):
                        return path, index
                except OSError:
                    break
            return path, 0
    logger.warning("no Noto CJK font in %s: demo slides will not show Chinese", FONT_FILES[0])
    return None


def _font(size: int):
    found = _font_file()
    return ImageFont.truetype(found[0], size, index=found[1]) if found else ImageFont.load_default(size)


def draw_slide(path: Path, heading: str, lines: list[str], footer: str) -> None:
    """One 16:9 slide: a red band with the heading, the points below, a footer line."""
    image = Image.new("RGB", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    draw.rectangle((0, 0, width, 120), fill=RED)
    draw.text((60, 60), heading, font=_font(46), fill=GOLD, anchor="lm")
    body = _font(32)
    for n, line in enumerate(lines):
        y = 175 + n * 62
        draw.ellipse((62, y - 7, 76, y + 7), fill=RED)
        draw.text((96, y), line, font=body, fill=INK, anchor="lm")
    draw.line((60, height - 60, width - 60, height - 60), fill=RED, width=2)
    draw.text((width - 60, height - 32), footer, font=_font(22), fill=RED, anchor="rm")
    image.save(path)


def _speak(text: str, path: Path) -> bool:
    """``text`` spoken in Mandarin into ``path`` (22.05 kHz mono WAV); False without espeak-ng."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return False
    subprocess.run(
        [espeak, "-v", "cmn", "-s", "165", "-w", str(path), text], check=True, timeout=60, capture_output=True
    )
    return True


def narrate(slides: list[dict], folder: Path, name: str) -> tuple[Path | None, list[float]]:
    """One WAV of every slide's sentence with a pause after each, and how long each slide lasts.
    ``(None, estimated durations)`` when there is no voice to speak with."""
    frames: list[bytes] = []
    durations: list[float] = []
    for n, slide in enumerate(slides):
        part = folder / f"{name}-{n}.wav"
        if not _speak(slide["say"], part):
            logger.warning("espeak-ng is not installed: demo lesson %s is a silent slide show", name)
            return None, [len(s["say"]) / SILENT_PACE + PAUSE for s in slides]
        with wave.open(str(part)) as spoken:
            if spoken.getframerate() != RATE or spoken.getnchannels() != 1 or spoken.getsampwidth() != 2:
                raise RuntimeError(f"espeak-ng wrote an unexpected WAV format for {name}")
            frames.append(spoken.readframes(spoken.getnframes()) + b"\0\0" * int(RATE * PAUSE))
        durations.append(len(frames[-1]) / 2 / RATE)
    path = folder / f"{name}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(frames))
    return path, durations


def _ffmpeg(*args: str) -> None:
    command = [current_app.config["FFMPEG_BIN"], "-v", "error", "-nostdin", "-y", *args]
    subprocess.run(command, check=True, timeout=300)


def make_lesson_media(folder: Path, name: str, title: str, kind: str, course: str, limit: int) -> Path:
    """The video (slides and narration) or audio (narration) of the lesson ``title``, at most
    ``limit`` seconds long."""
    slides = lesson_scripts()[title]
    voice, durations = narrate(slides, folder, name)
    audio_in = ["-i", str(voice)] if voice else ["-f", "lavfi", "-i", f"anullsrc=r={RATE}:cl=mono"]
    seconds = f"{min(sum(durations), limit):.2f}"
    encode_audio = ["-c:a", "aac", "-b:a", "64k", "-t", seconds]
    if kind == "audio":
        path = folder / f"{name}.m4a"
        _ffmpeg(*audio_in, *encode_audio, str(path))
        return path
    listing = folder / f"{name}.txt"
    entries = []
    for n, (slide, duration) in enumerate(zip(slides, durations, strict=True)):
        image = folder / f"{name}-{n}.png"
        draw_slide(image, slide["heading"], slide["lines"], f"{course} · 红课党校")
        entries.append(f"file '{image.name}'\nduration {duration:.3f}\n")
    # The concat demuxer takes the last duration only when the last file is listed once more.
    listing.write_text("".join(entries) + f"file '{name}-{len(slides) - 1}.png'\n", encoding="utf-8")
    path = folder / f"{name}.mp4"
    _ffmpeg(
        "-f", "concat", "-safe", "0", "-i", str(listing), *audio_in,
        "-map", "0:v", "-map", "1:a", "-vf", "fps=25,format=yuv420p",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", *encode_audio, str(path),
    )  # fmt: skip
    return path


def make_outline_pdf(path: Path) -> Path:
    """The 党章学习提纲 as a PDF, set as the platform's letters and archives are (:mod:`app.core.pdf`)."""
    from app.core.pdf import build_document, paragraph
    from app.core.pdf import styles as pdf_styles

    styles = pdf_styles()
    story = []
    for line in (CONTENT / "charter-outline.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            title = line[2:]
            story.append(paragraph(title, styles["title"]))
        elif line.startswith("## "):
            story.append(paragraph(line[3:], styles["heading"]))
        elif line.strip():
            story.append(paragraph(line, styles["indent"] if not line[0].isdigit() else styles["body"]))
    path.write_bytes(build_document(title, story))
    return path
