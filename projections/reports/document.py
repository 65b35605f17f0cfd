"""The report as a PDF, laid out by reportlab: title and period, the summary, budget against
actual, the two charts, top merchants, insights and recommendations, and on every page a
footer with when it was generated and the log position it was computed at.

Text is text (DejaVu Sans, embedded, so names in most scripts read and can be searched);
characters DejaVu lacks from the Japanese and Chinese scripts go in reportlab's Japanese CID
font (HeiseiKakuGo-W5: not embedded, every PDF viewer supplies it). Whatever a user typed is
escaped before reportlab's paragraph markup sees it."""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import BaseDocTemplate

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
CJK = "HeiseiKakuGo-W5"
# CJK punctuation, kana, ideographs (and their extension A and compatibility forms), full-width
# forms: what the Japanese font holds and DejaVu does not.
CJK_RANGES = (
    (0x3000, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)
ACCENT = colors.HexColor("#1f3b73")
STRIPE = colors.HexColor("#f2f4f8")
CHART_WIDTH = 170 * mm


@cache
def _fonts() -> None:
    """DejaVu Sans, as matplotlib ships it: one font for the charts and the text; the
    Japanese CID font for the CJK characters DejaVu lacks."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    pdfmetrics.registerFont(UnicodeCIDFont(CJK))


def _in_cjk_font(character: str) -> bool:
    """Drawn in the Japanese font: a CJK character DejaVu Sans has no glyph for."""
    code = ord(character)
    if not any(low <= code <= high for low, high in CJK_RANGES):
        return False
    _fonts()
    return code not in pdfmetrics.getFont(FONT).face.charToGlyph


def _markup(text: str) -> str:
    """``text`` escaped for paragraph markup, each run the Japanese font draws in its font."""
    if text.isascii():  # most of a report, looked at character by character for nothing
        return escape(text)
    runs = []
    for in_cjk, run in groupby(text, _in_cjk_font):
        escaped = escape("".join(run))
        runs.append(f'<font name="{CJK}">{escaped}</font>' if in_cjk else escaped)
    return "".join(runs)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    sample = getSampleStyleSheet()
    return {
        "title": ParagraphStyle(
            "title", parent=sample["Title"], fontName=BOLD, textColor=ACCENT, fontSize=18
        ),
        "h2": ParagraphStyle(
            "h2", parent=sample["Heading2"], fontName=BOLD, textColor=ACCENT, fontSize=12
        ),
        "body": ParagraphStyle("body", parent=sample["BodyText"], fontName=FONT, fontSize=9),
        "small": ParagraphStyle(
            "small", parent=sample["BodyText"], fontName=FONT, fontSize=8, textColor=colors.grey
        ),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10),
    }


def _p(text: object, style: str = "body") -> Paragraph:
    return Paragraph(_markup(str(text)), _styles()[style])


def _table(header: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
    body = [[_p(cell, "cell") for cell in row] for row in rows]
    table = Table([header, *body], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 8),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.grey),
            ]
        )
    )
    return table


def _money(amount: str | None, currency: str) -> str:
    return "—" if amount is None else f"{amount} {currency}"


def _percent(value: str | None) -> str:
    return "—" if value is None else f"{value} %"


def render(report: dict[str, Any], charts: dict[str, bytes]) -> bytes:
    """``report``: title, period, start_date, end_date, workspace, generated_at (datetime),
    generated_by, computed_at and the figures (``figures.report_figures``)."""
    styles = _styles()
    out = io.BytesIO()
    generated_at: datetime = report["generated_at"]
    footer = (
        f"Generated {generated_at:%Y-%m-%d %H:%M} UTC by centsource · computed at log "
        f"position {report['computed_at']}"
    )

    def decorate(canvas: Any, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(doc.leftMargin, 10 * mm, footer)
        canvas.drawRightString(A4[0] - doc.rightMargin, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=report["title"],
        author="centsource",
        subject=f"{report['workspace']}: {report['period']}",
        creator="centsource",
        invariant=True,  # no random document id: the same report is the same bytes
    )
    c = report["currency"]
    s = report["summary"]
    story: list[Any] = [
        _p(report["title"], "title"),
        _p(
            f"{report['workspace']} · {report['start_date']} to {report['end_date']} · "
            f"amounts in {c}"
        ),
        _p(f"Generated {generated_at:%Y-%m-%d %H:%M} UTC by {report['generated_by']}", "small"),
        Spacer(1, 4 * mm),
        Paragraph("Summary", styles["h2"]),
        _table(
            ["", "Amount"],
            [
                ["Total income", _money(s["total_income"], c)],
                ["Total expenses", _money(s["total_expenses"], c)],
                ["Net", _money(s["net"], c)],
                ["Transactions", s["transaction_count"]],
                ["Expenses", s["expense_count"]],
                ["Budgeted", _money(s["budget_amount"], c)],
                ["Spent under budgets", _money(s["budget_actual"], c)],
                ["Variance", _money(s["variance"], c)],
                ["Variance %", _percent(s["variance_percentage"])],
            ],
            [80 * mm, 60 * mm],
        ),
    ]
    if s["unconverted_currencies"]:
        story.append(
            _p(
                "Left out, no exchange rate: " + ", ".join(s["unconverted_currencies"]),
                "small",
            )
        )
    story += [Paragraph("Budget against actual", styles["h2"])]
    if report["budgets"]:
        story.append(
            _table(
                ["Budget", "Categories", "Period", "Budgeted", "Actual", "Variance", "%"],
                [
                    [
                        b["budget"],
                        ", ".join(b["categories"]),
                        f"{b['start_date']} to {b['end_date']}",
                        b["budgeted"],
                        b["actual"],
                        b["variance"],
                        _percent(b["variance_percentage"]),
                    ]
                    for b in report["budgets"]
                ],
                [28 * mm, 32 * mm, 30 * mm, 20 * mm, 20 * mm, 20 * mm, 16 * mm],
            )
        )
    else:
        story.append(_p("No budget period lies wholly inside this period."))
    story += [
        Paragraph("Spending by category", styles["h2"]),
        _table(
            ["Category", "Amount", "Share", "Expenses"],
            [
                [
                    row["category"],
                    _money(row["amount"], c),
                    _percent(row["percentage"]),
                    row["count"],
                ]
                for row in s["category_breakdown"]
            ],
            [70 * mm, 40 * mm, 25 * mm, 25 * mm],
        ),
        Spacer(1, 3 * mm),
        _image(charts["category_breakdown"]),
        KeepTogether(
            [
                Paragraph("Monthly trend", styles["h2"]),
                _image(charts["monthly_trend"]),
                _table(
                    ["Month", "Income", "Expenses", "Net"],
                    [
                        [m["month"], m["income"], m["expenses"], m["net"]]
                        for m in report["monthly_trend"]
                    ],
                    [40 * mm, 40 * mm, 40 * mm, 40 * mm],
                ),
            ]
        ),
        Paragraph("Top merchants", styles["h2"]),
        _table(
            ["Merchant", "Amount", "Share", "Expenses"],
            [
                [m["merchant"], _money(m["amount"], c), _percent(m["percentage"]), m["count"]]
                for m in report["top_merchants"]
            ],
            [70 * mm, 40 * mm, 25 * mm, 25 * mm],
        ),
    ]
    if report["include_insights"]:
        story.append(Paragraph("Insights", styles["h2"]))
        if not report["insights"]:
            story.append(_p("Nothing stood out in this period."))
        for insight in report["insights"]:
            story.append(_p(f"{insight['title']} ({insight['impact']}): {insight['description']}"))
        story.append(Paragraph("Recommendations", styles["h2"]))
        if not report["recommendations"]:
            story.append(_p("None: keep going as you are."))
        for recommendation in report["recommendations"]:
            story.append(_p(f"• {recommendation}"))
    story += [
        Spacer(1, 6 * mm),
        _p(
            f"These figures were computed from the event log at position "
            f"{report['computed_at']}: reading the log up to that position gives them again.",
            "small",
        ),
    ]
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


def _image(png: bytes) -> Image:
    image = Image(io.BytesIO(png))
    ratio = image.imageHeight / image.imageWidth
    image.drawWidth, image.drawHeight = CHART_WIDTH, CHART_WIDTH * ratio
    return image
