"""A report's chart (registry.Chart: bar or line, labels, series) drawn on the server, for the print view
(an inline SVG, no script) and the PDF (a reportlab Drawing, the same shapes): one layout, two outputs,
so the printed page and the PDF show the same chart.

Readable in black and white: each series has its own fill (dark, white, hatched, grey, cross-hatched …)
or its own dash and marker, all outlined in ink, with a legend; the axis and the values over the bars say
what the figures are in the table's words (money ¥12,345.67, counts 1,234, percentages 12.34%).

    svg = chart_svg(chart, kinds=chart_kinds(result, chart))           # str, safe to mark_safe
    drawing = chart_drawing(chart, kinds=..., width=515, font="...")  # a platypus flowable

Coordinates are floats (geometry only); the figures are formatted from their Decimal values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from html import escape as html_escape
from xml.sax.saxutils import escape

from ioudesk.reports import running

INK = "#111827"
GRID = "#d1d5db"
AXIS = "#4b5563"
# per series: (fill, hatch) for bars; hatch "diag" (////) or "cross" (xxxx) drawn over the fill
BAR_STYLES = [("#374151", ""), ("#ffffff", ""), ("#ffffff", "diag"), ("#9ca3af", ""), ("#ffffff", "cross"),
              ("#d1d5db", "diag"), ("#6b7280", ""), ("#e5e7eb", "cross")]
# per series: (dash pattern, marker, marker filled) for lines
LINE_STYLES = [((), "circle", True), ((5, 3), "square", False), ((1.5, 2), "triangle", True),
               ((7, 2.5, 1.5, 2.5), "diamond", False), ((3, 2), "circle", False), ((), "square", True)]
MAX_LABEL_CHARS = 12  # a category label longer than this is cut with …
NUMERIC = ("money", "int", "percent", "rate")
DURATION_WORDS = ("小时", "天", "时长", "用时")


# --- what the figures are -------------------------------------------------------------------------------


def _norm(text) -> str:
    return str(text).replace("（元）", "").replace("(元)", "").replace("（%）", "").replace("(%)", "").strip()


def chart_kinds(result, chart) -> list[str]:
    """Each series' kind (money, int, percent, rate, or "number": a plain figure such as hours), from the
    report's own column of the same label when there is one (a text column of figures: number), else
    from the label and the values (…率 or % → percent, 小时/天 → number, whole numbers → int, else money)."""
    columns = {}
    for table in getattr(result, "tables", None) or []:
        for column in table.columns:
            columns.setdefault(_norm(column.label), column.kind)
            columns.setdefault(_norm(running.column_label(column)), column.kind)
    kinds = []
    for label, values in chart.series:
        column_kind = columns.get(_norm(label))
        kind = column_kind
        if kind not in NUMERIC:
            text = str(label)
            present = [v for v in values if v is not None]
            if "%" in text or "％" in text or "率" in text:
                kind = "percent"
            elif column_kind is not None or any(word in text for word in DURATION_WORDS):
                kind = "number"
            elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
                kind = "int"
            else:
                kind = "money"
        kinds.append(kind)
    return kinds


def value_text(value, kind: str) -> str:
    """A figure as the chart prints it: ¥12,345.67, 1,234, 12.34%, 2.5."""
    if value is None:
        return "—"
    if kind == "number":
        number = Decimal(value)
        return format(int(number), ",d") if number == number.to_integral_value() else format(number.normalize(), ",f")
    if kind == "int" and isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return running.figure_text(value, kind)


# --- text measures ------------------------------------------------------------------------------------


def text_width(text: str, size: float) -> float:
    """Roughly how wide a text prints: a CJK character is one em, digits and Latin letters about half."""
    width = 0.0
    for ch in text:
        if ord(ch) > 0x2E7F:
            width += 1.0
        elif ch in " ,.:;'|!il":
            width += 0.3
        elif ch in "¥%MWmw—…":
            width += 0.85
        else:
            width += 0.56
    return width * size


def _cut(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    units, out = 0.0, []
    for ch in text:
        units += 1 if ord(ch) > 0x2E7F else 0.5
        if units > limit:
            return "".join(out) + "…"
        out.append(ch)
    return text


# --- the axis -----------------------------------------------------------------------------------------


def nice_ticks(low: Decimal, high: Decimal, *, integer: bool, count: int = 5) -> list[Decimal]:
    """Round ticks from ≤ low to ≥ high (1, 2, 2.5 or 5 × 10^k apart), 0 always among them."""
    low, high = min(low, Decimal(0)), max(high, Decimal(0))
    if low == high:
        high = low + (Decimal(1) if integer else Decimal(1))
    span = high - low
    raw = span / count
    exponent = raw.adjusted()  # the power of ten of raw's leading digit
    step = None
    for base in (1, 2, Decimal("2.5"), 5, 10):
        candidate = Decimal(base) * Decimal(10) ** exponent
        if candidate >= raw:
            step = candidate
            break
    step = step or Decimal(10) ** (exponent + 1)
    if integer and step < 1:
        step = Decimal(1)
    if integer and step != step.to_integral_value():
        step = step.to_integral_value() + 1
    start = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    ticks = []
    tick = start
    while True:
        ticks.append(tick.normalize() if tick else Decimal(0))
        if tick >= high:
            break
        tick += step
    return ticks


def _tick_text(tick: Decimal, kind: str) -> str:
    if kind == "int":
        return f"{int(tick):,}"
    return value_text(tick, kind)


# --- the layout ---------------------------------------------------------------------------------------


@dataclass
class Shapes:
    width: float
    height: float
    items: list = field(default_factory=list)  # ("rect"|"line"|"poly"|"marker"|"text", {…})

    def add(self, kind: str, **attrs) -> None:
        self.items.append((kind, attrs))


def layout(chart, kinds: list[str] | None = None, *, width: float = 720, height: float = 270,
           font_size: float = 11) -> Shapes:
    """The chart's shapes in a width × height box, y downwards (SVG's way; the PDF flips it)."""
    kinds = kinds or chart_kinds(None, chart)
    kind = kinds[0] if kinds else "money"
    shapes = Shapes(width, height)
    labels = [str(label) for label in chart.labels]
    series = [(str(name), [None if v is None else Decimal(v) for v in values]) for name, values in chart.series]
    small = font_size * 0.85

    # the legend: a swatch and the series name, wrapped over as many lines as it needs
    legend_y, x = font_size, 0.0
    legend: list[tuple[float, float, int, str]] = []
    for index, (name, _values) in enumerate(series):
        item = 22 + text_width(name, small) + 14
        if x and x + item > width:
            x, legend_y = 0.0, legend_y + font_size * 1.5
        legend.append((x, legend_y, index, name))
        x += item
    top = legend_y + font_size * 1.2 if len(series) > 1 or chart.kind == "line" else font_size * 0.6

    present = [v for _n, values in series for v in values if v is not None]
    highest, lowest = max(present, default=Decimal(0)), min(present, default=Decimal(0))
    if chart.kind != "line":  # room above (and below) the tallest bars for their figures
        highest, lowest = highest + (highest - min(lowest, 0)) / 12, lowest - (max(highest, 0) - lowest) / 12 * (lowest < 0)
    ticks = nice_ticks(lowest, highest, integer=kind == "int")
    tick_texts = [_tick_text(t, kind) for t in ticks]
    left = max(text_width(t, small) for t in tick_texts) + 8

    count = max(len(labels), 1)
    plot_w = width - left - 6
    slot = plot_w / count
    shown = [_cut(label) for label in labels]
    widest = max((text_width(label, small) for label in shown), default=0)
    rotate = widest > slot - 4
    every = 1
    if rotate:
        while slot * every < small * 1.25:
            every += 1
        bottom = min(widest, width * 0.3) * 0.64 + small * 1.6  # labels at 40°: sin 40° ≈ 0.64
    else:
        bottom = small * 2
    plot_h = max(height - top - bottom, 40)
    low, high = ticks[0], ticks[-1]

    def y_of(value: Decimal) -> float:
        return top + plot_h - float((value - low) / (high - low)) * plot_h

    # grid lines and the value axis
    for tick, text in zip(ticks, tick_texts, strict=True):
        y = y_of(tick)
        shapes.add("line", x1=left, y1=y, x2=left + plot_w, y2=y, stroke=AXIS if tick == 0 else GRID,
                   width=0.8 if tick == 0 else 0.5, dash=())
        shapes.add("text", x=left - 4, y=y + small * 0.35, text=text, size=small, anchor="end", angle=0, bold=False)
    shapes.add("line", x1=left, y1=top, x2=left, y2=top + plot_h, stroke=AXIS, width=0.8, dash=())
    zero = y_of(Decimal(0))

    # category labels
    for index, label in enumerate(shown):
        if index % every:
            continue
        cx = left + slot * (index + 0.5)
        if rotate:
            shapes.add("text", x=cx + small * 0.3, y=top + plot_h + small * 1.1, text=label, size=small,
                       anchor="end", angle=-40, bold=False)
        else:
            shapes.add("text", x=cx, y=top + plot_h + small * 1.3, text=label, size=small, anchor="middle",
                       angle=0, bold=False)

    if chart.kind == "line":
        for index, (name, values) in enumerate(series):
            dash, marker, filled = LINE_STYLES[index % len(LINE_STYLES)]
            run: list[tuple[float, float]] = []
            points = []
            for position, value in enumerate(values):
                if value is None:
                    if len(run) > 1:
                        shapes.add("poly", points=run, stroke=INK, width=1.4, dash=dash)
                    run = []
                    continue
                point = (left + slot * (position + 0.5), y_of(value))
                run.append(point)
                points.append((point, labels[position], value))
            if len(run) > 1:
                shapes.add("poly", points=run, stroke=INK, width=1.4, dash=dash)
            for (px, py), label, value in points:
                shapes.add("marker", x=px, y=py, shape=marker, filled=filled, size=font_size * 0.32,
                           tip=f"{name} {label}：{value_text(value, kinds[index])}")
    else:
        n = max(len(series), 1)
        bar = min(slot * (0.72 if n > 1 else 0.6) / n, width / 16)  # a few categories: bars stay bars, not walls
        group = bar * n
        labelled = all(text_width(value_text(v, kinds[i]), small * 0.9) <= (bar if n > 1 else slot) * 0.98
                       for i, (_name, values) in enumerate(series) for v in values if v is not None)
        for index, (name, values) in enumerate(series):
            fill, hatch = BAR_STYLES[index % len(BAR_STYLES)]
            for position, value in enumerate(values):
                if value is None:
                    continue
                x0 = left + slot * position + (slot - group) / 2 + bar * index
                y = y_of(value)
                shapes.add("rect", x=x0, y=min(y, zero), w=bar, h=max(abs(zero - y), 0.5), fill=fill, hatch=hatch,
                           tip=f"{name} {labels[position]}：{value_text(value, kinds[index])}")
                if labelled:
                    above = value >= 0
                    shapes.add("text", x=x0 + bar / 2, y=(y - 2.5) if above else (y + small), size=small * 0.9,
                               text=value_text(value, kinds[index]), anchor="middle", angle=0, bold=False)

    for lx, ly, index, name in legend if (len(series) > 1 or chart.kind == "line") else []:
        if chart.kind == "line":
            dash, marker, filled = LINE_STYLES[index % len(LINE_STYLES)]
            shapes.add("line", x1=lx, y1=ly - small * 0.35, x2=lx + 18, y2=ly - small * 0.35, stroke=INK,
                       width=1.4, dash=dash)
            shapes.add("marker", x=lx + 9, y=ly - small * 0.35, shape=marker, filled=filled, size=font_size * 0.32,
                       tip="")
        else:
            fill, hatch = BAR_STYLES[index % len(BAR_STYLES)]
            shapes.add("rect", x=lx, y=ly - small * 0.9, w=16, h=small * 0.95, fill=fill, hatch=hatch, tip="")
        shapes.add("text", x=lx + 22, y=ly, text=name, size=small, anchor="start", angle=0, bold=False)
    return shapes


# --- hatching (the PDF draws the lines; the SVG uses a pattern) ----------------------------------------


def hatch_lines(x: float, y: float, w: float, h: float, kind: str, spacing: float = 3.5):
    """The segments of a rectangle's hatching: lines at 45° (and at −45° for "cross"), clipped to it."""
    segments = []
    directions = [1] if kind == "diag" else [1, -1]
    for direction in directions:
        # lines y' = direction * x' + c over the box [0,w]×[0,h]
        c = -w if direction == 1 else 0.0
        end = h if direction == 1 else h + w
        while c <= end:
            points = []
            for px in (0.0, w):
                py = direction * px + c
                if 0 <= py <= h:
                    points.append((px, py))
            for py in (0.0, h):
                px = (py - c) / direction
                if 0 <= px <= w:
                    points.append((px, py))
            points = sorted(set(points))
            if len(points) >= 2 and points[0] != points[-1]:
                (ax, ay), (bx, by) = points[0], points[-1]
                segments.append((x + ax, y + ay, x + bx, y + by))
            c += spacing * 1.414
    return segments


