"""A picture a trainer uploads, made safe to keep in a lesson's folder and show to learners.

Photos carry more than their pixels: the place they were taken (GPS), the camera, the date,
sometimes the owner's name. Each raster picture is therefore decoded and encoded again by
Pillow with none of that kept, after its EXIF orientation has been applied so that it stays
upright. Its format is read from its bytes, never from its name or the type the browser
declared, and its size in pixels is checked from the header, before any decoding, so a small
file that would unpack into gigabytes is refused at once. SVG drawings are text a browser
runs: they are parsed without document types or entities and rebuilt from an allowlist of
drawing elements and attributes.

A refusal carries an English template with `%(name)s` placeholders and the values apart, as
a `Problem` does, so the page that shows it translates it."""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

from app.content.problems import N_

if TYPE_CHECKING:
    from PIL import Image

EMPTY = N_("The file is empty.")
TOO_LARGE = N_("The file takes %(size)s MB; a picture may take up to %(limit)s MB.")
NOT_A_PICTURE = N_(
    "The file is not a picture the site accepts: send a PNG, JPEG, WebP or SVG file."
)
DAMAGED = N_(
    "The %(format)s picture is damaged or incomplete: save it again and send the new file."
)
TOO_MANY_PIXELS = N_(
    "The picture measures %(width)s × %(height)s pixels, more than the %(limit)s pixels a "
    "picture may have: make it smaller and send it again."
)
ANIMATED = N_(
    "Animated pictures are not accepted, because learners cannot pause them: send a still picture."
)
FAR_TOO_MANY_PIXELS = N_(
    "The picture has far more than the %(limit)s pixels a picture may have: make it smaller "
    "and send it again."
)
SVG_NOT_WELL_FORMED = N_("The SVG file is not well-formed XML (line %(line)s, column %(column)s).")
SVG_DECLARATIONS = N_(
    "The SVG file declares a document type or entities, which a picture may not do."
)
SVG_NOT_SVG = N_("The file's root element is <%(element)s>, not <svg>.")
SVG_TOO_DEEP = N_("The SVG file nests its elements more than %(limit)s levels deep.")


class PictureRefused(ValueError):
    """An upload that cannot become a lesson's picture, and why, in words to translate."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template % values if values else template)
        self.template = template
        self.values: Mapping[str, object] = values

    def in_words(
        self,
        translate: Callable[[str], str] = str,
        number: Callable[[int | float], object] = str,
    ) -> str:
        """The reason, its template put through `translate` and its numbers through `number`
        (a view passes flask_babel's `format_decimal`, so 40000000 reads 40.000.000 in
        Spanish)."""
        values = {
            key: number(value) if isinstance(value, int | float) else value
            for key, value in self.values.items()
        }
        template = translate(self.template)
        return template % values if values else template


@dataclass(frozen=True, slots=True)
class Picture:
    """A picture ready to be written into a lesson's folder as `name`."""

    name: str
    data: bytes = field(repr=False)
    media_type: str
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class _Format:
    pillow: str
    extension: str
    media_type: str
    shown: str


PNG = _Format("PNG", "png", "image/png", "PNG")
JPEG = _Format("JPEG", "jpg", "image/jpeg", "JPEG")
WEBP = _Format("WEBP", "webp", "image/webp", "WebP")
SVG = _Format("", "svg", "image/svg+xml", "SVG")

JPEG_QUALITY = 90
WEBP_QUALITY = 90


def prepare_picture(
    data: bytes, filename: str, *, max_bytes: int, max_pixels: int = 40_000_000
) -> Picture:
    """The upload `data`, sent as `filename`, as a picture safe to keep in a lesson's folder:
    a PNG, JPEG or WebP encoded again without its metadata, or an SVG rebuilt from the
    drawing elements it holds. Raises `PictureRefused` for anything else."""
    if not data:
        raise PictureRefused(EMPTY)
    if len(data) > max_bytes:
        raise PictureRefused(
            TOO_LARGE, size=_megabytes(len(data), up=True), limit=_megabytes(max_bytes, up=False)
        )
    kind = _format_of(data)
    if kind is SVG:
        svg, width, height = _clean_svg(data)
        return Picture(_safe_name(filename, SVG), svg, SVG.media_type, width, height)
    image = _opened(data, kind, max_pixels)
    encoded = _encoded(image, kind, lossless=kind is WEBP and _is_lossless_webp(data))
    return Picture(_safe_name(filename, kind), encoded.getvalue(), kind.media_type, *image.size)


