// Gatehouse's few behaviours that need script: opening htmx-loaded dialogs,
// closing dialogs and notifications, and copy buttons. No inline script anywhere.
(function () {
  "use strict";

  function showDialogs(root) {
    root.querySelectorAll("dialog[data-autoshow]").forEach(function (d) {
      if (!d.open) d.showModal();
      d.addEventListener("close", function () { d.remove(); }, { once: true });
    });
  }

  document.addEventListener("htmx:afterSettle", function (e) { showDialogs(e.target.ownerDocument || document); });
  document.addEventListener("DOMContentLoaded", function () { showDialogs(document); });

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-close-dialog]");
    if (t) {
      var d = t.closest("dialog");
      if (d) d.close();
      return;
    }
    t = e.target.closest("[data-close-notice]");
    if (t) {
      t.closest(".notice").remove();
      return;
    }
    t = e.target.closest("[data-copy]");
    if (t) {
      var src = document.getElementById(t.getAttribute("data-copy"));
      var text = src ? (src.value || src.textContent) : "";
      var done = function () {
        var old = t.getAttribute("data-label") || t.textContent;
        t.setAttribute("data-label", old);
        t.textContent = "Copied";
        setTimeout(function () { t.textContent = old; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { selectText(src); });
      } else {
        selectText(src);
        try { document.execCommand("copy"); done(); } catch (err) { /* selection is left for the user */ }
      }
    }
  });

  function selectText(el) {
    if (!el) return;
    if (el.select) { el.select(); return; }
    var r = document.createRange();
    r.selectNodeContents(el);
    var s = window.getSelection();
    s.removeAllRanges();
    s.addRange(r);
  }

  // Forms marked data-autosubmit apply a changed checkbox at once (text
  // inputs apply on Enter or with the form's button).
  document.addEventListener("change", function (e) {
    var f = e.target.closest("form[data-autosubmit]");
    if (f && e.target.type === "checkbox") f.requestSubmit();
  });

  // Elements marked data-toggle="ID" show or hide ID when they change.
  document.addEventListener("change", function (e) {
    var t = e.target.closest("[data-toggle]");
    if (!t) return;
    var el = document.getElementById(t.getAttribute("data-toggle"));
    if (el) el.hidden = !t.checked;
  });
})();
