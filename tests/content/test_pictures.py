"""A trainer uploads a picture for a lesson: what is kept is the picture, upright, and nothing
else of the file; what cannot be shown safely is refused with a reason to read."""

from __future__ import annotations

import contextlib
import io
import struct
import time
import zlib
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from app.content import pictures
from app.content.pictures import Picture, PictureRefused, prepare_picture

MB = 1_000_000
LIMIT = 10 * MB
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112
MAKE = 0x010F
DATE_TAKEN = 0x9003
ROTATE_90_CLOCKWISE = 6
SVG_NS = "{http://www.w3.org/2000/svg}"


def encoded(image: Image.Image, format: str, **options) -> bytes:
    output = io.BytesIO()
    image.save(output, format, **options)
    return output.getvalue()


def halves(width: int = 40, height: int = 20, mode: str = "RGB") -> Image.Image:
    """A picture red on its left half and blue on its right, to tell which way is up."""
    image = Image.new(mode, (width, height), "red")
    image.paste("blue", (width // 2, 0, width, height))
    return image


def photo_exif() -> Image.Exif:
    """What a phone writes: where, with what and when the photo was taken, and that the
    camera was held on its side."""
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATE_90_CLOCKWISE
    exif[MAKE] = "Camera Company"
    exif.get_ifd(EXIF_IFD)[DATE_TAKEN] = "2024:05:15 10:30:00"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (38.0, 42.0, 36.0), 3: "W", 4: (9.0, 8.0, 24.0)})
    return exif


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def reopened(picture: Picture) -> Image.Image:
    image = Image.open(io.BytesIO(picture.data))
    image.load()
    return image


def refusal(data: bytes, filename: str = "picture.png", **limits) -> PictureRefused:
    with pytest.raises(PictureRefused) as caught:
        prepare_picture(data, filename, **({"max_bytes": LIMIT} | limits))
    return caught.value


@pytest.fixture
def gps_photo() -> bytes:
    photo = encoded(
        halves(),
        "JPEG",
        exif=photo_exif(),
        comment="Taken by Ana Souza",
        xmp=b"<x:xmpmeta><CreatorTool>Ana's phone</CreatorTool></x:xmpmeta>",
        icc_profile=srgb_profile(),
    )
    # The photo as uploaded does carry all of it, so the test below can fail.
    original = Image.open(io.BytesIO(photo))
    assert original.getexif().get_ifd(GPS_IFD)[1] == "N"
    assert b"Ana Souza" in photo and b"Ana's phone" in photo
    return photo


def test_a_photo_loses_its_place_camera_date_and_comments(gps_photo):
    picture = prepare_picture(gps_photo, "Reunião Março.JPG", max_bytes=LIMIT)
    image = reopened(picture)
    assert (picture.name, picture.media_type) == ("reuniao-marco.jpg", "image/jpeg")
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not {"exif", "xmp", "comment"} & image.info.keys()
    for trace in (b"Exif", b"Camera Company", b"2024:05:15", b"Ana Souza", b"Ana's phone"):
        assert trace not in picture.data


def test_a_photo_taken_on_its_side_is_kept_upright(gps_photo):
    picture = prepare_picture(gps_photo, "photo.jpg", max_bytes=LIMIT)
    image = reopened(picture)
    # Turned a quarter clockwise, the red left half is now on top.
    assert image.size == (picture.width, picture.height) == (20, 40)
    red, green, blue = image.getpixel((10, 8))
    assert red > 200 and blue < 60
    red, green, blue = image.getpixel((10, 32))
    assert blue > 200 and red < 60


def test_a_photo_keeps_its_colour_profile(gps_photo):
    image = reopened(prepare_picture(gps_photo, "photo.jpg", max_bytes=LIMIT))
    assert image.info["icc_profile"] == srgb_profile()


