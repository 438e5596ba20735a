"""Lesson 11's LSTM gate explorer, used as a learner would in JupyterLab: click the gate grid,
type a longer row, type nonsense, switch cells, train an LSTM and watch it learn."""

from __future__ import annotations

import pytest

from learner import TITLE, explorer_in, wait_until

pytestmark = pytest.mark.browser

GRID = "v.querySelector('.dlteach-gates')"


def cell(view, row: int, t: int):
    """The grid cell of row ``row`` (0 value in, 1 write, 2 keep, 3 read) at step ``t``."""
    return view.locator(".dlteach-gates svg").nth(row).locator("rect").nth(t)


def text_box(view, name: str):
    return view.locator(f".widget-text:has(.widget-label:text-is('{name}')) input")


def test_lstm_gates_by_hand(page, lab):
    with explorer_in(page, lab, "11_lstm.ipynb", ".dlteach-gates") as view:
        keep = text_box(view, "keep")
        assert keep.input_value() == "0 1 1 1 1 1 1 0"  # the state the notebook cell set up
        cell(view, 2, 7).click()  # keep at t = 7: closed → open, so the cell still holds 1.7
        page.wait_for_function("e => e.value === '0 1 1 1 1 1 1 1'", arg=keep.element_handle(), timeout=5000)
        cell(view, 3, 7).click()  # read at t = 7: the output shows 1.7 there
        wait_until(view, f"{GRID}.querySelectorAll('svg')[3].querySelectorAll('text')[7].textContent === '1'")

        inputs = text_box(view, "inputs")  # one row typed longer: the others follow
        inputs.fill("1.7 0 0 0 0 0 0 0 0 0 0 0")
        inputs.press("Enter")
        wait_until(view, f"{GRID}.querySelectorAll('svg')[2].querySelectorAll('rect').length === 12")
        assert keep.input_value() == "0 1 1 1 1 1 1 1 1 1 1 1"
        assert view.locator(".widget-slider:has(.widget-label:text-is('steps T')) .widget-readout").inner_text() == "12"

        inputs.fill("nan 0 0 0")  # a message; the picture keeps the last row that could be read
        inputs.press("Enter")
        wait_until(view, "v.innerText.includes('inputs must hold finite numbers')")
        assert "Traceback" not in view.inner_text()
        assert view.locator(".dlteach-gates svg").nth(0).locator("rect").count() == 12
        inputs.fill("1.7 0 0 0 0 0 0 0 0 0 0 0")  # fixed
        inputs.press("Enter")
        wait_until(view, "!v.innerText.includes('finite')")

        view.locator("select").select_option("LSTM cell (logistic gates)")
        wait_until(view, f"{TITLE}.startsWith('an LSTMCell')")

        view.locator("button:text-is('train an LSTM')").dblclick()  # a double click trains once
        wait_until(view, f"{TITLE}.includes('after epoch')", timeout_s=30)  # the picture follows the training
        assert text_box(view, "keep").is_hidden()  # typing does nothing to a trained LSTM
        wait_until(view, "v.innerText.includes('epoch 12/12')", timeout_s=60)
        wait_until(view, f"{TITLE}.includes('test accuracy') && !{TITLE}.includes('after epoch')", timeout_s=30)
        page.wait_for_timeout(1500)  # a second run would start over at epoch 1
        assert "epoch 12/12" in view.inner_text() and "after epoch" not in view.inner_text()
        assert view.locator(".widget-slider:has(.widget-label:text-is('unit'))").is_visible()
        assert not view.locator(".dlteach-gates svg[style*=pointer]").count()  # the trained grid is not clickable

        view.locator("select").select_option("lecture's memory cell")  # back: no stale "(storing …)" legend
        wait_until(view, f"{TITLE}.startsWith(\"lecture's memory cell\")")
        picture = "v.querySelector('.dlteach-picture').textContent"
        wait_until(view, f"!{picture}.includes('storing') && {picture}.includes('cell c_t')")
        assert text_box(view, "keep").is_visible() and "Traceback" not in view.inner_text()
