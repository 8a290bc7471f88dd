/* lmspack preview only (never in a package): follow the author's edits.
   The server sends its state on /__lmspack/events: {build, problems}. A new good build
   reloads the page; problems are shown over the last good build until they are fixed. */
(function () {
  "use strict";
  var stateEl = document.getElementById("lmspack-preview-state");
  var loaded = JSON.parse(stateEl.textContent);
  var PANEL_ID = "lmspack-preview-problems";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function where(p) {
    var at = p.file;
    if (p.line) at += ":" + p.line + (p.column ? ":" + p.column : "");
    return at;
  }

  function hide() {
    var old = document.getElementById(PANEL_ID);
    if (old) old.remove();
  }

  function show(problems) {
    hide();
    var n = problems.length;
    var panel = el("section", {
      id: PANEL_ID, role: "alert", "aria-labelledby": PANEL_ID + "-title",
      style: "position:fixed;inset:0 0 auto 0;z-index:2147483647;max-height:70vh;overflow:auto;" +
        "margin:0;padding:1rem 1.25rem;background:#fff;color:#1b1b1b;border-bottom:4px solid #b00020;" +
        "box-shadow:0 4px 16px rgba(0,0,0,.35);font:16px/1.45 system-ui,sans-serif;text-align:left"
    });
    panel.appendChild(el("h2", {
      id: PANEL_ID + "-title", style: "margin:0 0 .25rem;font-size:1.25rem;color:#b00020"
    }, "The course source has " + n + " problem" + (n === 1 ? "" : "s")));
    panel.appendChild(el("p", { style: "margin:0 0 .75rem" },
      "Below them is the last version that built. Save a fix and this page updates by itself."));
    var list = el("ol", { style: "margin:0;padding-left:1.5rem" });
    problems.forEach(function (p) {
      var item = el("li", { style: "margin:.4rem 0" });
      item.appendChild(el("code", {
        class: "lmspack-where", style: "font-weight:bold;background:#f3f3f3;padding:0 .2em"
      }, where(p)));
      item.appendChild(document.createTextNode(" " + (p.field ? p.field + ": " : "") + p.message));
      if (p.hint) {
        item.appendChild(el("div", { class: "lmspack-hint", style: "color:#333;margin-top:.15rem" },
          "Hint: " + p.hint));
      }
      list.appendChild(item);
    });
    panel.appendChild(list);
    var close = el("button", { type: "button", style: "margin-top:.75rem;font:inherit" },
      "Hide until the next save");
    close.addEventListener("click", hide);
    panel.appendChild(close);
    document.body.appendChild(panel);
  }

  function follow(state) {
    if (state.problems.length) show(state.problems);
    else if (state.build !== loaded.build) location.reload();
    else hide();
  }

  follow(loaded);
  var events = new EventSource("/__lmspack/events");
  events.onmessage = function (e) { follow(JSON.parse(e.data)); };
})();
