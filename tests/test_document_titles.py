"""A document the manifest does not name is titled by itself, without labels or a site's name."""

from __future__ import annotations

from pathlib import Path

from ingest.load import document_title, load_document
from tests.pdf_maker import CJK_FONT

LAW = (
    "法規名稱：科學技術基本法\n英文法規名稱：Fundamental Science and Technology Act\n"
    "第 1 條\n為確立政府推動科學技術發展之基本方針，特制定本法。\n"
    "第 2 條\n本法所稱科學技術，包括自然科學、工程科學及人文社會科學。\n"
    "第 3 條\n政府應致力推動科學技術之研究發展。\n"
)
PAGE = (
    "<html><head><title>產業創新條例-全國法規資料庫</title></head><body>"
    "<h2>產業創新條例</h2><p>第 1 條</p><p>為促進產業創新，特制定本條例。</p></body></html>"
)


def test_a_field_label_before_the_title_goes() -> None:
    assert document_title("法規名稱：科學技術基本法", "", "txt") == "科學技術基本法"
    assert document_title("Title: Annual Report", "", "md") == "Annual Report"
    assert document_title("附件一：申請表", "", "txt") == "附件一：申請表"  # not a field label


def test_a_site_name_goes_only_when_the_page_names_itself_without_it() -> None:
    body = "產業創新條例\n第 1 條\n為促進產業創新，特制定本條例。"
    assert document_title("產業創新條例-全國法規資料庫", body, "html") == "產業創新條例"
    assert document_title("產業創新條例 | 全國法規資料庫", body, "html") == "產業創新條例"
    assert document_title("COVID-19 紓困方案", "COVID 與 COVID-19 紓困方案", "html") == "COVID-19 紓困方案"
    assert document_title("甲計畫-乙分項", "本文只談其他事。", "html") == "甲計畫-乙分項"


def test_a_pdf_without_a_title_takes_its_first_line_when_it_is_one() -> None:
    title = "115年度基隆市政府地方產業創新研發推動(地方型 SBIR)申請須知"
    assert document_title("", f"{title}\n一、為鼓勵創新，特訂定本須知。", "pdf") == title
    assert document_title("", "本須知說明申請方式。\n二、…", "pdf") == ""  # a sentence is no title
    assert document_title("", "甲" * 61 + "\n", "pdf") == ""


def test_documents_without_a_manifest_entry_get_their_own_clean_titles(tmp_path: Path) -> None:
    (tmp_path / "law.txt").write_text(LAW, encoding="utf-8")
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    _pdf(tmp_path / "guide.pdf", ["地方型SBIR申請須知", "一、為鼓勵轄內中小企業創新，特訂定本須知。"])
    titles = {p.name: load_document(p, tmp_path).title for p in sorted(tmp_path.iterdir())}
    assert titles == {
        "law.txt": "科學技術基本法",
        "page.html": "產業創新條例",
        "guide.pdf": "地方型SBIR申請須知",
    }


def _pdf(path: Path, lines: list[str]) -> None:
    import fpdf

    pdf = fpdf.FPDF()
    pdf.add_font("cjk", "", str(CJK_FONT), collection_font_number=0)
    pdf.add_page()
    for size, line in zip([16] + [12] * len(lines), lines, strict=False):
        pdf.set_font("cjk", size=size)
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT", align="C" if size == 16 else "L")
    pdf.output(str(path))
