"""Issue 16 (buttons): a submit button is primary unless its class says otherwise — "Back", "Save and continue
later" and danger buttons used to come out solid primary blue because ``button[type=submit]`` outweighed
``.button-secondary``. Checked in Chromium with the site's own stylesheet."""

from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "src" / "eplus" / "static" / "css" / "eplus.css"


@pytest.mark.e2e
def test_secondary_and_danger_classes_win_over_the_submit_button_style(browser):
    page = browser.new_page()
    page.set_content(f"""<style>{CSS.read_text()}</style>
      <button type="submit" id="primary">Submit</button>
      <button type="submit" class="button-secondary" id="secondary">Back</button>
      <button type="submit" class="button-danger" id="danger">Delete</button>
      <a class="button-secondary" id="link" href="#">Cancel</a>""")

    def background(element_id):
        return page.eval_on_selector(f"#{element_id}", "e => getComputedStyle(e).backgroundColor")

    assert background("primary") == "rgb(0, 51, 153)"  # --brand
    assert background("secondary") == "rgb(255, 255, 255)"
    assert background("link") == "rgb(255, 255, 255)"
    assert background("danger") == "rgb(176, 0, 32)"  # --error
    page.hover("#secondary")
    assert background("secondary") != "rgb(0, 34, 102)"  # not the primary's hover
    page.close()
