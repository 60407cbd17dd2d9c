"""Shared pieces of the browser tests: viewports, a page opener, and in-page measurements.

The measurements run in the page (JavaScript) on the rendered styles, so they see what a
visitor sees: computed colours after opacity, the element boxes after layout.
"""

from __future__ import annotations

import re

#: The sizes the page and widget are checked at: a laptop and a phone (iPhone 12-15 CSS pixels).
VIEWPORTS: dict[str, dict[str, int]] = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}

#: Latin words allowed in a Chinese label (names, not English sentences).
ALLOWED_LATIN = {"API", "MCP"}

#: Every visible control's label: accessible names, titles, placeholders and toast text.
CONTROL_LABELS_JS = """
() => {
  const out = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== "hidden" && cs.display !== "none";
  };
  const controls = "button, a, input, textarea, select, summary, label, [role=button], [role=tab], "
    + "[role=status], [role=alert], .toast-title, .toast-text, footer *";
  for (const el of document.querySelectorAll("body *")) {
    if (!visible(el)) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = el.getAttribute(name);
      if (value) out.push(name + ": " + value);
    }
    if (el.matches(controls) && !el.closest(".kz-passage")) {
      const text = (el.innerText || "").trim();
      if (text) out.push("text: " + text.slice(0, 80));
    }
  }
  return out;
}
"""


def english_words(label: str) -> list[str]:
    """Latin-letter words (2+ letters) of a label that are not allowed names."""
    value = label.split(": ", 1)[-1]
    return [w for w in re.findall(r"[A-Za-z]{2,}", value) if w not in ALLOWED_LATIN]
