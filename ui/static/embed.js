// 科專助理 embeddable chat: calls api/ask and renders every text with textContent (never as markup),
// so questions and documents holding markup are shown as plain text.
(function () {
  "use strict";

  var log = document.getElementById("kz-log");
  var form = document.getElementById("kz-form");
  var input = document.getElementById("kz-question");
  var send = document.getElementById("kz-send");
  var welcome = document.getElementById("kz-welcome");
  var counter = document.getElementById("kz-counter");
  var maxChars = parseInt(form.getAttribute("data-max-chars"), 10) || 2000;
  var history = [];
  var replyCount = 0;
  // An API key may be passed in the URL fragment (#key=...), which is never sent to the server.
  var apiKey = new URLSearchParams(window.location.hash.slice(1)).get("key") || "";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function headers() {
    var h = {"Content-Type": "application/json"};
    if (apiKey) { h.Authorization = "Bearer " + apiKey; }
    return h;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // Spans [start, end) of the quote inside the passage: the whole quote, else each of its sentences.
  function quoteSpans(passage, quote) {
    quote = (quote || "").trim();
    if (!quote) { return []; }
    var at = passage.indexOf(quote);
    if (at >= 0) { return [[at, at + quote.length]]; }
    var spans = [];
    var cursor = 0;
    quote.split(/(?<=[。！？!?；;])/).forEach(function (sentence) {
      sentence = sentence.trim();
      if (!sentence) { return; }
      var found = passage.indexOf(sentence, cursor);
      if (found < 0) { found = passage.indexOf(sentence); }
      if (found >= 0) { spans.push([found, found + sentence.length]); cursor = found + sentence.length; }
    });
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    spans.forEach(function (s) {
      var last = merged[merged.length - 1];
      if (last && s[0] <= last[1]) { last[1] = Math.max(last[1], s[1]); } else { merged.push([s[0], s[1]]); }
    });
    return merged;
  }

  // The passage with every quote marked (a citation of one table row holds all its quoted cells).
  function highlighted(passage, quotes) {
    var block = el("blockquote", "kz-passage");
    var last = 0;
    var spans = [];
    quotes.forEach(function (quote) { spans = spans.concat(quoteSpans(passage, quote)); });
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    spans.forEach(function (s) {
      var prev = merged[merged.length - 1];
      if (prev && s[0] <= prev[1]) { prev[1] = Math.max(prev[1], s[1]); } else { merged.push([s[0], s[1]]); }
    });
    merged.forEach(function (s) {
      block.appendChild(document.createTextNode(passage.slice(last, s[0])));
      block.appendChild(el("mark", null, passage.slice(s[0], s[1])));
      last = s[1];
    });
    block.appendChild(document.createTextNode(passage.slice(last)));
    return block;
  }

  function openSource(id) {
    var target = document.getElementById(id);
    if (!target) { return; }
    target.open = true;
    target.scrollIntoView({behavior: "smooth", block: "nearest"});
    target.classList.add("kz-flash");
    setTimeout(function () { target.classList.remove("kz-flash"); }, 1200);
  }

  function answerWithMarkers(answer, known, prefix) {
    var box = el("div", "kz-answer");
    var pattern = /\[(\d{1,3})\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(answer)) !== null) {
      var n = parseInt(match[1], 10);
      if (!known[n]) { continue; }
      box.appendChild(document.createTextNode(answer.slice(last, match.index)));
      var link = el("a", "kz-cite", "[" + n + "]");
      link.href = "#" + prefix + n;
      link.title = "來源 " + n;
      link.addEventListener("click", (function (id) {
        return function (event) { event.preventDefault(); openSource(id); };
      })(prefix + n));
      box.appendChild(link);
      last = match.index + match[0].length;
    }
    box.appendChild(document.createTextNode(answer.slice(last)));
    return box;
  }

  function sourceItem(citation, prefix) {
    var details = el("details", "kz-source");
    details.id = prefix + citation.n;
    var summary = el("summary");
    summary.appendChild(el("span", "kz-n", "[" + citation.n + "] "));
    summary.appendChild(el("span", "kz-title", citation.title || citation.source));
    if (citation.section) { summary.appendChild(el("span", "kz-section", " · " + citation.section)); }
    details.appendChild(summary);
    var quotes = (citation.quotes || []).map(function (q) { return q.quote; });
    details.appendChild(highlighted(citation.text || "", quotes.length ? quotes : [citation.quote || ""]));
    details.appendChild(el("div", "kz-file", citation.source));
    return details;
  }

  // Thumbs drawn with inline SVG (no emoji font needed); paths from the Feather icon set (MIT).
  var SVG_NS = "http://www.w3.org/2000/svg";
  var THUMBS = {
    up: "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3",
    down: "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17"
  };
  function icon(kind) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "kz-icon");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", THUMBS[kind]);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
    return svg;
  }

  function post(path, body) {
    return fetch(path, {method: "POST", headers: headers(), body: JSON.stringify(body)});
  }

  // A thumbs down opens a reason box; the reason is stored against the answer's id.
  function reasonBox(question, reply) {
    var box = el("form", "kz-reason");
    var label = el("label", null, "這個回答哪裡不好？（選填）");
    var text = el("textarea");
    text.rows = 2;
    text.maxLength = 1000;
    text.id = "kz-reason-" + reply.id;
    label.htmlFor = text.id;
    var send = el("button", "kz-reason-send", "送出意見");
    send.type = "submit";
    box.appendChild(label);
    box.appendChild(text);
    box.appendChild(send);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!text.value.trim()) { text.focus(); return; }
      post("api/feedback/reason", {reply_id: reply.id, reason: text.value, question: question, surface: "widget"})
        .then(function (response) {
          if (response.ok) { box.replaceWith(el("div", "kz-thanks", "感謝您的意見！")); }
        });
    });
    return box;
  }

  function rateButtons(question, reply) {
    var bar = el("div", "kz-rate");
    var current = null;
    var reason = null;
    [["up", "有幫助"], ["down", "沒幫助"]].forEach(function (spec) {
      var button = el("button");
      button.type = "button";
      button.appendChild(icon(spec[0]));
      button.appendChild(el("span", null, spec[1]));
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("data-rating", spec[0]);
      button.addEventListener("click", function () {
        // Pressing the pressed button again withdraws the vote.
        var rating = current === spec[0] ? null : spec[0];
        post("api/feedback", {
          reply_id: reply.id || "", question: question, answer: reply.answer, rating: rating,
          citations: reply.citations || [], refused: !!reply.refused, surface: "widget"
        }).then(function (response) {
          if (!response.ok) { return; }
          current = rating;
          bar.querySelectorAll("button[data-rating]").forEach(function (b) {
            b.setAttribute("aria-pressed", b.getAttribute("data-rating") === rating ? "true" : "false");
          });
          if (rating === "down" && !reason && reply.id) {
            reason = reasonBox(question, reply);
            bar.appendChild(reason);
          } else if (rating !== "down" && reason) {
            reason.remove();
            reason = null;
          }
        });
      });
      bar.appendChild(button);
    });
    return bar;
  }

  function renderReply(bubble, question, reply) {
    bubble.textContent = "";
    bubble.classList.remove("kz-pending");
    if (reply.refused) {
      bubble.classList.add("kz-refusal");
      bubble.setAttribute("role", "note");
    }
    // A refusal that corrects the question with cited text (a false premise) shows its sources.
    if (reply.refused && !(reply.citations && reply.citations.length)) {
      bubble.appendChild(document.createTextNode(reply.answer));
      bubble.appendChild(rateButtons(question, reply));
      return;
    }
    replyCount += 1;
    var prefix = "kz-src-" + replyCount + "-";
    var known = {};
    (reply.citations || []).forEach(function (c) { known[c.n] = true; });
    bubble.appendChild(answerWithMarkers(reply.answer, known, prefix));
    if (reply.citations && reply.citations.length) {
      var sources = el("div", "kz-sources");
      sources.appendChild(el("div", "kz-sources-label", "來源"));
      reply.citations.forEach(function (c) { sources.appendChild(sourceItem(c, prefix)); });
      bubble.appendChild(sources);
    }
    bubble.appendChild(rateButtons(question, reply));
  }

  // The counter shows the length against the server's limit; past it, it says so and the
  // question stays in the box (never sent, never shown as a bubble).
  function tooLong(length) { return "問題太長（" + length + " 字，上限 " + maxChars + " 字），請縮短後再送出。"; }
  function updateCounter() {
    var length = input.value.trim().length;
    var over = length > maxChars;
    counter.textContent = over ? tooLong(length) : (length ? length + " / " + maxChars + " 字" : "");
    counter.classList.toggle("kz-over", over);
    counter.setAttribute("role", over ? "alert" : "status");
    input.setAttribute("aria-invalid", over ? "true" : "false");
  }
  input.addEventListener("input", updateCounter);

  function ask(question) {
    question = question.trim();
    if (!question) { input.focus(); return; }
    if (question.length > maxChars) { updateCounter(); input.focus(); return; }
    if (welcome) { welcome.remove(); welcome = null; }
    log.appendChild(el("div", "kz-msg kz-user", question));
    var bubble = el("div", "kz-msg kz-bot kz-pending", "…");
    log.appendChild(bubble);
    scrollDown();
    send.disabled = true;
    var typed = input.value;
    input.value = "";
    updateCounter();
    fetch("api/ask", {method: "POST", headers: headers(), body: JSON.stringify({question: question, history: history})})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (result) {
        if (!result.ok) {
          var message = result.body && result.body.error ? result.body.error.message : "發生錯誤，請稍後再試。";
          if (!input.value) { input.value = typed; updateCounter(); }  // the question is not lost
          bubble.textContent = message;
          bubble.className = "kz-msg kz-error";
          bubble.setAttribute("role", "alert");
          return;
        }
        renderReply(bubble, question, result.body);
        history.push({role: "user", content: question});
        history.push({role: "assistant", content: result.body.answer});
      })
      .catch(function () {
        bubble.textContent = "無法連線到伺服器，請稍後再試。";
        bubble.className = "kz-msg kz-error";
        bubble.setAttribute("role", "alert");
      })
      .then(function () { send.disabled = false; scrollDown(); input.focus(); });
  }

  // Escape asks the page that opened this chat in a bubble (widget.js) to close it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && window.parent !== window) {
      window.parent.postMessage({type: "kezhuan:close"}, "*");
    }
  });

  form.addEventListener("submit", function (event) { event.preventDefault(); ask(input.value); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); ask(input.value); }
  });
  document.querySelectorAll(".kz-example").forEach(function (button) {
    button.addEventListener("click", function () { ask(button.textContent); });
  });
  document.getElementById("kz-clear").addEventListener("click", function () {
    history = [];
    log.textContent = "";
    input.focus();
  });
})();
