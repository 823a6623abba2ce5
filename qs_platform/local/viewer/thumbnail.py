"""A small static SVG of a dashboard's first sheet, drawn without a browser or data: the grid layout with each
visual's title and a glyph of its type (bars, a line, a pie, a table ...). Used as the dashboard asset's
thumbnail in the Dagster UI (`GET /dashboards/<id>/thumbnail.svg`).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .definition import sheet_summary

WIDTH = 480
GRID_COLUMNS = 36
ROW_HEIGHT = 12  # px per grid row at this width
PADDING = 6
PALETTE = ("#1f6fd1", "#ef8a17", "#2ca58d", "#d1495b", "#8e6bbf")


def _box(x: float, y: float, w: float, h: float, **attrs: str) -> str:
    extra = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" {extra}/>'


def _glyph(kind: str, x: float, y: float, w: float, h: float) -> str:
    """A tiny picture of a visual type inside (x, y, w, h)."""
    if h < 6 or w < 6:
        return ""
    if kind == "KPIVisual":
        size = min(h * 0.7, w / 3)
        return f'<text x="{x + w / 2:.1f}" y="{y + h / 2 + size / 3:.1f}" font-size="{size:.1f}" text-anchor="middle" fill="#111a27" font-weight="700">123</text>'
    if kind in ("BarChartVisual", "ComboChartVisual"):
        heights = (0.5, 0.8, 0.35, 0.65, 0.9, 0.45)
        band = w / len(heights)
        bars = "".join(
            _box(x + i * band + band * 0.15, y + h * (1 - v), band * 0.7, h * v, fill=PALETTE[0])
            for i, v in enumerate(heights)
        )
        if kind == "ComboChartVisual":
            points = " ".join(f"{x + (i + 0.5) * band:.1f},{y + h * (0.6 - 0.08 * i):.1f}" for i in range(len(heights)))
            bars += f'<polyline points="{points}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>'
        return bars
    if kind == "LineChartVisual":
        values = (0.3, 0.55, 0.45, 0.75, 0.6, 0.9)
        points = " ".join(f"{x + w * i / (len(values) - 1):.1f},{y + h * (1 - v):.1f}" for i, v in enumerate(values))
        return f'<polyline points="{points}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
    if kind == "PieChartVisual":
        r = min(w, h) / 2
        cx, cy = x + w / 2, y + h / 2
        return (
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{PALETTE[0]}"/>'
            f'<path d="M{cx:.1f} {cy:.1f} L{cx:.1f} {cy - r:.1f} A{r:.1f} {r:.1f} 0 0 1 {cx + r:.1f} {cy:.1f} Z" fill="{PALETTE[1]}"/>'
        )
    if kind in ("TableVisual", "PivotTableVisual", "HeatMapVisual", "FilledMapVisual"):
        rows, cols = max(2, min(6, int(h // 7))), 4
        cells = []
        for r in range(rows):
            for c in range(cols):
                if kind in ("HeatMapVisual", "FilledMapVisual"):
                    fill = PALETTE[0]
                    opacity = 0.2 + 0.8 * ((r * 3 + c * 5) % 7) / 6
                    cells.append(
                        _box(
                            x + c * w / cols,
                            y + r * h / rows,
                            w / cols - 1,
                            h / rows - 1,
                            fill=fill,
                            fill_opacity=f"{opacity:.2f}",
                        )
                    )
                else:
                    header = r == 0 or (kind == "PivotTableVisual" and c == 0)
                    cells.append(
                        _box(
                            x + c * w / cols,
                            y + r * h / rows,
                            w / cols - 1,
                            h / rows - 1,
                            fill="#dfe5ee" if header else "#f1f4f8",
                        )
                    )
        return "".join(cells)
    if kind in ("ScatterPlotVisual", "GeospatialMapVisual"):
        dots = ((0.1, 0.8), (0.25, 0.55), (0.4, 0.7), (0.55, 0.3), (0.7, 0.45), (0.85, 0.15))
        color = PALETTE[2] if kind != "ScatterPlotVisual" else PALETTE[0]
        return "".join(
            f'<circle cx="{x + w * dx:.1f}" cy="{y + h * dy:.1f}" r="{max(2.0, min(w, h) / 14):.1f}" fill="{color}"/>'
            for dx, dy in dots
        )
    return f'<text x="{x + w / 2:.1f}" y="{y + h / 2:.1f}" font-size="9" text-anchor="middle" fill="#a4281f">unsupported</text>'


def _placements(items: list[dict]) -> list[tuple[dict, int, int, int, int]]:
    """(item, column, column span, row, row span); items without a grid position flow after the placed ones."""
    placed, next_row = [], 0
    for item in items:
        layout = item.get("layout") or {}
        if layout.get("column") is not None and layout.get("row") is not None:
            spans = (layout.get("column_span") or 12, layout.get("row_span") or 8)
            placed.append((item, layout["column"], spans[0], layout["row"], spans[1]))
            next_row = max(next_row, layout["row"] + spans[1])
    column = 0
    for item in items:
        layout = item.get("layout") or {}
        if layout.get("column") is None or layout.get("row") is None:
            span = min(layout.get("column_span") or 18, GRID_COLUMNS)
            if column + span > GRID_COLUMNS:
                column, next_row = 0, next_row + 8
            placed.append((item, column, span, next_row, layout.get("row_span") or 8))
            column += span
    return placed


def dashboard_thumbnail_svg(name: str, definition: dict) -> str:
    sheets = definition.get("Sheets") or []
    sheet = sheet_summary(sheets[0]) if sheets else {"visuals": [], "text_boxes": [], "name": ""}
    items = [dict(v, element="visual") for v in sheet["visuals"]] + [
        dict(t, element="text", type="TextBox") for t in sheet["text_boxes"]
    ]
    placed = _placements(items)
    rows = max([r + rs for _, _, _, r, rs in placed] or [8])
    header = 22
    height = header + rows * ROW_HEIGHT + PADDING
    unit = (WIDTH - 2 * PADDING) / GRID_COLUMNS
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" font-family="sans-serif">',
        _box(0, 0, WIDTH, height, fill="#f3f5f8"),
        _box(0, 0, WIDTH, header - 4, fill="#17202e"),
        f'<text x="{PADDING + 2}" y="13" font-size="11" fill="#ffffff">{escape(name)} · {escape(str(sheet.get("name") or ""))}</text>',
    ]
    for item, column, span, row, row_span in placed:
        x, y = PADDING + min(column, GRID_COLUMNS - 1) * unit, header + row * ROW_HEIGHT
        w, h = min(span, GRID_COLUMNS - min(column, GRID_COLUMNS - 1)) * unit - 3, row_span * ROW_HEIGHT - 3
        parts.append(_box(x, y, w, h, fill="#ffffff", stroke="#e3e7ee", rx="3"))
        if item["element"] == "text":
            parts.append(
                f'<text x="{x + 4:.1f}" y="{y + 11:.1f}" font-size="8" fill="#475467">{escape(item.get("text", "")[:60])}</text>'
            )
            continue
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + 10:.1f}" font-size="8" font-weight="600" fill="#1d2633">{escape((item.get("title") or "")[:48])}</text>'
        )
        parts.append(_glyph(item["type"], x + 6, y + 15, w - 12, h - 20))
    parts.append("</svg>")
    return "".join(parts)
