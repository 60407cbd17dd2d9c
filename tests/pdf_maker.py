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


#: Paragraphs of the layout guide: long enough to wrap over several lines of a page.
GUIDE_PARAGRAPHS = [
    "本作業要點說明研發補助的申請方式，申請人應於截止日前備齊文件，由審查小組依序審查並於收件後六十日內通知結果，逾期送件者不予受理。",
    "補助款分二期撥付，第一期於簽約後撥付補助款之百分之四十，第二期於期末報告審查通過後撥付其餘款項，受補助人應設專戶管理並單獨設帳。",
]
#: List items with a hanging indent; the first wraps onto a second line.
GUIDE_ITEMS = [
    "（一）申請書一式三份，並附公司登記證明文件影本及最近一年度經會計師簽證之財務報表，以利審查。",
    "（二）計畫書一份。",
    "（三）切結書一份。",
]
#: A table that runs over a page break: header, rows, and a last row whose second cell goes on.
GUIDE_TABLE_HEADER = ["項目", "說明"]
GUIDE_TABLE_ROWS = [
    ["人事費", "研究人員之薪資，以實際投入月數計算。"],
    ["材料費", "消耗性器材及原材料之費用。"],
    ["差旅費", "因執行計畫所需之國內差旅費用，"],
]
GUIDE_TABLE_REST = "依實際支出核實報支。"


def make_layout_pdf(path: Path) -> Path:
    """A guide laid out unlike :func:`make_report_pdf` and the multi corpus's PDF: a cover whose
    title mixes a small Latin run and large CJK text on one line, justified paragraphs wrapped
    over several lines, a list with a hanging indent, a footnote reference mark (a small raised
    digit) with its footnote in a smaller font at the page bottom, a paragraph and a table that
    run over page breaks (the table's header repeated, its last row's cell continued), and page
    numbers on only five of twelve pages (the others numbered 「附錄-N」).

    Raises:
        FileNotFoundError: the CJK font is not installed (``apt-get install fonts-wqy-zenhei``).
    """
    import fpdf
    from fpdf.enums import Align, WrapMode

    if not CJK_FONT.exists():
        raise FileNotFoundError(f"{CJK_FONT} is missing: apt-get install fonts-wqy-zenhei")

    class Guide(fpdf.FPDF):
        label = ""

        def footer(self) -> None:
            if self.page_no() == 1:
                return
            self.set_y(-12)
            self.set_font("cjk", size=8)
            self.cell(0, 6, self.label.format(self.page_no() - 1), align="C")

    pdf = Guide(format=(148, 210))
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("cjk", "", str(CJK_FONT), collection_font_number=0)
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def paragraph(text: str, size: float = 11) -> None:
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(0, 6, text, align=Align.J, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    # Cover: 「R+」 in a small font, then the title in a large one, on one line (baselines apart).
    pdf.add_page()
    pdf.set_y(50)
    pdf.set_x(30)
    pdf.set_font("cjk", size=14)
    pdf.cell(pdf.get_string_width("R+"), 14, "R+")
    pdf.set_font("cjk", size=24)
    pdf.cell(0, 12, "研發補助作業要點", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, "一一五年三月", align="R", new_x="LMARGIN", new_y="NEXT")

    Guide.label = "{}"
    pdf.add_page()
    pdf.set_font("cjk", size=14)
    pdf.cell(0, 10, "壹、申請方式", new_x="LMARGIN", new_y="NEXT")
    for text in GUIDE_PARAGRAPHS:
        paragraph(text)
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 6, "應備文件如下：", new_x="LMARGIN", new_y="NEXT")
    for item in GUIDE_ITEMS:
        marker, rest = item[:3], item[3:]
        pdf.set_x(pdf.l_margin)
        pdf.cell(pdf.get_string_width(marker), 6, marker)
        pdf.multi_cell(0, 6, rest, align=Align.J, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    # A sentence with a footnote reference mark, the footnote at the bottom of the page.
    pdf.ln(2)
    pdf.write(6, "申請人須為國內依法登記之公司")
    pdf.char_vpos = "SUP"
    pdf.write(6, "1")
    pdf.char_vpos = "LINE"
    pdf.write(6, "。")
    pdf.ln(8)
    pdf.set_y(pdf.h - 32)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(0, 4, "1 分公司不具獨立法人格，不得為申請人", new_x="LMARGIN", new_y="NEXT")

    # A paragraph that runs over the page break.
    pdf.add_page()
    pdf.set_font("cjk", size=14)
    pdf.cell(0, 10, "貳、審查程序", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    filler = "審查小組由學者專家組成，就計畫之創新性、可行性與預期效益進行評分，"
    pdf.set_y(pdf.h - 20 - 6 * 3)
    pdf.multi_cell(
        0, 6, filler * 3 + "並作成審查意見送交主管機關核定。", align=Align.J, wrapmode=WrapMode.CHAR
    )

    # A table at the bottom of a page, continued on the next with its header repeated.
    pdf.add_page()
    pdf.set_font("cjk", size=14)
    pdf.cell(0, 10, "參、經費項目", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.set_y(pdf.h - 20 - 8 * 4 - 2)
    widths = (width * 0.3, width * 0.7)
    with pdf.table(col_widths=widths, line_height=8, first_row_as_headings=False) as table:
        for cells in [GUIDE_TABLE_HEADER, *GUIDE_TABLE_ROWS]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.add_page()
    with pdf.table(col_widths=widths, line_height=8, first_row_as_headings=False) as table:
        for cells in [GUIDE_TABLE_HEADER, ["", GUIDE_TABLE_REST]]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(4)
    paragraph("以上經費項目以外之支出，不予補助。")

    for n in range(6):
        pdf.add_page()
        if n == 0:  # the footer of a page is written when the next one starts
            Guide.label = "附錄-{}"
        paragraph(f"附錄第{n + 1}頁：申請表格填寫說明，請依欄位順序填寫，並於各頁簽章。")
    pdf.output(str(path))
    return path
