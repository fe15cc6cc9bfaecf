"""Inbound MMS images: what agents see in Slack, and what never reaches them.

Every fixture is drawn here with Pillow; no binary files are committed.
"""

from __future__ import annotations

import io
import random
import struct
import threading
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageFile, ImageStat

from bot.media.images import (
    MAX_BYTES,
    THUMBNAIL_SIZE,
    ImageRejected,
    ProcessedImage,
    make_thumbnail,
    process_image,
)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
PHONE_MAKER = "CustomerPhoneCo"  # a marker that must not survive into what Slack shows


def encoded(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def photo(size: tuple[int, int], noise: int = 16, seed: int = 3) -> Image.Image:
    """Gradients plus noise: compresses like a photo, not like a flat test card."""
    rng = random.Random(seed)
    channels = []
    for gradient in (Image.linear_gradient("L"), Image.radial_gradient("L")) * 2:
        raw = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
        grain = raw.point(lambda value: value * noise // 256)
        channels.append(ImageChops.add(gradient.resize(size), grain, offset=-(noise // 2)))
    return Image.merge("RGB", channels[:3])


def gif_claiming(width: int, height: int) -> bytes:
    """A valid GIF of one pixel whose canvas is width x height: tiny on disk, huge decoded."""
    data = bytearray(encoded(Image.new("P", (1, 1)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen size
    return bytes(data)


def rejection(data: bytes) -> str:
    with pytest.raises(ImageRejected) as refused:
        process_image(data)
    return refused.value.reason


def near(pixel: tuple[int, ...], colour: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.fixture(scope="module")
def sideways_photo_with_gps() -> bytes:
    """64x48 as stored, red in the stored top-left, EXIF Orientation 6 and a GPS position."""
    img = Image.new("RGB", (64, 48), BLUE)
    img.paste(RED, (0, 0, 16, 16))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the phone was held upright: rotate 90° clockwise
    exif[ExifTags.Base.Make] = PHONE_MAKER
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (37.0, 46.0, 29.7)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (122.0, 25.0, 9.8)
    data = encoded(img, "JPEG", quality=95, exif=exif)
    assert opened(data).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture carries GPS
    return data


@pytest.fixture(scope="module")
def twelve_megapixel_jpeg() -> bytes:
    return encoded(photo((4000, 3000)), "JPEG", quality=85)


def test_sideways_phone_photo_is_shown_upright(sideways_photo_with_gps):
    result = process_image(sideways_photo_with_gps)

    display = opened(result.display)
    assert (result.width, result.height) == (48, 64) == display.size
    assert near(display.getpixel((40, 8)), RED)  # the stored top-left is now the top-right
    assert near(display.getpixel((8, 8)), BLUE)
    assert opened(result.thumbnail).size == (48, 64)


def test_location_and_camera_details_never_reach_slack(sideways_photo_with_gps):
    result = process_image(sideways_photo_with_gps)

    for shown in (result.display, result.thumbnail):
        img = opened(shown)
        assert not img.getexif()
        assert not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert b"Exif\x00\x00" not in shown
        assert b"GPS" not in shown
        assert PHONE_MAKER.encode() not in shown


def test_twelve_megapixel_photo_gets_a_small_thumbnail_of_the_same_shape(twelve_megapixel_jpeg):
    result = process_image(twelve_megapixel_jpeg)

    thumbnail = opened(result.thumbnail)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (360, 270)
    assert thumbnail.width <= THUMBNAIL_SIZE[0] and thumbnail.height <= THUMBNAIL_SIZE[1]
    assert (result.width, result.height) == (4000, 3000) == opened(result.display).size
    assert (result.format, result.display_content_type) == ("JPEG", "image/jpeg")


def test_draft_mode_thumbnail_looks_like_the_fully_decoded_one(twelve_megapixel_jpeg):
    fast = opened(make_thumbnail(twelve_megapixel_jpeg, draft=True)).convert("RGB")
    full = opened(make_thumbnail(twelve_megapixel_jpeg, draft=False)).convert("RGB")

    assert fast.size == full.size == (360, 270)
    assert max(ImageStat.Stat(ImageChops.difference(fast, full)).mean) < 3


def test_small_picture_is_not_blown_up_for_its_thumbnail():
    result = process_image(encoded(photo((100, 80)), "PNG"))

    assert opened(result.thumbnail).size == (100, 80)


def test_decompression_bomb_is_refused_with_its_size_in_the_note():
    bomb = gif_claiming(30000, 30000)
    assert len(bomb) < 100  # 900 megapixels once decoded

    reason = rejection(bomb)  # a MemoryError or a hang here would mean it was decoded

    assert reason == "image is 900 megapixels, over the 25-megapixel limit"


def test_image_pillow_would_only_warn_about_is_refused_too():
    assert rejection(gif_claiming(10000, 9500)) == (
        "image is 95 megapixels, over the 25-megapixel limit"
    )


def test_a_png_over_twelve_megapixels_is_refused_naming_its_dimensions():
    blank = encoded(Image.new("1", (8000, 6000)), "PNG", optimize=True)
    assert len(blank) < 100_000

    assert rejection(blank) == (
        "image is 8000×6000 pixels, over the 12-megapixel limit for PNG images")


def test_pixel_limit_holds_even_with_pillows_own_guard_switched_off(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)

    assert rejection(gif_claiming(30000, 30000)) == (
        "image is 30000×30000 pixels, over the 12-megapixel limit for GIF images"
    )


def test_pillows_global_guards_are_left_as_they_were():
    limit, filters = Image.MAX_IMAGE_PIXELS, list(warnings.filters)

    rejection(gif_claiming(30000, 30000))
    process_image(encoded(photo((64, 48)), "JPEG"))

    assert Image.MAX_IMAGE_PIXELS == limit
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert warnings.filters == filters


def test_photo_cut_off_halfway_is_refused_as_incomplete():
    data = encoded(photo((640, 480)), "JPEG", quality=90)

    assert rejection(data[: len(data) // 2]) == "image is corrupt or incomplete"


def test_png_cut_off_halfway_is_refused_as_incomplete():
    data = encoded(photo((200, 150)), "PNG")

    assert rejection(data[: len(data) // 2]) == "image is corrupt or incomplete"


def test_random_bytes_are_not_an_image():
    assert rejection(random.Random(5).randbytes(4096)) == "not an image Pillow can read"


def test_file_over_five_megabytes_is_refused_by_its_size():
    too_big = b"\xff\xd8\xff\xe0".ljust(int(7.2 * 1024 * 1024), b"\0")

    assert rejection(too_big) == "file is 7.2 MB, over the 5 MB limit"


def test_file_just_over_the_limit_does_not_read_as_within_it():
    assert rejection(bytes(MAX_BYTES + 1)) == "file is 5.1 MB, over the 5 MB limit"


def test_iphone_heic_photo_is_named_as_unsupported():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(500)

    assert rejection(heic) == "HEIC images are not supported"


def test_pdf_is_named_as_unsupported():
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"

    assert rejection(pdf) == "PDF documents are not supported"


def test_image_format_pillow_reads_but_the_desk_does_not_show_is_named():
    assert rejection(encoded(photo((20, 10)), "BMP")) == "BMP images are not supported"


def test_transparent_png_is_shown_as_png_and_stays_transparent():
    img = Image.new("RGBA", (40, 30), (*RED, 255))
    img.paste((*GREEN, 0), (20, 0, 40, 30))  # green hides under the transparent half

    result = process_image(encoded(img, "PNG"))

    display = opened(result.display)
    assert (result.display_content_type, display.format) == ("image/png", "PNG")
    assert display.mode == "RGBA"
    assert display.getpixel((5, 15)) == (*RED, 255)
    assert display.getpixel((35, 15))[3] == 0
    thumbnail = opened(result.thumbnail)
    assert thumbnail.format == "JPEG"
    assert near(thumbnail.getpixel((35, 15)), (255, 255, 255), tolerance=8)  # white, not green


def test_gif_sticker_with_a_transparent_background_stays_transparent():
    sticker = Image.new("P", (30, 30), 0)
    sticker.putpalette([*RED, *BLUE])
    sticker.paste(1, (10, 10, 20, 20))

    result = process_image(encoded(sticker, "GIF", transparency=0))

    display = opened(result.display)
    assert result.display_content_type == "image/png"
    assert display.getpixel((2, 2))[3] == 0
    assert display.getpixel((15, 15)) == (*BLUE, 255)


def test_cmyk_jpeg_is_shown_in_rgb():
    cmyk = Image.new("CMYK", (64, 48), (0, 255, 255, 0))  # red, as a print shop would send it

    result = process_image(encoded(cmyk, "JPEG", quality=95))

    display = opened(result.display)
    assert display.mode == "RGB"
    assert near(display.getpixel((32, 24)), RED)
    assert opened(result.thumbnail).mode == "RGB"


def test_rgb_photos_keep_their_colour_profile():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    result = process_image(encoded(photo((64, 48)), "JPEG", icc_profile=srgb))

    assert opened(result.display).info.get("icc_profile") == srgb
    assert opened(result.thumbnail).info.get("icc_profile") == srgb


def test_cmyk_colour_profile_is_not_pinned_on_the_rgb_display_image():
    cmyk_profile = bytes(16) + b"CMYK" + b"Lab " + bytes(12) + b"acsp" + bytes(88)
    cmyk = Image.new("CMYK", (64, 48), (0, 255, 255, 0))

    result = process_image(encoded(cmyk, "JPEG", icc_profile=cmyk_profile))

    assert "icc_profile" not in opened(result.display).info


def test_animated_gif_shows_its_first_frame():
    frames = [Image.new("RGB", (32, 24), colour) for colour in (RED, GREEN, BLUE)]
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert opened(gif).n_frames == 3

    result = process_image(gif)

    display = opened(result.display)
    assert (result.format, display.format) == ("GIF", "JPEG")
    assert near(display.getpixel((16, 12)), RED)


def test_animated_webp_shows_its_first_frame():
    frames = [Image.new("RGB", (32, 24), colour) for colour in (RED, GREEN, BLUE)]
    webp = encoded(
        frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True
    )
    assert opened(webp).n_frames == 3

    result = process_image(webp)

    assert result.format == "WEBP"
    assert near(opened(result.display).getpixel((16, 12)), RED)


def test_multi_picture_jpeg_from_a_phone_shows_its_first_picture():
    photo_and_depth_map = [Image.new("RGB", (64, 48), RED), Image.new("RGB", (64, 48), BLUE)]
    mpo = encoded(
        photo_and_depth_map[0], "MPO", save_all=True, append_images=[photo_and_depth_map[1]]
    )
    assert opened(mpo).format == "MPO"

    result = process_image(mpo)

    assert result.format == "MPO"
    assert near(opened(result.display).getpixel((32, 24)), RED)


def test_sixteen_bit_greyscale_png_keeps_its_shades():
    row = b"".join(struct.pack("<H", level) * 32 for level in (0, 32768, 65535))
    bands = Image.frombytes("I;16", (96, 32), row * 32)
    png = encoded(bands, "PNG")
    assert opened(png).mode == "I;16"

    display = opened(process_image(png).display)

    shades = [display.getpixel((x, 16)) for x in (16, 48, 80)]
    assert all(abs(shade - want) <= 4 for shade, want in zip(shades, (0, 128, 255), strict=True))


def test_make_thumbnail_refuses_what_process_image_refuses():
    with pytest.raises(ImageRejected, match="megapixel limit"):
        make_thumbnail(gif_claiming(30000, 30000))
    with pytest.raises(ImageRejected, match="not an image"):
        make_thumbnail(b"hello")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_shown_or_refused_never_crash(data):
    try:
        assert isinstance(process_image(data), ProcessedImage)
    except ImageRejected as refused:
        assert refused.reason


SMALL_IMAGES = [
    encoded(photo((48, 32)), "JPEG"),
    encoded(photo((48, 32)), "PNG"),
    encoded(photo((48, 32)).convert("P"), "GIF"),
    encoded(photo((48, 32)), "WEBP"),
    encoded(
        Image.new("RGB", (8, 8), RED),
        "GIF",
        save_all=True,
        append_images=[Image.new("RGB", (8, 8), BLUE)],
    ),
]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(SMALL_IMAGES),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=6),
    st.integers(min_value=1),
)
def test_damaged_images_are_shown_or_refused_never_crash(image, damage, keep):
    data = bytearray(image[: max(1, keep % (len(image) + 1))])
    for position, value in damage:
        data[position % len(data)] = value
    try:
        assert isinstance(process_image(bytes(data)), ProcessedImage)
    except ImageRejected as refused:
        assert refused.reason


def test_a_small_png_of_forty_megapixels_is_refused_before_it_is_decoded():
    # The shape of the reported file: ~170 KB on the wire, ~450 MB and seconds to decode.
    big = encoded(Image.new("RGBA", (6300, 6300), (*RED, 255)), "PNG", optimize=True)
    assert len(big) < 200_000

    assert rejection(big) == (
        "image is 6300×6300 pixels, over the 12-megapixel limit for PNG images")


def test_a_24_megapixel_phone_photo_is_still_shown():
    iphone = encoded(Image.new("RGB", (5712, 4284), RED), "JPEG", quality=80)

    result = process_image(iphone)

    assert (result.width, result.height) == (5712, 4284)


def test_no_more_than_a_few_images_are_decoded_at_once():
    from bot.media import images

    small = encoded(photo((64, 48)), "PNG")
    # Every slot is busy (other MMS files being decoded): the next waits for one to free.
    for _ in range(images.CONCURRENT_IMAGES):
        images.IMAGE_WORK.acquire()
    done = threading.Event()
    waiting = threading.Thread(target=lambda: (process_image(small), done.set()))
    try:
        waiting.start()
        assert not done.wait(0.5)
    finally:
        for _ in range(images.CONCURRENT_IMAGES):
            images.IMAGE_WORK.release()
    waiting.join(10)
    assert done.is_set()
