"""ZPL II for Zebra-type thermal printers at 203 or 300 dpi.

Each label is one ``^XA … ^XZ`` format. The QR is the printer's own ``^BQ``
(model 2, error correction M, data ``MA,`` = level M, automatic modes), its
module a whole number of dots; or, with ``bitmap``, our matrix sent as a ``^GF``
graphic, for printers that should not encode. The run's text is rendered once,
stored on the printer with ``~DG`` and recalled per label with ``^XG``; the
label number uses the built-in font 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PIL import Image

from appletrace.labels.fonts import FontFile
from appletrace.labels.job import LabelJob
from appletrace.labels.layout import TextLine, place_qr
from appletrace.labels.qr import QUIET_ZONE, Matrix
from appletrace.labels.raster import dots, draw_lines, qr_image, zebra_bits
from appletrace.labels.text import number
from appletrace.trace.errors import InvalidInput

ZPL_DPIS = (203, 300)
# At least 3 dots a module at 203 dpi and 4 at 300 dpi keep modules legible on
# thermal heads; ^BQ takes a magnification of 1 to 10.
MIN_MODULE_DOTS = {203: 3, 300: 4}
MAX_MODULE_DOTS = 10
TEXT_GRAPHIC = "R:APLTEXT.GRF"


def graphic_field(image: Image.Image) -> str:
    """``^GFA`` with the image's dots as hex: total bytes, row bytes, data."""
    row_bytes, data = zebra_bits(image)

    return f"^GFA,{len(data)},{len(data)},{row_bytes},{data.hex().upper()}"


def download_graphic(image: Image.Image, name: str = TEXT_GRAPHIC) -> str:
    """``~DG``: store an image on the printer under ``name``."""
    row_bytes, data = zebra_bits(image)

    return f"~DG{name},{len(data)},{row_bytes},{data.hex().upper()}"


def module_dots(job: LabelJob, size: int) -> int:
    """Dots per module for a ``size``-module QR on the job's label, checked."""
    if job.dpi not in ZPL_DPIS:
        raise InvalidInput(
            "dpi",
            f"ZPL is made for 203 or 300 dpi, not {job.dpi}; pass --dpi 203 or "
            "300 or a roll template",
        )

    found = min(place_qr(job.template, size, job.dpi).module_dots, MAX_MODULE_DOTS)
    least = MIN_MODULE_DOTS[job.dpi]
    if found < least:
        raise InvalidInput(
            "template",
            f"template {job.template.name!r} leaves {found} dots a module at "
            f"{job.dpi} dpi; thermal printers need {least}: use a larger label",
        )

    return found


def text_graphic(
    job: LabelJob, lines: tuple[TextLine, ...], font: FontFile | None
) -> Image.Image:
    """The run's text on a blank label, as the image ``~DG`` stores."""
    width, height = job.template.label_mm
    image = Image.new("L", (dots(width, job.dpi), dots(height, job.dpi)), 255)
    static = tuple(x for x in lines if x.field != "number")
    draw_lines(image, static, job.dpi, font)

    return image


def zpl_stream(
    job: LabelJob,
    lines: tuple[TextLine, ...],
    font: FontFile | None,
    bitmap: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The ZPL of a job: the text graphic once, then one format per label."""
    width, height = (dots(x, job.dpi) for x in job.template.label_mm)
    yield (download_graphic(text_graphic(job, lines, font)) + "\n").encode()

    number_line = next((x for x in lines if x.field == "number"), None)
    step = 256
    for first in range(job.start, job.stop, step):
        last = min(first + step, job.stop)
        formats = []
        for index, uri, matrix in job.labels(first, last):
            formats.append(
                _format(job, index, matrix, uri, (width, height), number_line, bitmap)
            )

        yield "".join(formats).encode()
        if progress:
            progress(last - first)


def _format(
    job: LabelJob,
    index: int,
    matrix: Matrix,
    uri: str,
    size: tuple[int, int],
    number_line: TextLine | None,
    bitmap: bool,
) -> str:
    place = place_qr(job.template, matrix.size, job.dpi)
    magnification = module_dots(job, matrix.size)
    x, y = dots(place.x_mm, job.dpi), dots(place.y_mm, job.dpi)
    fields = [f"^XA^PW{size[0]}^LL{size[1]}^LH0,0", f"^FO0,0^XG{TEXT_GRAPHIC},1,1^FS"]
    if bitmap:
        quiet = QUIET_ZONE * magnification
        image = qr_image(matrix, magnification)
        fields.append(f"^FO{x - quiet},{y - quiet}{graphic_field(image)}^FS")
    else:
        fields.append(f"^FO{x},{y}^BQN,2,{magnification},M^FDMA,{uri}^FS")

    if number_line is not None:
        height = dots(number_line.size_pt / 72 * 25.4, job.dpi)
        top = dots(number_line.baseline_mm, job.dpi) - height
        label = number(job.key.run_id, index)
        fields.append(
            f"^FO{dots(number_line.x_mm, job.dpi)},{top}^A0N,{height},{height}"
            f"^FD{label}^FS"
        )

    fields.append("^PQ1^XZ\n")

    return "\n".join(fields)