# --- SVG ----------------------------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def chart_svg(chart, kinds: list[str] | None = None, *, width: float = 720, height: float = 270,
              font_size: float = 11, testid: str = "report-chart-svg") -> str:
    """The chart as an inline <svg> (escaped: safe to put in a page as it is)."""
    shapes = layout(chart, kinds, width=width, height=height, font_size=font_size)
    title = str(chart.title or "")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
           f'class="rp-chart-svg" data-testid="{html_escape(testid)}" data-kind="{html_escape(chart.kind)}" '
           f'aria-label="{html_escape(title or "chart", quote=True)}" font-family="inherit">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    out.append('<defs><pattern id="rp-hatch-diag" width="5" height="5" patternUnits="userSpaceOnUse" '
               'patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
               f'<line x1="0" y1="0" x2="0" y2="5" stroke="{INK}" stroke-width="1.2"/></pattern>'
               '<pattern id="rp-hatch-cross" width="5" height="5" patternUnits="userSpaceOnUse" '
               'patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
               f'<path d="M0 0V5M0 0H5" stroke="{INK}" stroke-width="1"/></pattern></defs>')
    for kind, a in shapes.items:
        if kind == "line":
            dash = f' stroke-dasharray="{" ".join(_n(d) for d in a["dash"])}"' if a["dash"] else ""
            out.append(f'<line x1="{_n(a["x1"])}" y1="{_n(a["y1"])}" x2="{_n(a["x2"])}" y2="{_n(a["y2"])}" '
                       f'stroke="{a["stroke"]}" stroke-width="{_n(a["width"])}"{dash}/>')
        elif kind == "poly":
            dash = f' stroke-dasharray="{" ".join(_n(d) for d in a["dash"])}"' if a["dash"] else ""
            points = " ".join(f"{_n(x)},{_n(y)}" for x, y in a["points"])
            out.append(f'<polyline points="{points}" fill="none" stroke="{a["stroke"]}" '
                       f'stroke-width="{_n(a["width"])}" stroke-linejoin="round"{dash}/>')
        elif kind == "rect":
            fill = f'url(#rp-hatch-{a["hatch"]})' if a["hatch"] else a["fill"]
            tip = f"<title>{escape(a['tip'])}</title>" if a["tip"] else ""
            out.append(f'<rect x="{_n(a["x"])}" y="{_n(a["y"])}" width="{_n(a["w"])}" height="{_n(a["h"])}" '
                       f'fill="{fill}" stroke="{INK}" stroke-width="0.7" class="rp-bar">{tip}</rect>')
        elif kind == "marker":
            out.append(_svg_marker(a))
        elif kind == "text":
            transform = (f' transform="rotate({_n(a["angle"])} {_n(a["x"])} {_n(a["y"])})"' if a["angle"] else "")
            out.append(f'<text x="{_n(a["x"])}" y="{_n(a["y"])}" font-size="{_n(a["size"])}" '
                       f'text-anchor="{a["anchor"]}" fill="{INK}"{transform}>{escape(a["text"])}</text>')
    out.append("</svg>")
    return "".join(out)


