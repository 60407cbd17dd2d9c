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


#: WCAG 2.x contrast of every visible piece of text (and every shown placeholder), computed from
#: the rendered styles: the text colour, faded by its alpha and every ancestor's ``opacity``,
#: over the stack of ancestor background colours (the page is white beneath them).
#: It first waits (up to 3 s) for running opacity and colour animations to end, so a toast caught
#: fading in is measured at the colours it settles at; an element still fading after that (an
#: endless pulse) is measured as it is drawn at that moment.
#: Returns ``[{text, ratio, color, background}]`` for the text below ``minimum``.
LOW_CONTRAST_JS = """
async (minimum) => {
  const fades = () => document.getAnimations().filter(a => a.playState === "running" && a.effect
    && a.effect.getKeyframes().some(k => ["opacity", "color", "backgroundColor"].some(p => p in k)));
  for (const end = Date.now() + 3000; fades().length && Date.now() < end; )
    await new Promise(done => setTimeout(done, 50));
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => { const a = top[3] + under[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map(i => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a).concat([a]); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c[3] > 0) layers.push(c); }
    let color = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) color = over(layers[i], color);
    return color;
  };
  const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const visible = (el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== "hidden" && cs.display !== "none"; };
  const check = (el, colorText, text, out) => {
    const bg = background(el);
    const fg = parse(colorText); fg[3] *= opacity(el);
    const shown = over(fg, bg);
    const r = ratio(shown, bg);
    if (r < minimum) out.push({text: text.slice(0, 40), ratio: Math.round(r * 100) / 100,
                               color: colorText, background: "rgb(" + bg.slice(0, 3).map(Math.round).join(",") + ")",
                               element: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && el.className.baseVal === undefined ? "." + String(el.className).split(" ")[0] : "")});
  };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!visible(el)) continue;
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join("").trim();
    if (own) check(el, getComputedStyle(el).color, own, out);
    if ((el.tagName === "TEXTAREA" || el.tagName === "INPUT") && !el.value && el.placeholder)
      check(el, getComputedStyle(el, "::placeholder").color, "placeholder: " + el.placeholder, out);
  }
  return out;
}
"""

#: How the focused element is drawn: outline and box-shadow, and the ring colour's contrast
#: against the background around the element (WCAG 1.4.11 asks 3:1 for focus indicators).
FOCUS_RING_JS = """
(selector) => {
  const el = document.querySelector(selector);
  const cs = getComputedStyle(el);
  return {focused: document.activeElement === el, outlineStyle: cs.outlineStyle,
          outlineWidth: parseFloat(cs.outlineWidth), outlineColor: cs.outlineColor, boxShadow: cs.boxShadow};
}
"""


def contrast(color_a: str, color_b: str) -> float:
    """WCAG contrast ratio of two opaque ``rgb(...)`` colours."""

    def channels(color: str) -> list[float]:
        return [float(v) for v in re.findall(r"[\d.]+", color)[:3]]

    def luminance(color: str) -> float:
        def f(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b = channels(color)
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)

    high, low = sorted((luminance(color_a), luminance(color_b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: Lines the placeholder of ``selector`` takes at the box's width and font, and the box's width.
PLACEHOLDER_LINES_JS = """
(selector) => {
  const box = document.querySelector(selector);
  const cs = getComputedStyle(box);
  const width = box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const probe = (text) => {
    const d = document.createElement("div");
    d.style.cssText = "position:absolute;visibility:hidden;white-space:pre-wrap;overflow-wrap:break-word;"
      + "width:" + width + "px;font:" + cs.font + ";letter-spacing:" + cs.letterSpacing + ";line-height:" + cs.lineHeight;
    d.textContent = text; document.body.appendChild(d);
    const h = d.getBoundingClientRect().height; d.remove(); return h;
  };
  return {lines: Math.round(probe(box.placeholder) / probe("字")), width: box.getBoundingClientRect().width,
          viewport: window.innerWidth};
}
"""