def test_a_cmyk_photo_becomes_rgb_without_its_cmyk_profile():
    photo = encoded(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG")
    image = reopened(prepare_picture(photo, "print.jpg", max_bytes=LIMIT))
    assert image.mode == "RGB"
    assert "icc_profile" not in image.info


def test_a_png_loses_its_text_chunks_and_keeps_every_pixel():
    original = halves(mode="RGBA")
    original.putpixel((3, 3), (10, 20, 30, 40))
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Ana Souza")
    text.add_itxt("Description", "Reunião na sala 3", lang="pt")
    text.add_text("Comment", "x" * 2000, zip=True)
    upload = encoded(original, "PNG", pnginfo=text)
    assert Image.open(io.BytesIO(upload)).text["Author"] == "Ana Souza"

    picture = prepare_picture(upload, "diagram.png", max_bytes=LIMIT)
    image = reopened(picture)
    assert (picture.name, picture.media_type, image.format) == ("diagram.png", "image/png", "PNG")
    assert image.text == {}
    assert b"Ana Souza" not in picture.data and b"Reuni" not in picture.data
    assert image.tobytes() == original.tobytes()


def test_a_png_keeps_its_transparent_colour():
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([255, 255, 255, 0, 0, 0])
    upload = encoded(palette, "PNG", transparency=0)
    image = reopened(prepare_picture(upload, "icon.png", max_bytes=LIMIT))
    assert image.info["transparency"] == 0
    assert image.tobytes() == palette.tobytes()


def test_a_webp_photo_loses_its_exif_and_xmp():
    upload = encoded(halves(), "WEBP", exif=photo_exif(), xmp=b"<x:xmpmeta>Ana</x:xmpmeta>")
    assert Image.open(io.BytesIO(upload)).getexif()
    picture = prepare_picture(upload, "Foto da Sessão.webp", max_bytes=LIMIT)
    image = reopened(picture)
    assert (picture.name, picture.media_type, image.format) == (
        "foto-da-sessao.webp",
        "image/webp",
        "WEBP",
    )
    assert not image.getexif()
    assert b"EXIF" not in picture.data and b"XMP " not in picture.data
    assert image.size == (20, 40)


def test_a_lossless_webp_stays_lossless():
    original = halves()
    original.putpixel((1, 1), (1, 2, 3))
    upload = encoded(original, "WEBP", lossless=True)
    image = reopened(prepare_picture(upload, "screenshot.webp", max_bytes=LIMIT))
    assert image.tobytes() == original.tobytes()


def test_a_png_named_jpg_is_named_png():
    picture = prepare_picture(encoded(halves(), "PNG"), "Captura.jpg", max_bytes=LIMIT)
    assert (picture.name, picture.media_type) == ("captura.png", "image/png")


def test_a_gif_is_refused_whatever_its_name():
    for name in ("animation.gif", "animation.png"):
        assert refusal(encoded(halves(), "GIF"), name).template == pictures.NOT_A_PICTURE


def test_a_file_that_is_not_a_picture_is_refused():
    assert refusal(b"%PDF-1.7 ...", "notes.png").template == pictures.NOT_A_PICTURE
    assert refusal(b"hello", "notes.svg").template == pictures.NOT_A_PICTURE


@pytest.mark.parametrize("format", ["PNG", "WEBP"])
def test_an_animated_picture_is_refused(format):
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    upload = encoded(frames[0], format, save_all=True, append_images=frames[1:])
    assert refusal(upload).template == pictures.ANIMATED


def test_an_empty_file_is_refused():
    assert refusal(b"").template == pictures.EMPTY


def test_a_file_over_the_limit_is_refused_with_both_sizes():
    upload = encoded(halves(), "PNG")
    reason = refusal(upload, max_bytes=len(upload) - 1)
    assert reason.template == pictures.TOO_LARGE
    refused = refusal(b"\x89PNG\r\n\x1a\n" + bytes(12_345_678), max_bytes=LIMIT)
    assert refused.in_words() == "The file takes 12.4 MB; a picture may take up to 10 MB."
    assert prepare_picture(upload, "a.png", max_bytes=len(upload)).name == "a.png"


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_picture_is_refused_as_damaged(format):
    upload = encoded(Image.effect_noise((64, 64), 60).convert("RGB"), format)
    reason = refusal(upload[: len(upload) // 2])
    assert reason.template == pictures.DAMAGED


def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded():
    # 48 million pixels in a few kilobytes: decoding it would take 48 MB and a while.
    bomb = encoded(Image.new("1", (8000, 6000)), "PNG")
    assert len(bomb) < 100_000
    started = time.perf_counter()
    reason = refusal(bomb)
    assert time.perf_counter() - started < 0.5
    assert reason.template == pictures.TOO_MANY_PIXELS
    assert reason.in_words(number="{:,}".format) == (
        "The picture measures 8,000 × 6,000 pixels, more than the 40,000,000 pixels a picture "
        "may have: make it smaller and send it again."
    )


def test_the_pixel_limit_is_the_callers():
    upload = encoded(halves(), "PNG")
    assert refusal(upload, max_pixels=799).template == pictures.TOO_MANY_PIXELS
    assert prepare_picture(upload, "a.png", max_bytes=LIMIT, max_pixels=800).width == 40


def png_chunk(name: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))


def test_a_header_claiming_billions_of_pixels_is_refused():
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(bytes(1000)))
        + png_chunk(b"IEND", b"")
    )
    reason = refusal(bomb, max_pixels=10**12)
    assert reason.template == pictures.FAR_TOO_MANY_PIXELS


