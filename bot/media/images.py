"""Inbound MMS images: check what the provider fetched and make what agents see in Slack.

`process_image` refuses anything that is not a real, reasonably sized JPEG, PNG, GIF or WebP,
with a reason an agent can read in the thread (the caller keeps the original bytes). What it
accepts it turns upright, strips of EXIF (GPS position, camera serial, timestamps) and returns
as a full-size display image plus a thumbnail. Pure: bytes in, bytes out, no I/O.
"""

from __future__ import annotations

import io
import math
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024  # Twilio's MMS limit: nothing larger arrives legitimately
# Decoded pixels, not file size, are the cost: a 170 KB 6300x6300 PNG takes ~450 MB and
# seconds to decode and re-encode, and an MMS may carry ten. Phone cameras save 12 MP by
# default, the newest iPhones 24 MP (5712x4284); their 48-50 MP modes make files well over
# the 5 MB limit. Photos are JPEG: 25 MP. PNG, GIF and WebP are screenshots and stickers
# (a phone screenshot is ~4 MP, a 4K desktop one 8.3 MP) and decode to RGBA: 12 MP.
MAX_PIXELS = 25_000_000
MAX_PIXELS_LOSSLESS = 12_000_000
_PHOTO_FORMATS = frozenset({"JPEG", "MPO"})
# Images decoded at once, whatever the worker's thread count: at the caps above one decode
# with its display and thumbnail copies peaks near 130 MB (a 12 MP PNG; the 6300x6300 one
# took 455 MB and 1.4 s of CPU before these caps).
CONCURRENT_IMAGES = 2
IMAGE_WORK = threading.BoundedSemaphore(CONCURRENT_IMAGES)
THUMBNAIL_SIZE = (360, 360)
# Pillow's names. MPO is how Pillow names the multi-picture JPEGs many phones write (a photo
# plus a depth map or preview); its first picture is the photo.
SUPPORTED = frozenset({"JPEG", "MPO", "PNG", "GIF", "WEBP"})

THUMBNAIL_QUALITY = 80
# "Open full size" is where an agent reads a serial number or a receipt: keep detail.
DISPLAY_QUALITY = 90

# What Pillow raises on damaged or hostile bytes, beyond its own UnidentifiedImageError (an
# OSError). The plugins parse with struct and index into buffers, and not every failure is
# turned into an OSError.
_DAMAGE = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)
_CORRUPT = "image is corrupt or incomplete"
_MIB = 1024 * 1024
# JPEG draft mode decodes at 1/2, 1/4 or 1/8 scale, choosing the smallest that keeps both
# sides at least this long: twice the thumbnail, so LANCZOS still has detail to work from.
# Square, so it holds whichever way EXIF turns the photo afterwards.
_DRAFT_SIDE = 2 * max(THUMBNAIL_SIZE)
# Bytes 4..12 of an ISO media file: the `ftyp` box and its major brand. Pillow has no HEIF
# reader without a plugin, so without this an iPhone photo would read as "not an image".
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
# The colour space field of an ICC profile header (bytes 16..20), by the mode it describes.
_ICC_SPACES = {"RGB": b"RGB ", "RGBA": b"RGB ", "L": b"GRAY", "LA": b"GRAY"}
# Pillow's own bomb message is the only place its refusal states the size.
_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")


class ImageRejected(Exception):
    """The image will not be shown; `reason` is written for the agent reading the thread."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProcessedImage:
    """What agents see: a thumbnail in the thread and a clean full-size image behind it."""

    thumbnail: bytes  # JPEG within THUMBNAIL_SIZE
    display: bytes  # upright, full resolution, no EXIF
    display_content_type: str  # image/jpeg, or image/png when the source has transparency
    width: int  # of the upright display image
    height: int
    format: str  # what the customer sent, as Pillow names it


def process_image(data: bytes) -> ProcessedImage:
    """Check an inbound image and make its display image and thumbnail, or raise ImageRejected."""
    source_format = _check(data)
    with IMAGE_WORK:
        return _process(data, source_format)


def _process(data: bytes, source_format: str) -> ProcessedImage:
    upright = _decode(data)
    icc_profile = upright.info.get("icc_profile")
    if upright.has_transparency_data:
        shown = upright if upright.mode in ("RGBA", "LA") else upright.convert("RGBA")
        display = _encode(shown, "PNG", icc_profile)
        content_type = "image/png"
    else:
        shown = _opaque(upright)
        display = _encode(shown, "JPEG", icc_profile, quality=DISPLAY_QUALITY)
        content_type = "image/jpeg"
    # Derived from the decoded full image rather than a second, draft-mode decode: the
    # entropy decoding a draft still has to do costs more than shrinking pixels already in
    # memory (bench/thumbnail.py measures both).
    thumbnail = _thumbnail(_opaque(shown), icc_profile)
    return ProcessedImage(
        thumbnail=thumbnail,
        display=display,
        display_content_type=content_type,
        width=shown.width,
        height=shown.height,
        format=source_format,
    )


def make_thumbnail(data: bytes, draft: bool = True) -> bytes:
    """An upright JPEG thumbnail within THUMBNAIL_SIZE, or ImageRejected.

    With `draft`, a JPEG is decoded at 1/2 to 1/8 scale: about 2.5 times faster for a 12 MP
    phone photo (bench/thumbnail.py). Other formats have no draft mode and ignore it.
    """
    _check(data)
    with IMAGE_WORK:
        img = _decode(data, draft=draft)
        return _thumbnail(_opaque(img), img.info.get("icc_profile"))


def _check(data: bytes) -> str:
    """Refuse what must not be decoded, reading headers only; return the source format."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(
            f"file is {_megabytes(len(data))} MB, over the {MAX_BYTES // _MIB} MB limit"
        )
    with _reading(_unreadable_reason(data)):
        img = Image.open(io.BytesIO(data))
    if img.format not in SUPPORTED:
        raise ImageRejected(f"{img.format} images are not supported")
    width, height = img.size
    # Pillow's own guard (MAX_IMAGE_PIXELS, ~89M) is a process-wide setting anyone may change;
    # this limit is ours and lower.
    limit = MAX_PIXELS if img.format in _PHOTO_FORMATS else MAX_PIXELS_LOSSLESS
    if width * height > limit:
        raise ImageRejected(_pixel_limit_reason(f"{width}×{height} pixels", limit,
                                                img.format))
    with _reading(_CORRUPT):
        img.verify()
    return img.format


