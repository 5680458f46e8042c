"""The rendition planner: probe facts in, renditions out (pure; no ffmpeg)."""

from fractions import Fraction

import pytest

from media_pipeline.ladder import plan_ladder
from media_pipeline.probe import ProbeFacts


def video(width, height, **facts) -> ProbeFacts:
    defaults = {"duration": 60.0, "video_index": 0, "audio_index": 1, "frame_rate": 25.0}
    return ProbeFacts(width=width, height=height, **{**defaults, **facts})


def sizes(plan) -> list[tuple[int, int]]:
    return [(r.width, r.height) for r in plan.renditions]


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1920, 1080, [(640, 360), (960, 540), (1280, 720), (1920, 1080)]),
        (3840, 2160, [(640, 360), (960, 540), (1280, 720), (1920, 1080)]),  # 4K stops at 1080p
        (1280, 720, [(640, 360), (960, 540), (1280, 720)]),
        (960, 540, [(640, 360), (960, 540)]),
        (640, 480, [(480, 360)]),  # 4:3 keeps its shape
        (640, 360, [(640, 360)]),
    ],
)
def test_landscape_ladder_goes_up_to_the_source_and_never_above(width, height, expected):
    assert sizes(plan_ladder(video(width, height))) == expected


def test_portrait_video_ladders_by_its_shorter_side_and_stays_portrait():
    plan = plan_ladder(video(1080, 1920))
    assert sizes(plan) == [(360, 640), (540, 960), (720, 1280), (1080, 1920)]
    assert [r.name for r in plan.renditions] == ["360p", "540p", "720p", "1080p"]


def test_rotation_metadata_is_applied_so_a_phone_video_comes_out_upright():
    # 1280x720 as coded, shown turned by 90°: a portrait picture
    plan = plan_ladder(video(1280, 720, rotation=90))
    assert sizes(plan) == [(360, 640), (540, 960), (720, 1280)]
    assert plan_ladder(video(1280, 720, rotation=180)).renditions[-1].width == 1280


def test_a_source_below_360p_gets_one_rendition_at_its_own_size():
    assert sizes(plan_ladder(video(176, 144))) == [(176, 144)]
    assert sizes(plan_ladder(video(144, 176))) == [(144, 176)]


def test_odd_dimensions_are_made_even_without_upscaling():
    assert sizes(plan_ladder(video(175, 143))) == [(174, 142)]
    plan = plan_ladder(video(1279, 719))
    assert all(w % 2 == 0 and h % 2 == 0 for w, h in sizes(plan))
    assert all(w <= 1279 and h <= 719 for w, h in sizes(plan))
    assert sizes(plan) == [(640, 360), (960, 540)]


def test_non_square_pixels_are_made_square():
    # DV-style 720x576 with 16:15 pixels is 768x576 on screen
    plan = plan_ladder(video(720, 576, sample_aspect=16 / 15))
    assert sizes(plan) == [(480, 360), (720, 540)]


def test_audio_only_input_gets_an_audio_rendition_and_no_video():
    plan = plan_ladder(ProbeFacts(duration=300.0, audio_index=0))
    assert plan.is_audio_only
    assert plan.renditions == ()
    assert plan.var_stream_map == "a:0,name:audio"
    assert plan.variant_names == ["audio"]


def test_video_without_audio_maps_no_audio_stream():
    plan = plan_ladder(video(1280, 720, audio_index=None))
    assert not plan.has_audio
    assert plan.var_stream_map == "v:0,name:360p v:1,name:540p v:2,name:720p"


def test_video_with_audio_pairs_each_rendition_with_its_own_audio():
    plan = plan_ladder(video(960, 540))
    assert plan.var_stream_map == "v:0,a:0,name:360p v:1,a:1,name:540p"


@pytest.mark.parametrize(
    ("facts", "tone_map"),
    [
        (
            {"color_transfer": "arib-std-b67", "bit_depth": 10, "color_primaries": "bt2020"},
            True,
        ),  # iPhone HLG
        ({"color_transfer": "smpte2084", "bit_depth": 10}, True),  # HDR10 (PQ)
        ({"bit_depth": 10, "pix_fmt": "yuv420p10le"}, True),  # 10-bit SDR: still not playable as High 10
        ({"bit_depth": 8, "color_transfer": "bt709"}, False),
    ],
)
def test_hdr_and_10_bit_input_is_tone_mapped_to_8_bit(facts, tone_map):
    plan = plan_ladder(video(1920, 1080, **facts))
    assert plan.tone_map is tone_map
    assert plan.hdr_transfer == (
        facts.get("color_transfer") if facts.get("color_transfer") != "bt709" else None
    )


def test_keyframes_every_two_seconds_at_a_constant_rate():
    assert plan_ladder(video(1280, 720, frame_rate=25.0)).gop_frames == 50
    ntsc = plan_ladder(video(1280, 720, frame_rate=30000 / 1001))
    assert ntsc.fps == Fraction(30000, 1001)
    assert ntsc.gop_frames == 60
    assert plan_ladder(video(1280, 720, frame_rate=120.0)).fps == 60  # high-speed phone video halves
    phone = plan_ladder(video(1280, 720, frame_rate=29.47, is_variable_frame_rate=True))
    assert phone.fps == 29
    assert phone.gop_frames == 58


def test_bitrate_caps_grow_with_the_rung_and_the_frame_rate():
    plan = plan_ladder(video(1920, 1080))
    caps = [r.maxrate for r in plan.renditions]
    assert caps == sorted(caps)
    assert len(set(caps)) == 4
    assert all(r.bufsize == 2 * r.maxrate for r in plan.renditions)
    fast = plan_ladder(video(1920, 1080, frame_rate=60.0))
    assert fast.renditions[-1].maxrate > plan.renditions[-1].maxrate


def test_the_fallback_is_720p_or_the_top_rung_when_the_source_is_smaller():
    assert (
        plan_ladder(video(1920, 1080)).renditions[plan_ladder(video(1920, 1080)).fallback_index].height == 720
    )
    small = plan_ladder(video(960, 540))
    assert small.renditions[small.fallback_index].height == 540
    portrait = plan_ladder(video(1080, 1920))
    assert portrait.renditions[portrait.fallback_index].width == 720


def test_poster_and_thumbnails_fall_inside_the_media():
    plan = plan_ladder(video(1280, 720, duration=3.0))
    assert 0 < plan.poster_time < 3.0
    assert len(plan.thumbnail_times) == 3
    assert all(0 < t < 3.0 for t in plan.thumbnail_times)
    long_plan = plan_ladder(video(1280, 720, duration=3600.0))
    assert long_plan.poster_time == 10.0
    assert len(long_plan.thumbnail_times) == 5
