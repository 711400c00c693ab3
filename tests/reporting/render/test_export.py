import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from msp_analysis.reporting.render import export


def _notebook(number: int) -> nbformat.NotebookNode:
    shown = new_output("display_data", data={"text/markdown": f"**{number}** enquiries, *{number * 2}%*"})
    return new_notebook(cells=[new_markdown_cell("# Report\n\nThe same words in every report.", id="a"),
                               new_code_cell("x", outputs=[shown], id="b"),
                               new_markdown_cell("## Notes\n\n- one\n- two", id="c")])


def test_a_reused_exporter_writes_the_page_a_fresh_one_writes():
    pages = [export.export_html(_notebook(n), f"Area {n}") for n in (1, 2, 1)]
    export._local.__dict__.pop("exporter", None)  # a fresh exporter: nothing converted before
    fresh = export.export_html(_notebook(1), "Area 1")
    assert pages[0] == pages[2] == fresh
    assert "<strong>2</strong> enquiries" in pages[1] and "<strong>1</strong> enquiries" in pages[0]
    assert "The same words in every report." in pages[1]


def test_markdown_with_attachments_is_converted_each_time():
    notebook = _notebook(3)
    notebook.cells[0].attachments = {"dot.png": {"image/png": "iVBORw0KGgo="}}
    notebook.cells[0].source += "\n\n![dot](attachment:dot.png)"
    page = export.export_html(notebook, "Area 3")
    assert "data:image/png;base64,iVBORw0KGgo=" in page
