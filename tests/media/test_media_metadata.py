"""Header facts of photos, video and audio: EXIF capture time and GPS, duration and recording time."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_samples import LAT, LON, amr, mp3, padded, photo, video, wav

from dossier.media import read_media, sniff_media


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".heic"])
def test_a_photo_gives_its_capture_time_position_and_camera(tmp_path: Path, suffix: str) -> None:
    facts = read_media(photo(tmp_path / f"site{suffix}"))
    assert facts is not None
    assert facts["kind"] == "photo"
    assert facts["media_type"] == {".jpg": "image/jpeg", ".png": "image/png", ".heic": "image/heic"}[suffix]
    assert facts["captured_at"] == "2026-03-20T14:30:05+08:00"
    assert facts["gps"]["lat"] == pytest.approx(LAT, abs=1e-6)
    assert facts["gps"]["lon"] == pytest.approx(LON, abs=1e-6)
    assert facts["gps"]["alt"] == 12.5
    assert facts["camera"] == "Huawei P60"
    assert (facts["width"], facts["height"]) == (64, 48)


def test_a_photo_without_offset_or_gps_keeps_local_time_and_no_position(tmp_path: Path) -> None:
    facts = read_media(photo(tmp_path / "old.jpg", taken="2025:12:01 09:00:00", offset=None, gps=False))
    assert facts is not None
    assert facts["captured_at"] == "2025-12-01T09:00:00"
    assert "gps" not in facts


def test_southern_and_western_positions_are_negative(tmp_path: Path) -> None:
    from PIL import Image

    path = photo(tmp_path / "p.jpg")
    with Image.open(path) as image:
        exif = image.getexif()
        gps = exif.get_ifd(0x8825)
        gps[1], gps[3] = "S", "W"
        image.save(tmp_path / "sw.jpg", exif=exif)
    facts = read_media(tmp_path / "sw.jpg")
    assert facts is not None
    assert facts["gps"]["lat"] == pytest.approx(-LAT, abs=1e-6)
    assert facts["gps"]["lon"] == pytest.approx(-LON, abs=1e-6)


def test_a_video_gives_duration_and_recording_time(tmp_path: Path) -> None:
    facts = read_media(video(tmp_path / "signing.mp4", seconds=2))
    assert facts == {
        "kind": "video",
        "media_type": "video/mp4",
        "duration_seconds": pytest.approx(2.0, abs=0.1),
        "recorded_at": "2026-03-20T06:30:00+00:00",
    }


def test_a_quicktime_video_and_a_padded_mp4_are_read_by_seeking(tmp_path: Path) -> None:
    mov = read_media(video(tmp_path / "visit.mov"))
    assert mov is not None and mov["media_type"] == "video/quicktime"
    assert mov["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    big = read_media(padded(video(tmp_path / "big.mp4"), 64 * 1024 * 1024))
    assert big is not None and big["recorded_at"] == "2026-03-20T06:30:00+00:00"


def test_audio_gives_duration_and_recording_time_where_the_format_has_one(tmp_path: Path) -> None:
    mp3_facts = read_media(mp3(tmp_path / "call.mp3", seconds=3, recorded="2026-03-21"))
    assert mp3_facts is not None
    assert mp3_facts["kind"] == "audio" and mp3_facts["media_type"] == "audio/mpeg"
    assert mp3_facts["duration_seconds"] == pytest.approx(3.0, abs=0.1)
    assert mp3_facts["recorded_at"] == "2026-03-21"
    wav_facts = read_media(wav(tmp_path / "call.wav", seconds=2.5))
    assert wav_facts == {"kind": "audio", "media_type": "audio/wav", "duration_seconds": 2.5}
    amr_facts = read_media(amr(tmp_path / "call.amr", frames=150))
    assert amr_facts == {"kind": "audio", "media_type": "audio/amr", "duration_seconds": 3.0}


def test_damaged_media_is_reported_not_raised_and_other_files_are_not_media(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(
        b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41" + b"\x00\x00\x00\x10moov" + b"junk"
    )
    facts = read_media(broken)
    assert facts is not None and facts["kind"] == "video" and "error" in facts
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"\xff\xd8\xff" + b"\x00" * 20)
    assert "error" in (read_media(fake) or {})
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert read_media(pdf) is None and sniff_media(pdf) is None
