"""Debian's Chromium for browser tests (playwright, never `playwright install`), the screen
sizes they use, and what they measure on a page: the fold, the width, axe-core's findings."""
import os
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def launch(playwright, *extra_args):
    """Chromium from /usr/bin with the test flags (plus `extra_args`)."""
    return playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                      args=CHROMIUM_ARGS + list(extra_args))


def fits_width(page) -> bool:
    """Nothing on the loaded page is wider than the window."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def inside_viewport_without_scrolling(page, selector: str) -> bool:
    assert page.evaluate("window.scrollY") == 0
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= size["width"]
            and box["y"] + box["height"] <= size["height"])


def serious_violations(page, *, phone: bool = True) -> list[str]:
    """axe's serious/critical findings, plus (for pages made for phones) a page wider
    than the phone it is shown on."""
    width = page.evaluate("document.documentElement.scrollWidth")
    too_wide = [f"page is {width}px wide on a 390px phone"] if phone and width > 390 else []
    page.evaluate(AXE.read_text())  # through DevTools, so the page's CSP does not apply
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return too_wide + [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")]


def screenshots(variable: str, *, full_page: bool = True):
    """A `shoot(page, name, full_page=…)` saving `name`.png, for a person to look at, in the
    folder the environment variable `variable` names; it does nothing when that is unset."""
    def shoot(page, name: str, *, full_page: bool = full_page) -> None:
        if folder := os.environ.get(variable):
            os.makedirs(folder, exist_ok=True)
            page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=full_page)

    return shoot


# Every word in the cells, measured by the layout engine: a word set on two lines has
# client rectangles at two different heights.
BROKEN_WORDS_JS = """(selector) => {
  const broken = [];
  for (const cell of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // text only for screen readers (a 1 px clipped box) is not laid out to be read
      if (node.parentElement.getBoundingClientRect().width <= 1) continue;
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                        .map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def broken_words(page, selector: str) -> list[str]:
    page.wait_for_load_state("load")  # measured with the stylesheet applied
    cells = page.locator(selector)
    assert cells.count() > 0, f"no cells match {selector}"
    return page.evaluate(BROKEN_WORDS_JS, selector)
