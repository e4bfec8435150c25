"""PDF sheets written page by page, so memory stays flat for any count.

The file is built by hand (PDF 1.4, ISO 32000-1 §7.5): each page and its
compressed content stream are emitted as soon as they are drawn; only object
offsets are kept for the cross-reference table at the end. reportlab keeps every
page until ``save()`` (541 MB for 100,000 labels), so it is used only for font
metrics and subsetting.

Each label is the run's text, drawn once into a form XObject and placed per
label, the label number, and the QR as integer ``re`` runs under one ``cm``
transform: a module is one unit, so the symbol is a whole number of modules.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

from appletrace.labels import parallel
from appletrace.labels.fonts import CidFallback, LabelFont, TrueTypeSubset
from appletrace.labels.job import LabelJob
from appletrace.labels.layout import PT_PER_MM, TextLine, label_origins, layout_text
from appletrace.labels.pages import PageDrawer

Progress = Callable[[int], None]


class ObjectWriter:
    """Numbers PDF objects and frames them, counting bytes for the xref table."""

    def __init__(self) -> None:
        self.offsets: dict[int, int] = {}
        self.position = 0
        self.last = 0

    def reserve(self) -> int:
        """A new object number."""
        self.last += 1

        return self.last

    def emit(self, data: bytes) -> bytes:
        """Count bytes that go out as they are."""
        self.position += len(data)

        return data

    def obj(self, number: int, body: bytes) -> bytes:
        """An indirect object."""
        self.offsets[number] = self.position

        return self.emit(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def stream(self, number: int, entries: bytes, data: bytes) -> bytes:
        """A stream object; ``entries`` are extra dictionary entries."""
        head = b"<< /Length %d %s >>\nstream\n" % (len(data), entries)

        return self.obj(number, head + data + b"\nendstream")

    def trailer(self, root: int, info: int) -> bytes:
        """The cross-reference table and trailer (ISO 32000-1 §7.5.4-5)."""
        start = self.position
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % (self.last + 1)]
        rows += [b"%010d 00000 n \n" % self.offsets[n] for n in range(1, self.last + 1)]
        rows.append(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\n"
            % (self.last + 1, root, info)
        )
        rows.append(b"startxref\n%d\n%%%%EOF\n" % start)

        return self.emit(b"".join(rows))


def value(item: Any) -> bytes:
    """A Python value as PDF syntax: dicts, lists, numbers, names as '/X' text."""
    if isinstance(item, dict):
        inner = b" ".join(b"/%s %s" % (k.encode(), value(v)) for k, v in item.items())
        return b"<< " + inner + b" >>"

    if isinstance(item, list | tuple):
        return b"[" + b" ".join(value(v) for v in item) + b"]"

    if isinstance(item, float):
        return (b"%.4f" % item).rstrip(b"0").rstrip(b".")

    return str(item).encode()


def text_ops(lines: tuple[TextLine, ...], font: LabelFont, height_mm: float) -> bytes:
    """Operators drawing the run's lines of one label, origin at its bottom-left."""
    ops = [b"BT"]
    for line in lines:
        if line.field == "number" or not line.text:
            continue

        x = line.x_mm * PT_PER_MM
        y = (height_mm - line.baseline_mm) * PT_PER_MM
        ops.append(
            b"/F1 %s Tf 1 0 0 1 %s %s Tm %s Tj"
            % (value(line.size_pt), value(x), value(y), font.encode(line.text))
        )

    return b"\n".join([*ops, b"ET"])


def font_objects(w: ObjectWriter, font: LabelFont, number: int) -> Iterator[bytes]:
    """The objects of the label font; the font dictionary is object ``number``."""
    if isinstance(font, TrueTypeSubset):
        yield from _truetype_objects(w, font, number)
    else:
        yield from _cid_objects(w, number)


def _truetype_objects(
    w: ObjectWriter, font: TrueTypeSubset, number: int
) -> Iterator[bytes]:
    descriptor, program, to_unicode = w.reserve(), w.reserve(), w.reserve()
    # A subset's name starts with six capital letters and '+' (ISO 32000-1 §9.6.4).
    name = "/APLTRC+" + font.name
    file = font.file
    yield w.obj(
        number,
        value(
            {
                "Type": "/Font",
                "Subtype": "/TrueType",
                "BaseFont": name,
                "FirstChar": 0,
                "LastChar": len(font.characters) - 1,
                "Widths": [round(x) for x in font.widths],
                "FontDescriptor": f"{descriptor} 0 R",
                "ToUnicode": f"{to_unicode} 0 R",
            }
        ),
    )
    yield w.obj(
        descriptor,
        value(
            {
                "Type": "/FontDescriptor",
                "FontName": name,
                # Symbolic: the subset's codes are its own, not a standard encoding.
                "Flags": 4,
                "FontBBox": [round(x) for x in file.bbox],
                "ItalicAngle": 0,
                "Ascent": round(file.ascent),
                "Descent": round(file.descent),
                "CapHeight": round(file.capHeight),
                "StemV": round(file.stemV),
                "FontFile2": f"{program} 0 R",
            }
        ),
    )
    data = font.subset()
    packed = zlib.compress(data, 6)
    yield w.stream(program, b"/Length1 %d /Filter /FlateDecode" % len(data), packed)
    yield w.stream(to_unicode, b"", _to_unicode(font.characters))