def _megabytes(size: int, *, up: bool) -> int | float:
    """`size` in megabytes to one decimal, rounded so that a file over the limit never
    reads as the limit itself."""
    tenths = -(-size // 100_000) if up else size // 100_000
    return tenths // 10 if tenths % 10 == 0 else tenths / 10


def _format_of(data: bytes) -> _Format:
    """The format the bytes are in, from their first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return SVG
    raise PictureRefused(NOT_A_PICTURE)


def _opened(data: bytes, kind: _Format, max_pixels: int) -> Image.Image:
    """The decoded picture, upright. Only the plugin of the format the bytes announce may
    read them, and the size in pixels is checked before any decoding."""
    # Only trainers sending a picture need Pillow: imported at start-up it cost every
    # process about 10 ms.
    from PIL import Image, ImageOps

    try:
        image = Image.open(io.BytesIO(data), formats=[kind.pillow])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own ceiling, far above ours, met before the size can be read.
        raise PictureRefused(FAR_TOO_MANY_PIXELS, limit=max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise PictureRefused(DAMAGED, format=kind.shown) from error
    width, height = image.size
    if width * height > max_pixels:
        raise PictureRefused(TOO_MANY_PIXELS, width=width, height=height, limit=max_pixels)
    if getattr(image, "is_animated", False):
        raise PictureRefused(ANIMATED)
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise PictureRefused(DAMAGED, format=kind.shown) from error


def _encoded(image: Image.Image, kind: _Format, *, lossless: bool) -> io.BytesIO:
    """The pixels encoded again, with nothing of the original file but the colour profile
    and the transparency. The ICC profile stays because without it a photo taken in a wide
    gamut (a phone's Display P3) is shown with dull, shifted colours; it describes the
    device's colours, not the person or the place."""
    icc_profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    if kind is JPEG and image.mode not in ("L", "RGB"):
        # A CMYK profile does not describe the RGB pixels the conversion makes.
        image, icc_profile = image.convert("RGB"), None
    # Pillow writes some of `info` back (a JPEG's comment, a PNG's transparency) unless told.
    image.info = {}
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if kind is JPEG:
        options |= {"quality": JPEG_QUALITY, "optimize": True}
    elif kind is PNG:
        if transparency is not None:
            options["transparency"] = transparency
    elif lossless:
        options |= {"lossless": True, "exact": True}
    else:
        options["quality"] = WEBP_QUALITY
    output = io.BytesIO()
    image.save(output, kind.pillow, **options)
    return output


def _is_lossless_webp(data: bytes) -> bool:
    """Whether the WebP is a lossless one (a drawing, a screenshot), to keep it lossless."""
    return any(chunk == b"VP8L" for chunk in _riff_chunks(data))


def _riff_chunks(data: bytes) -> Iterator[bytes]:
    offset = 12
    while offset + 8 <= len(data):
        name, size = (
            data[offset : offset + 4],
            int.from_bytes(data[offset + 4 : offset + 8], "little"),
        )
        yield name
        offset += 8 + size + size % 2


# Letters NFKD does not take apart into a base letter and an accent.
_SPELLED_IN_ASCII = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}
)
# Names Windows keeps for devices, whatever the extension: a trainer's clone would break.
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {
    f"{device}{number}" for device in ("com", "lpt") for number in range(1, 10)
}
_NAME_LENGTH = 60


def _safe_name(filename: str, kind: _Format) -> str:
    """`filename` in lower-case ASCII letters, digits and hyphens, with the extension of the
    format the picture is really in: "Reunião Março.JPG" becomes "reuniao-marco.jpg"."""
    # Some browsers send the whole path the file was picked from, with either separator.
    stem = PureWindowsPath(filename).stem
    spelled = unicodedata.normalize("NFKD", stem.casefold().translate(_SPELLED_IN_ASCII))
    ascii_stem = spelled.encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_stem)
    safe = "-".join(words)[:_NAME_LENGTH].strip("-") or "picture"
    if safe in _WINDOWS_DEVICES:
        safe += "-picture"
    return f"{safe}.{kind.extension}"


SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML_NAMESPACE = "{http://www.w3.org/XML/1998/namespace}"
# The drawing elements kept. Markers (arrow heads) and patterns (hatching) are drawing too,
# and common in diagrams, as is the <switch> diagram tools put a <foreignObject> in, with
# a plain <text> after it that is drawn once the <foreignObject> has gone.
SVG_ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
    "tspan", "title", "desc", "defs", "linearGradient", "radialGradient", "stop", "use",
    "clipPath", "mask", "symbol", "marker", "pattern", "switch", "style",
}  # fmt: skip
# Presentation properties, also what a style="" attribute is turned into: the site's
# Content-Security-Policy would block a style attribute if the SVG is opened on its own.
SVG_PRESENTATION = {
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset",
    "stroke-opacity", "opacity", "color", "display", "visibility", "clip-path", "clip-rule",
    "mask", "font-family", "font-size", "font-style", "font-weight", "font-variant",
    "font-stretch", "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift",
    "letter-spacing", "word-spacing", "text-decoration", "writing-mode", "direction",
    "stop-color", "stop-opacity", "marker-start", "marker-mid", "marker-end", "paint-order",
    "vector-effect", "shape-rendering", "text-rendering", "overflow", "color-interpolation",
}  # fmt: skip
SVG_ATTRIBUTES = SVG_PRESENTATION | {
    "id", "class", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy",
    "fr", "width", "height", "d", "points", "transform", "viewBox", "preserveAspectRatio",
    "version", "dx", "dy", "rotate", "textLength", "lengthAdjust", "gradientUnits",
    "gradientTransform", "spreadMethod", "offset", "clipPathUnits", "maskUnits",
    "maskContentUnits", "patternUnits", "patternContentUnits", "patternTransform",
    "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient", "pathLength",
    "role", "aria-label", "lang", "href", f"{XML_NAMESPACE}space", f"{XML_NAMESPACE}lang",
}  # fmt: skip
SVG_MAX_DEPTH = 100
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)
_SVG_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*")


def _clean_svg(data: bytes) -> tuple[bytes, int | None, int | None]:
    """The drawing in `data` rebuilt from allowed elements and attributes only, with its
    width and height where they are given in pixels."""
    try:
        root = parse_xml(data, forbid_dtd=True)
    except ET.ParseError as error:
        line, column = error.position
        raise PictureRefused(SVG_NOT_WELL_FORMED, line=line, column=column + 1) from None
    except DefusedXmlException:
        raise PictureRefused(SVG_DECLARATIONS) from None
    namespace, local = _split(root.tag)
    if local != "svg" or namespace not in ("", SVG_NAMESPACE):
        raise PictureRefused(SVG_NOT_SVG, element=local)
    clean = _cleaned(root, depth=0)
    assert clean is not None, "an <svg> root is always kept"
    # Browsers draw an SVG picture only in the SVG namespace; one sent without it gets it.
    clean.set("xmlns", SVG_NAMESPACE)
    return ET.tostring(clean, encoding="utf-8", xml_declaration=False), *_svg_size(clean)


def _split(tag: str) -> tuple[str, str]:
    namespace, _, local = tag.rpartition("}")
    return namespace.removeprefix("{"), local


def _cleaned(element: ET.Element, depth: int, parent: str = "") -> ET.Element | None:
    """`element` as kept, with its allowed attributes and children, or None."""
    if depth > SVG_MAX_DEPTH:
        raise PictureRefused(SVG_TOO_DEEP, limit=SVG_MAX_DEPTH)
    namespace, local = _split(element.tag)
    if namespace not in ("", SVG_NAMESPACE):
        return None
    if local == "a":
        # The link goes, what it holds stays: shapes in a group, words in a span of text.
        local = "tspan" if parent in ("text", "tspan") else "g"
    if local not in SVG_ELEMENTS or (local == "style" and not _is_self_contained(element.text)):
        return None
    clean = ET.Element(local, _cleaned_attributes(element))
    clean.text, clean.tail = element.text, element.tail
    for child in element:
        kept = _cleaned(child, depth + 1, local)
        if kept is not None:
            clean.append(kept)
        elif child.tail:
            # The words after an element that goes stay where they were.
            if len(clean):
                clean[-1].tail = (clean[-1].tail or "") + child.tail
            else:
                clean.text = (clean.text or "") + child.tail
    return clean


def _cleaned_attributes(element: ET.Element) -> dict[str, str]:
    """The allowed attributes, a style="" attribute turned into presentation attributes
    (which it overrides, as CSS does), and links to this file only."""
    attributes = dict(element.attrib)
    for declaration in attributes.pop("style", "").split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), value.replace("!important", "").strip()
        if name in SVG_PRESENTATION and value:
            attributes[name] = value
    if XLINK_HREF in attributes:
        attributes.setdefault("href", attributes.pop(XLINK_HREF))
    return {
        name: value
        for name, value in attributes.items()
        if name in SVG_ATTRIBUTES
        and _is_self_contained(value)
        and (name != "href" or value.startswith("#"))
    }


def _is_self_contained(css: str | None) -> bool:
    """Whether a CSS text or attribute value refers to nothing outside the file. A backslash
    could spell url( in a CSS escape, so none is kept."""
    text = (css or "").lower()
    if "\\" in text or "@import" in text or "image-set(" in text:
        return False
    return all(target.startswith("#") for target in _URL.findall(text))


def _svg_size(root: ET.Element) -> tuple[int | None, int | None]:
    sizes = [_SVG_SIZE.fullmatch(root.get(name, "")) for name in ("width", "height")]
    if all(sizes):
        return round(float(sizes[0][1])), round(float(sizes[1][1]))
    return None, None
