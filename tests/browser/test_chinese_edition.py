"""The Chinese edition in JupyterLab with its interface in Chinese: lesson 2 runs, its text, its
explorer's labels and its remarks are Chinese, and the explorer answers a learner's moves."""

from __future__ import annotations

import pytest

from dlteach.translate import CJK
from learner import TITLE, explorer_in, on_screen, wait_until

pytestmark = pytest.mark.browser


def test_a_chinese_lesson_with_its_explorer(page_zh, lab_zh):
    with explorer_in(page_zh, lab_zh, "zh/02_neuron_and_network.ipynb", ".dlteach-picture") as view:
        menus = page_zh.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "编辑" in menus and "运行" in menus, menus                       # JupyterLab speaks Chinese
        heading = page_zh.locator(".jp-MarkdownCell h1").first.text_content()  # scrolled away: not inner_text
        assert heading.startswith("第 2 课"), heading
        labels = view.locator(".widget-label, .widget-dropdown label").all_inner_texts()
        assert any(CJK.search(label) for label in labels), labels
        wait_until(view, f"{TITLE}.includes('= 4,  a = 0.982')")              # the lecture's neuron, as in English
        view.locator("select").select_option("ReLU")
        plane = on_screen(view.locator("svg.svg-figure image").first)
        page_zh.mouse.click(plane["x"] + plane["width"] * 0.997, plane["y"] + plane["height"] * 0.997)
        wait_until(view, "/[\\u3400-\\u9fff]/.test(v.querySelector('.widget-html-content').innerText)")  # a remark
        axis_labels = view.locator(".dlteach-picture .axislabel").evaluate_all("ls => ls.map(l => l.textContent)")
        assert any(CJK.search(label) for label in axis_labels), axis_labels     # the picture's labels too
        assert "Traceback" not in view.inner_text()
