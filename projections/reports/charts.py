"""The report's two charts as PNG, drawn by matplotlib (Agg, off any display) from the
figures as recorded: the monthly trend (income and expenses per month, net as a line) and the
category breakdown (the biggest categories' share of spending)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before any figure: no display, thread-safe per figure

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 7.2, 3.2, 120  # inches, dots per inch: 864 x 384 pixels
INCOME, EXPENSES, NET = "#2e7d32", "#c62828", "#1f3b73"
SHOWN_CATEGORIES = 8  # the rest are one bar, "Other"
METADATA = {"Software": None}  # the same figures make the same bytes, whatever the version


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata=METADATA)
    return out.getvalue()


def monthly_trend(rows: list[dict[str, Any]], currency: str) -> bytes:
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    months = [row["month"] for row in rows]
    x = list(range(len(months)))
    income = [float(Decimal(row["income"])) for row in rows]  # plotting only; figures are exact
    spent = [float(Decimal(row["expenses"])) for row in rows]
    net = [float(Decimal(row["net"])) for row in rows]
    axes.bar([i - 0.2 for i in x], income, width=0.4, color=INCOME, label="Income")
    axes.bar([i + 0.2 for i in x], spent, width=0.4, color=EXPENSES, label="Expenses")
    axes.plot(x, net, color=NET, marker="o", label="Net")
    axes.axhline(0, color="#999999", linewidth=0.8)
    axes.set_xticks(x, months, rotation=45 if len(months) > 6 else 0, fontsize=8)
    axes.set_ylabel(currency)
    axes.set_title("Income and expenses by month")
    axes.legend(fontsize=8, loc="best")
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def category_breakdown(rows: list[dict[str, Any]], currency: str) -> bytes:
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    shown = rows[:SHOWN_CATEGORIES]
    labels = [str(row["category"])[:40] for row in shown]
    amounts = [float(Decimal(row["amount"])) for row in shown]
    shares = [str(row["percentage"]) for row in shown]
    rest = rows[SHOWN_CATEGORIES:]
    if rest:
        other = sum((Decimal(row["amount"]) for row in rest), Decimal(0))
        labels.append("Other")
        amounts.append(float(other))
        share = sum((Decimal(row["percentage"]) for row in rest), Decimal(0))
        shares.append(f"{share:f}")
    y = list(range(len(labels)))[::-1]
    bars = axes.barh(y, amounts, color=EXPENSES)
    axes.set_yticks(y, labels, fontsize=8)
    axes.bar_label(bars, [f"{s} %" for s in shares], fontsize=8, padding=3)
    axes.set_xlabel(currency)
    axes.set_title("Spending by category")
    axes.margins(x=0.15)
    if not labels:
        axes.text(0.5, 0.5, "No spending", ha="center", va="center", transform=axes.transAxes)
    return _png(figure)


def render(figures: dict[str, Any]) -> dict[str, bytes]:
    currency = figures["currency"]
    return {
        "monthly_trend": monthly_trend(figures["monthly_trend"], currency),
        "category_breakdown": category_breakdown(
            figures["summary"]["category_breakdown"], currency
        ),
    }