# Pillow warns of corrupt EXIF and reads on; only pytest makes a warning an error.
@pytest.mark.filterwarnings("ignore::UserWarning:PIL")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    format=st.sampled_from(["JPEG", "PNG", "WEBP"]),
    cut=st.integers(min_value=1),
    flipped=st.integers(min_value=0),
)
def test_a_damaged_picture_is_prepared_or_refused_never_a_crash(format, cut, flipped):
    upload = bytearray(encoded(halves(), format, exif=photo_exif()))
    upload[flipped % len(upload)] ^= 0xFF
    data = bytes(upload[: len(upload) - cut % len(upload)])
    with contextlib.suppress(PictureRefused):
        prepare_picture(data, "x", max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("uploaded", "kept"),
    [
        ("Reunião Março.JPG", "reuniao-marco.jpg"),
        ("C:\\fakepath\\Straße  Ærø (1).jpeg", "strasse-aero-1.jpg"),
        ("/home/ana/Fotos/_Ñandú_.final.v2.jpg", "nandu-final-v2.jpg"),
        ("会议.jpg", "picture.jpg"),
        ("", "picture.jpg"),
        ("CON.jpg", "con-picture.jpg"),
        ("a" * 200 + ".jpg", "a" * 60 + ".jpg"),
    ],
)
def test_the_picture_is_named_in_lower_case_ascii(uploaded, kept):
    photo = encoded(halves(), "JPEG")
    assert prepare_picture(photo, uploaded, max_bytes=LIMIT).name == kept


def test_a_refusal_is_translated_with_its_values():
    reason = refusal(encoded(halves(), "JPEG")[:300], "photo.jpg")
    spanish = {pictures.DAMAGED: "La imagen %(format)s está dañada."}
    assert reason.in_words(lambda template: spanish[template]) == "La imagen JPEG está dañada."