def _decode(data: bytes, *, draft: bool = False) -> Image.Image:
    """The first frame, decoded and upright. Call only on data `_check` accepted."""
    # verify() leaves its image unusable, hence a fresh open.
    with _reading(_CORRUPT):
        img = Image.open(io.BytesIO(data))
        if draft:
            img.draft("RGB", (_DRAFT_SIDE, _DRAFT_SIDE))  # a no-op for all but JPEG
        # Truncated data raises here (LOAD_TRUNCATED_IMAGES stays off): a half-grey photo
        # shown as if whole would mislead the agent.
        img.load()
    try:
        ImageOps.exif_transpose(img, in_place=True)
    except _DAMAGE:
        pass  # a mangled EXIF block should not hide the photo: show it as stored
    return img


@contextmanager
def _reading(reason: str) -> Iterator[None]:
    """Turn what Pillow raises on damaged or hostile bytes into ImageRejected(reason)."""
    # catch_warnings swaps a process-wide filter list, so threads can race on it; that only
    # loosens this extra guard, never our own MAX_PIXELS check, which sits below Pillow's.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejected(_pillow_bomb_reason(str(error))) from error
        except _DAMAGE as error:
            raise ImageRejected(reason) from error


def _opaque(img: Image.Image) -> Image.Image:
    """The image in a mode JPEG stores and browsers show: RGB, or L for greyscale."""
    if img.has_transparency_data:
        # Dropping alpha would show whatever colour hides under transparent pixels (often
        # black); paper white is what the sender saw behind them.
        rgba = img.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    if img.mode in ("RGB", "L"):
        return img
    if img.mode.startswith("I") or img.mode == "F":
        # 16-bit greyscale PNG: convert() would clip everything above 255 to white.
        return img.convert("I").point(lambda value: value / 256).convert("L")
    return img.convert("RGB")


def _thumbnail(img: Image.Image, icc_profile: bytes | None) -> bytes:
    # resize rather than thumbnail(): same reducing_gap fast path, but leaves `img` whole
    # for the display image it may also be.
    small = img.resize(_fit(img.size, THUMBNAIL_SIZE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return _encode(small, "JPEG", icc_profile, quality=THUMBNAIL_QUALITY, optimize=True)


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size within `box` with the aspect ratio of `size`; never enlarges."""
    width, height = size
    scale = min(1.0, box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _encode(img: Image.Image, fmt: str, icc_profile: bytes | None, **options: object) -> bytes:
    # Pillow fills gaps in the save options from img.info (a JPEG comment, PNG text chunks,
    # XMP): with it empty, only what is passed here is written, and no EXIF is passed.
    img.info = {}
    out = io.BytesIO()
    img.save(out, fmt, icc_profile=_matching_icc(img.mode, icc_profile), **options)
    return out.getvalue()


def _matching_icc(mode: str, icc_profile: bytes | None) -> bytes | None:
    """The source's colour profile if it still describes these pixels (CMYK made RGB: not).

    Worth keeping: phones shoot in wide gamuts (Display P3) that look dull without it.
    """
    if icc_profile and icc_profile[16:20] == _ICC_SPACES.get(mode):
        return icc_profile
    return None


def _unreadable_reason(data: bytes) -> str:
    """Why bytes Pillow cannot identify are refused, naming the kind when it is recognisable."""
    if data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        return "HEIC images are not supported"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF images are not supported"
    if data.startswith(b"%PDF-"):
        return "PDF documents are not supported"
    return "not an image Pillow can read"


def _pillow_bomb_reason(message: str) -> str:
    match = _PILLOW_PIXELS.search(message)
    if match is None:
        return _pixel_limit_reason("too large to open safely")
    return _pixel_limit_reason(f"{int(match[1]) / 1_000_000:,.0f} megapixels")


def _pixel_limit_reason(size: str, limit: int = MAX_PIXELS, fmt: str | None = None) -> str:
    kind = "" if fmt is None or fmt in _PHOTO_FORMATS else f" for {fmt} images"
    return f"image is {size}, over the {limit // 1_000_000}-megapixel limit{kind}"


def _megabytes(size: int) -> str:
    # Rounded up, so a file just over the limit never reads as "5.0 MB, over the 5 MB limit".
    return f"{math.ceil(size * 10 / _MIB) / 10:.1f}"