def _to_unicode(characters: list[str]) -> bytes:
    # The CMap that lets a reader copy the text (ISO 32000-1 §9.10.3).
    pairs = "\n".join(f"<{i:02X}> <{ord(c):04X}>" for i, c in enumerate(characters))
    body = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        f"1 begincodespacerange <00> <{len(characters) - 1:02X}> endcodespacerange\n"
        f"{len(characters)} beginbfchar\n{pairs}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    )

    return body.encode()


def _cid_objects(w: ObjectWriter, number: int) -> Iterator[bytes]:
    from reportlab.pdfbase._cidfontdata import CIDFontInfo

    info = CIDFontInfo[CidFallback.name]["DescendantFonts"][0]
    descendant, descriptor = w.reserve(), w.reserve()
    yield w.obj(
        number,
        value(
            {
                "Type": "/Font",
                "Subtype": "/Type0",
                "BaseFont": "/" + CidFallback.name,
                "Encoding": "/UniGB-UCS2-H",
                "DescendantFonts": [f"{descendant} 0 R"],
            }
        ),
    )
    fields = {k: v for k, v in info.items() if k != "FontDescriptor"}
    yield w.obj(descendant, value({**fields, "FontDescriptor": f"{descriptor} 0 R"}))
    yield w.obj(descriptor, value(info["FontDescriptor"]))


def number_codes(font: LabelFont) -> dict[str, str] | None:
    """How worker processes encode label numbers: subset codes, or UCS-2 if None."""
    return font.codes if isinstance(font, TrueTypeSubset) else None


def pdf_stream(
    job: LabelJob,
    font: LabelFont,
    workers: int = 1,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The PDF of a job, in chunks written as the pages are drawn."""
    template = job.template
    lines = layout_text(template, job.text, font.width_mm)
    drawer = PageDrawer(job, lines, number_codes(font), label_origins(template))
    w = ObjectWriter()
    catalog, pages, resources, font_ref, form, info = (w.reserve() for _ in range(6))
    yield w.emit(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    yield from font_objects(w, font, font_ref)
    yield _form(w, form, font_ref, lines, font, template.label_mm)
    yield w.obj(
        resources,
        b"<< /Font << /F1 %d 0 R >> /XObject << /T1 %d 0 R >> >>" % (font_ref, form),
    )
    width, height = (x * PT_PER_MM for x in template.page_mm)
    kids = []
    for content, labels in parallel.page_contents(drawer, workers):
        page, stream = w.reserve(), w.reserve()
        yield w.stream(stream, b"/Filter /FlateDecode", content)
        yield w.obj(
            page,
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources %d 0 R "
            b"/Contents %d 0 R >>"
            % (pages, value(width), value(height), resources, stream),
        )
        kids.append(page)
        if progress:
            progress(labels)

    yield from _closing(w, catalog, pages, info, kids)


def _form(
    w: ObjectWriter,
    number: int,
    font_ref: int,
    lines: tuple[TextLine, ...],
    font: LabelFont,
    label_mm: tuple[float, float],
) -> bytes:
    width, height = (x * PT_PER_MM for x in label_mm)
    entries = b"/Type /XObject /Subtype /Form /BBox [0 0 %s %s] " % (
        value(width),
        value(height),
    )
    entries += (
        b"/Resources << /Font << /F1 %d 0 R >> >> /Filter /FlateDecode" % font_ref
    )
    ops = text_ops(lines, font, label_mm[1])

    return w.stream(number, entries, zlib.compress(ops, 6))


def _closing(
    w: ObjectWriter, catalog: int, pages: int, info: int, kids: list[int]
) -> Iterator[bytes]:
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    yield w.obj(pages, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(kids), refs))
    yield w.obj(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
    yield w.obj(info, b"<< /Producer (appletrace labels) /Title (QR labels) >>")
    yield w.trailer(catalog, info)
