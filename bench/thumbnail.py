"""Benchmark: how long does a 12-megapixel phone photo take to become a Slack thumbnail?

Generates a camera-like JPEG (4000x3000, smooth gradients plus sensor-like noise, quality 90,
EXIF Orientation 6 and a GPS block as a phone held upright writes them), then times:

- make_thumbnail with JPEG draft mode and without it;
- the two ways process_image could get its thumbnail once the full image is decoded for the
  display: shrink the decoded pixels, or decode the JPEG a second time in draft mode;
- process_image as a whole.

Prints the median and p90 in milliseconds for each, then one JSON line with every number.

    .venv/bin/python bench/thumbnail.py [--runs 15] [--process-runs 5]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import ExifTags, Image, ImageChops

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from bot.media.images import (  # noqa: E402
    _check,
    _decode,
    _opaque,
    _thumbnail,
    make_thumbnail,
    process_image,
)

SIZE = (4000, 3000)
# Peak-to-peak sensor noise on 0..255: what makes a real photo expensive to entropy-decode.
# 32 gives ~3.5 MB at quality 90, where 12 MP phone photos land.
NOISE = 32


def camera_like_jpeg(seed: int = 12) -> bytes:
    """A 12 MP JPEG that compresses like a photo: gradients for the scene, noise for the sensor."""
    rng = random.Random(seed)
    scene = (
        Image.linear_gradient("L").resize(SIZE),
        Image.radial_gradient("L").resize(SIZE),
        Image.linear_gradient("L").rotate(90).resize(SIZE),
    )
    channels = []
    for plane in scene:
        # random bytes through point() rather than effect_noise: as noisy, ~20x faster
        raw = Image.frombytes("L", SIZE, rng.randbytes(SIZE[0] * SIZE[1]))
        noise = raw.point(lambda value: value * NOISE // 256)
        channels.append(ImageChops.add(plane, noise, offset=-(NOISE // 2)))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (37.0, 46.0, 29.7)
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def timed(run: Callable[[], object], runs: int) -> dict[str, float]:
    """Median and p90 (nearest rank) wall time of `run` in ms, after one untimed warm-up."""
    run()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p90_ms": round(samples[math.ceil(0.9 * runs) - 1], 1),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--process-runs", type=int, default=5)
    args = parser.parse_args()

    data = camera_like_jpeg()
    _check(data)
    decoded = _decode(data)

    results = {
        "make_thumbnail_draft": timed(lambda: make_thumbnail(data, draft=True), args.runs),
        "make_thumbnail_full_decode": timed(lambda: make_thumbnail(data, draft=False), args.runs),
        # process_image has already checked and fully decoded the photo for the display image;
        # these are the two ways to get the thumbnail from there.
        "thumbnail_from_decoded_pixels": timed(
            lambda: _thumbnail(_opaque(decoded), None), args.runs
        ),
        "thumbnail_by_second_draft_decode": timed(
            lambda: _thumbnail(_opaque(_decode(data, draft=True)), None), args.runs
        ),
        "process_image": timed(lambda: process_image(data), args.process_runs),
    }

    print(f"source: {SIZE[0]}x{SIZE[1]} JPEG, {len(data) / 1024 / 1024:.2f} MB ({len(data)} bytes)")
    for name, numbers in results.items():
        print(
            f"{name:34} median {numbers['median_ms']:7.1f} ms   p90 {numbers['p90_ms']:7.1f} ms"
            f"   ({numbers['runs']} runs)"
        )
    print(json.dumps({"jpeg_bytes": len(data), "size": list(SIZE), **results}))


if __name__ == "__main__":
    main()