DRAWING = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     width="120" height="80px" viewBox="0 0 120 80" onload="alert(1)">
  <title>Two circles</title>
  <script>alert(document.cookie)</script>
  <defs>
    <linearGradient id="sky"><stop offset="0" stop-color="#09f"/></linearGradient>
    <circle id="dot" r="4"/>
  </defs>
  <inkscape:namedview inkscape:zoom="2"/>
  <g onclick="steal()" style="fill:#c00;stroke:url(https://evil.example/x.svg#a);cursor:pointer">
    <circle cx="20" cy="20" r="10" fill="url(#sky)"/>
    <rect x="40" y="0" width="10" height="10" fill="url(http://evil.example/p)"/>
    <use href="#dot" x="60"/>
    <use xlink:href="#dot" x="70"/>
    <use href="https://evil.example/sprites.svg#dot" x="80"/>
    <use xlink:href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" x="90"/>
  </g>
  <foreignObject width="100" height="50"><p xmlns="http://www.w3.org/1999/xhtml">Hi</p>
  </foreignObject>
  <image href="https://evil.example/tracker.png" width="1" height="1"/>
  <a href="javascript:alert(1)"><text x="5" y="70">Label</text></a>
  <text x="5" y="60">See <a href="https://evil.example/">the site</a> now<script/>,
    <inkscape:label/>please</text>
  <switch><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">Box</div></foreignObject>
    <text x="5" y="50">Box</text></switch>
  <style>@import url(https://evil.example/font.css);</style>
  <style>@import "https://evil.example/bare.css";</style>
  <circle cx="5" cy="5" r="1" fill="\\75 rl(https://evil.example/escaped)"/>
  <style>.label { fill: #333 } .shade { fill: url(#sky) }</style>
</svg>
"""


@pytest.fixture
def cleaned_drawing() -> tuple[Picture, ET.Element]:
    picture = prepare_picture(DRAWING, "Diagrama Nº 1.svg", max_bytes=LIMIT)
    return picture, ET.fromstring(picture.data)


def elements(root: ET.Element) -> list[str]:
    return [element.tag.removeprefix(SVG_NS) for element in root.iter()]


def test_an_svg_loses_its_scripts_and_everything_outside_the_drawing(cleaned_drawing):
    picture, root = cleaned_drawing
    assert (picture.name, picture.media_type) == ("diagrama-no-1.svg", "image/svg+xml")
    for gone in ("script", "foreignObject", "image", "a", "namedview", "p"):
        assert gone not in elements(root)
    for gone in (b"alert", b"steal", b"evil.example", b"javascript", b"data:", b"inkscape"):
        assert gone not in picture.data
    assert not [name for element in root.iter() for name in element.attrib if "on" in name]


def test_an_svg_keeps_its_drawing(cleaned_drawing):
    picture, root = cleaned_drawing
    assert root.tag == f"{SVG_NS}svg"
    assert (picture.width, picture.height) == (120, 80)
    assert root.get("viewBox") == "0 0 120 80"
    assert root.find(f"{SVG_NS}title").text == "Two circles"
    assert root.find(f".//{SVG_NS}circle[@cx='20']").get("fill") == "url(#sky)"
    assert root.find(f".//{SVG_NS}stop").get("stop-color") == "#09f"
    assert [use.get("href") for use in root.iter(f"{SVG_NS}use")] == ["#dot", "#dot", None, None]
    # The links are gone, their text is kept.
    assert root.find(f"{SVG_NS}g/{SVG_NS}text").text == "Label"
    sentence = root.find(f"{SVG_NS}text[@y='60']")
    assert " ".join("".join(sentence.itertext()).split()) == "See the site now, please"
    assert sentence.find(f"{SVG_NS}tspan").text == "the site"
    # What a diagram tool writes for a box: its plain text is what is drawn.
    assert [text.text for text in root.iterfind(f"{SVG_NS}switch/{SVG_NS}text")] == ["Box"]
    (style,) = root.iter(f"{SVG_NS}style")
    assert ".shade { fill: url(#sky) }" in style.text


def test_an_svg_style_attribute_becomes_presentation_attributes(cleaned_drawing):
    _picture, root = cleaned_drawing
    group = root.find(f"{SVG_NS}g")
    # The site's CSP blocks style="" and the stroke pointed elsewhere: what can stay, does.
    assert group.attrib == {"fill": "#c00"}
    assert root.find(f".//{SVG_NS}rect").get("fill") is None


def test_an_svg_without_its_namespace_gets_it():
    picture = prepare_picture(b'<svg width="10" height="10"><rect/></svg>', "a.svg", max_bytes=99)
    assert elements(ET.fromstring(picture.data)) == ["svg", "rect"]
    assert ET.fromstring(picture.data).tag == f"{SVG_NS}svg"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>
"""


@pytest.mark.parametrize(
    "svg",
    [
        BILLION_LAUGHS,
        b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>',
    ],
)
def test_an_svg_declaring_entities_or_a_document_type_is_refused(svg):
    assert refusal(svg, "a.svg").template == pictures.SVG_DECLARATIONS


def test_an_svg_that_is_not_well_formed_is_refused_where_it_breaks():
    reason = refusal(b'<svg xmlns="http://www.w3.org/2000/svg">\n  <g></svg>', "a.svg")
    assert reason.template == pictures.SVG_NOT_WELL_FORMED
    assert reason.values == {"line": 2, "column": 8}


def test_xml_that_is_not_an_svg_is_refused():
    reason = refusal(b'<html><body onload="x()"></body></html>', "page.svg")
    assert reason.in_words() == "The file's root element is <html>, not <svg>."


def test_an_svg_nested_too_deep_is_refused():
    deep = b"<svg>" + b"<g>" * 150 + b"</g>" * 150 + b"</svg>"
    assert refusal(deep, "a.svg").template == pictures.SVG_TOO_DEEP
