/* Distributor tools: one-tap copy.  A button with data-copy="#id" copies that element's text
   (data-copy-text: the text itself) through the Clipboard API, or, where that is missing (plain
   http in WeChat's browser), through a hidden textarea; its label then shows data-copied. */
(function () {
  "use strict";
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  function done(button, ok) {
    var label = button.getAttribute(ok ? "data-copied" : "data-copy-failed") || button.textContent;
    button.textContent = label;
    button.classList.add(ok ? "copied" : "copy-failed");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy], [data-copy-text]");
    if (!button) return;
    event.preventDefault();
    var text = button.getAttribute("data-copy-text");
    if (text === null) {
      var source = document.querySelector(button.getAttribute("data-copy"));
      text = source ? (source.value !== undefined && source.tagName === "TEXTAREA" ? source.value : source.textContent).trim() : "";
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(button, true); }, function () { done(button, fallback(text)); });
    } else {
      done(button, fallback(text));
    }
  });
})();
