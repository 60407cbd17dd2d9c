// 科專助理 chat bubble: <script src="https://HOST/widget.js" defer></script>
// Options (attributes of the script tag): data-title, data-position="left", data-api-key (intranet only:
// anyone who can read the host page can read the key).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__kezhuanWidget) { return; }
  window.__kezhuanWidget = true;
  var title = script.getAttribute("data-title") || "科專助理";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var embedUrl = new URL("embed", script.src);
  var key = script.getAttribute("data-api-key");
  if (key) { embedUrl.hash = "key=" + encodeURIComponent(key); }

  var bubble = document.createElement("button");
  bubble.type = "button";
  bubble.id = "kezhuan-widget-bubble";
  bubble.title = title;
  bubble.setAttribute("aria-expanded", "false");
  bubble.setAttribute("aria-controls", "kezhuan-widget-frame");
  var b = bubble.style;
  b.position = "fixed"; b.bottom = "20px"; b[side] = "20px"; b.zIndex = "2147483000";
  b.width = "56px"; b.height = "56px"; b.borderRadius = "50%"; b.border = "0"; b.cursor = "pointer";
  b.background = "#c2410c"; b.color = "#fff"; b.fontSize = "24px"; b.lineHeight = "0"; b.boxShadow = "0 4px 14px rgba(0,0,0,0.25)";

  // Icons drawn with SVG, so they show without an emoji or symbol font.
  var SVG = "http://www.w3.org/2000/svg";
  function svgIcon(d, filled) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    if (filled) {
      path.setAttribute("fill", "currentColor");
    } else {
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "2.5");
      path.setAttribute("stroke-linecap", "round");
    }
    svg.appendChild(path);
    return svg;
  }
  var chatIcon = svgIcon("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z", true);
  var closeIcon = svgIcon("M6 6l12 12M18 6L6 18", false);
  // The icon, the accessible name and the tooltip all say what a press will do now.
  function showState(open) {
    bubble.textContent = "";
    bubble.appendChild(open ? closeIcon : chatIcon);
    var label = (open ? "關閉" : "開啟") + title;
    bubble.setAttribute("aria-label", label);
    bubble.title = label;
    bubble.setAttribute("aria-expanded", open ? "true" : "false");
  }
  showState(false);

  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "kezhuan-widget-frame";
      frame.title = title;
      frame.src = embedUrl.toString();
      var f = frame.style;
      f.position = "fixed"; f.bottom = "88px"; f[side] = "20px"; f.zIndex = "2147483000";
      f.width = "380px"; f.maxWidth = "calc(100vw - 40px)"; f.height = "560px"; f.maxHeight = "calc(100vh - 110px)";
      f.border = "0"; f.borderRadius = "12px"; f.background = "#fff"; f.boxShadow = "0 8px 30px rgba(0,0,0,0.25)";
      document.body.appendChild(frame);
    } else {
      frame.style.display = "block";
    }
    showState(true);
  }
  function isOpen() { return bubble.getAttribute("aria-expanded") === "true"; }
  function close() {
    if (frame) { frame.style.display = "none"; }
    showState(false);
    bubble.focus();
  }
  bubble.addEventListener("click", function () {
    if (isOpen()) { close(); } else { open(); }
  });
  // Escape closes the panel: pressed on the host page, or inside the chat (the frame sends a message).
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) { close(); }
  });
  window.addEventListener("message", function (event) {
    if (frame && event.source === frame.contentWindow && event.origin === embedUrl.origin &&
        event.data && event.data.type === "kezhuan:close" && isOpen()) { close(); }
  });
  function mount() { document.body.appendChild(bubble); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
