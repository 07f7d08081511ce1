"""A quote as a PDF (fpdf2), in Sarabun so Thai names and products print correctly.

The Sarabun font (SIL Open Font License, ``fonts/OFL.txt``) ships with the plugin, so the
PDF looks the same on every installation whatever fonts the machine has. Text is shaped
with HarfBuzz (uharfbuzz) so Thai vowels and tone marks sit on their consonants instead of
overlapping, and the text still copies and extracts as the original Unicode.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from unicrm.plugins.sfa.models import Quote, QuoteLine

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FONT = "Sarabun"


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def render(quote: Quote, lines: list[QuoteLine], customer: str, deal_title: str) -> bytes:
    """The quote's PDF: header, customer, one row per line, discount, VAT and totals."""
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", str(FONTS / "Sarabun-Regular.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "Sarabun-Bold.ttf"))
    pdf.set_text_shaping(use_shaping_engine=True, script="thai", language="tha")
    pdf.set_title(f"Quote {quote.family_id} v{quote.version}")
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(
        0, 10, f"Quotation / ใบเสนอราคา  (version {quote.version})", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(FONT, "", 11)
    for text in (
        f"Customer / ลูกค้า: {customer}",
        f"Deal: {deal_title}",
        f"Valid until / ยืนราคาถึง: {quote.valid_until.isoformat()}",
        f"Status: {quote.status.value}",
    ):
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    if quote.delivery_lead_days is not None:
        pdf.cell(
            0,
            7,
            f"Delivery / ส่งมอบภายใน: {quote.delivery_lead_days} days",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(3)
    headings = ("SKU", "Item / รายการ", "Qty", "Unit price", "Discount", "Amount")
    widths = (25, 70, 15, 27, 23, 30)
    with pdf.table(
        col_widths=widths, text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
    ) as table:
        table.row(headings)
        for line in lines:
            table.row(
                (
                    line.sku,
                    line.name,
                    str(line.quantity),
                    _money(line.unit_price),
                    _money(line.discount),
                    _money(line.line_total),
                )
            )
    pdf.ln(3)
    vat = f"VAT {quote.vat_rate * 100:.2f}%" + (" (included)" if quote.prices_include_vat else "")
    for label, amount in (
        ("Discount / ส่วนลด", quote.discount_total),
        ("Net / ราคาก่อนภาษี", quote.net_total),
        (f"{vat} / ภาษีมูลค่าเพิ่ม", quote.vat_amount),
        ("Total / รวมทั้งสิ้น", quote.grand_total),
    ):
        pdf.cell(150, 7, label, align="R")
        pdf.cell(
            40, 7, f"{_money(amount)} {quote.currency}", align="R", new_x="LMARGIN", new_y="NEXT"
        )
    return bytes(pdf.output())
