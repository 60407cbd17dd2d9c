"""Makes small real PDFs with a CJK font (WenQuanYi Zen Hei, Debian package fonts-wqy-zenhei: TrueType outlines, which PDF text extractors read back) for tests."""

from __future__ import annotations

from pathlib import Path

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

#: Body text as a CJK PDF font often extracts it: Kangxi radicals ⼩ (U+2F29) and ⽇ (U+2F47)
#: where 小 and 日 are meant.
BODY = [
    "經濟部科技專案協助中⼩企業投入研發，並於每年⽇常追蹤成果。",
    "本報告整理歷年培育新創團隊的數量，供各界參考。",
    "研究機構應將研發成果移轉給國內企業，以提升產業競爭力。",
    "法人科技專案由研究機構執行，著重前瞻與關鍵技術。",
    "業界科技專案鼓勵企業投入創新研發，分擔研發風險。",
    "學界科技專案引導大學的研發能量投入產業需求。",
]
TABLE = [
    ["年度", "培育團隊", "新創公司"],
    ["2019", "31組", "12家"],
    ["2020", "38組", "15家"],
    ["2021", "44組", "19家"],
]


def make_report_pdf(path: Path, pages: int = 4, contents: list[str] | None = None) -> Path:
    """A report of ``pages`` pages: a running header, a page-number footer, body text, one table;
    with ``contents``, a first page titled 目錄 holding those lines (table-of-contents entries).

    Raises:
        FileNotFoundError: the CJK font is not installed (``apt-get install fonts-wqy-zenhei``).
    """
    import fpdf

    if not CJK_FONT.exists():
        raise FileNotFoundError(f"{CJK_FONT} is missing: apt-get install fonts-wqy-zenhei")

    class Report(fpdf.FPDF):
        def header(self) -> None:
            self.set_font("cjk", size=9)
            self.cell(0, 8, "科技專案年度報告（內部參考）", align="C")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("cjk", size=9)
            self.cell(0, 8, f"- {self.page_no()} -", align="C")

    pdf = Report()
    pdf.add_font("cjk", "", str(CJK_FONT), collection_font_number=0)
    if contents:
        pdf.add_page()
        pdf.set_font("cjk", size=12)
        for line in ["目錄", *contents]:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("cjk", size=12)
        for i in range(3):  # each page its own lines: only the header and footer repeat
            line = BODY[(3 * page + i) % len(BODY)]
            pdf.multi_cell(0, 8, f"{line}（第{page + 1}節第{i + 1}段）", new_x="LMARGIN", new_y="NEXT")
        if page == 1:
            with pdf.table(
                col_widths=(30, 40, 40),
                first_row_as_headings=True,
                headings_style=fpdf.FontFace(emphasis=None),
            ) as table:
                for cells in TABLE:
                    row = table.row()
                    for cell in cells:
                        row.cell(cell)
    pdf.output(str(path))
    return path