def _svg_marker(a) -> str:
    x, y, s = a["x"], a["y"], a["size"]
    fill = INK if a["filled"] else "#fff"
    tip = f"<title>{escape(a['tip'])}</title>" if a["tip"] else ""
    common = f'fill="{fill}" stroke="{INK}" stroke-width="1"'
    if a["shape"] == "square":
        return f'<rect x="{_n(x - s)}" y="{_n(y - s)}" width="{_n(2 * s)}" height="{_n(2 * s)}" {common}>{tip}</rect>'
    if a["shape"] in ("triangle", "diamond"):
        points = _marker_points(a["shape"], x, y, s)
        return f'<polygon points="{" ".join(f"{_n(px)},{_n(py)}" for px, py in points)}" {common}>{tip}</polygon>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(s)}" {common}>{tip}</circle>'


def _marker_points(shape: str, x: float, y: float, s: float):
    if shape == "triangle":
        return [(x, y - s * 1.2), (x + s * 1.1, y + s * 0.8), (x - s * 1.1, y + s * 0.8)]
    return [(x, y - s * 1.3), (x + s * 1.3, y), (x, y + s * 1.3), (x - s * 1.3, y)]


# --- reportlab ----------------------------------------------------------------------------------------


def chart_drawing(chart, kinds: list[str] | None = None, *, width: float, height: float = 200, font: str,
                  font_size: float = 8):
    """The chart as a reportlab Drawing (a flowable of the PDF's story), in points."""
    from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
    from reportlab.lib import colors

    shapes = layout(chart, kinds, width=width, height=height, font_size=font_size)
    drawing = Drawing(width, height)
    ink = colors.HexColor(INK)

    def fy(y: float) -> float:
        return height - y

    for kind, a in shapes.items:
        if kind == "line":
            drawing.add(Line(a["x1"], fy(a["y1"]), a["x2"], fy(a["y2"]), strokeColor=colors.HexColor(a["stroke"]),
                             strokeWidth=a["width"], strokeDashArray=list(a["dash"]) or None))
        elif kind == "poly":
            points = [value for x, y in a["points"] for value in (x, fy(y))]
            drawing.add(PolyLine(points, strokeColor=colors.HexColor(a["stroke"]), strokeWidth=a["width"],
                                 strokeDashArray=list(a["dash"]) or None, strokeLineJoin=1))
        elif kind == "rect":
            x, y, w, h = a["x"], fy(a["y"] + a["h"]), a["w"], a["h"]
            drawing.add(Rect(x, y, w, h, fillColor=colors.HexColor(a["fill"]), strokeColor=None))
            if a["hatch"]:
                for x1, y1, x2, y2 in hatch_lines(x, y, w, h, a["hatch"], spacing=2.6):
                    drawing.add(Line(x1, y1, x2, y2, strokeColor=ink, strokeWidth=0.6))
            drawing.add(Rect(x, y, w, h, fillColor=None, strokeColor=ink, strokeWidth=0.6))
        elif kind == "marker":
            x, y, s = a["x"], fy(a["y"]), a["size"]
            fill = ink if a["filled"] else colors.white
            if a["shape"] == "square":
                drawing.add(Rect(x - s, y - s, 2 * s, 2 * s, fillColor=fill, strokeColor=ink, strokeWidth=0.8))
            elif a["shape"] in ("triangle", "diamond"):
                points = [v for px, py in _marker_points(a["shape"], x, a["y"], s) for v in (px, fy(py))]
                drawing.add(Polygon(points, fillColor=fill, strokeColor=ink, strokeWidth=0.8))
            else:
                drawing.add(Circle(x, y, s, fillColor=fill, strokeColor=ink, strokeWidth=0.8))
        elif kind == "text":
            anchor = {"start": "start", "middle": "middle", "end": "end"}[a["anchor"]]
            string = String(0, 0, a["text"], fontName=font, fontSize=a["size"], fillColor=ink, textAnchor=anchor)
            group = Group(string)
            group.translate(a["x"], fy(a["y"]))
            if a["angle"]:
                group.rotate(-a["angle"])  # SVG turns clockwise with y down; reportlab counter-clockwise, y up
            drawing.add(group)
    return drawing
