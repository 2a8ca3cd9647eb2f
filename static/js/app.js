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

  // Token dialog: Add Resource clones the row <template>; a row's remove
  // button drops it (one row always stays).
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-add-resource]");
    if (t) {
      var rows = document.getElementById(t.getAttribute("data-add-resource"));
      var tpl = document.getElementById(t.getAttribute("data-template"));
      if (rows && tpl) {
        rows.appendChild(tpl.content.cloneNode(true));
        var sel = rows.lastElementChild && rows.lastElementChild.querySelector("select");
        if (sel) sel.focus();
      }
      return;
    }
    t = e.target.closest("[data-remove-resource]");
    if (t) {
      var row = t.closest("[data-resource-row]");
      if (row && row.parentElement.querySelectorAll("[data-resource-row]").length > 1) row.remove();
    }
  });

  // Token dialog: the Type select shows its section; the other section's
  // fields move into an inert <template data-stash>, so the form can never
  // send both resources and scopes.
  function setSection(sec, on) {
    var stash = null;
    for (var i = 0; i < sec.children.length; i++) {
      if (sec.children[i].matches("template[data-stash]")) stash = sec.children[i];
    }
    if (on && stash) {
      sec.appendChild(stash.content);
      stash.remove();
    } else if (!on && !stash) {
      var t = document.createElement("template");
      t.setAttribute("data-stash", "");
      while (sec.firstChild) t.content.appendChild(sec.firstChild);
      sec.appendChild(t);
    }
    sec.hidden = !on;
  }
  document.addEventListener("change", function (e) {
    var t = e.target.closest("[data-token-type]");
    if (!t) return;
    t.closest("form").querySelectorAll("[data-type-section]").forEach(function (sec) {
      setSection(sec, sec.getAttribute("data-type-section") === t.value);
    });
  });

  // Elements marked data-toggle="ID" show or hide ID when they change.
  document.addEventListener("change", function (e) {
    var t = e.target.closest("[data-toggle]");
    if (!t) return;
    var el = document.getElementById(t.getAttribute("data-toggle"));
    if (el) el.hidden = !t.checked;
  });
  // Permissions picker (views/components/picker.templ): search filters the
  // options, Add puts a chip under the chosen level, Remove takes it out.
  // Done submits the hidden inputs the chips carry.
  function pickerEmptyState(list) {
    var empty = list.parentElement.querySelector("[data-picker-empty]");
    if (empty) empty.hidden = list.children.length > 0;
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-picker-remove]");
    if (t) {
      var chip = t.closest("[data-picker-chip]");
      var list = chip.parentElement;
      chip.remove();
      pickerEmptyState(list);
      var search = list.closest("[data-picker]").querySelector("[data-picker-search]");
      if (search) search.focus();
      return;
    }
    t = e.target.closest("[data-picker-add]");
    if (!t) return;
    var root = t.closest("[data-picker]");
    var levelEl = root.querySelector("[data-picker-level]");
    var level = levelEl ? levelEl.value : "read";
    var target = root.querySelector('[data-picker-list="' + CSS.escape(level) + '"]');
    if (!target) return;
    var kind = t.getAttribute("data-kind"), field = t.getAttribute("data-field"), name = t.getAttribute("data-name");
    var exists = Array.prototype.some.call(target.querySelectorAll("[data-picker-chip]"), function (c) {
      return c.getAttribute("data-kind") === kind && c.getAttribute("data-name") === name;
    });
    if (exists) return;
    var source = t.closest("[data-picker-option]").querySelector(".badge");
    var li = document.createElement("li");
    li.className = "inline-flex items-center gap-1 rounded-full border border-slate-200 bg-white py-0.5 pl-1 pr-2 text-sm";
    li.setAttribute("data-picker-chip", "");
    li.setAttribute("data-kind", kind);
    li.setAttribute("data-name", name);
    if (source) li.appendChild(source.cloneNode(true));
    var label = document.createElement("span");
    label.textContent = name;
    li.appendChild(label);
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = level + "." + field;
    input.value = name;
    li.appendChild(input);
    var rm = document.createElement("button");
    rm.type = "button";
    rm.className = "btn-icon p-0.5";
    rm.setAttribute("aria-label", "Remove " + name);
    rm.setAttribute("data-picker-remove", "");
    rm.textContent = "\u00d7";
    li.appendChild(rm);
    target.appendChild(li);
    pickerEmptyState(target);
  });

  document.addEventListener("input", function (e) {
    var t = e.target.closest("[data-picker-search]");
    if (!t) return;
    var root = t.closest("[data-picker]");
    var q = t.value.trim().toLowerCase(), shown = 0;
    root.querySelectorAll("[data-picker-option]").forEach(function (o) {
      var hit = q === "" || o.getAttribute("data-name").toLowerCase().indexOf(q) !== -1;
      o.classList.toggle("hidden", !hit);
      if (hit) shown++;
    });
    var none = root.querySelector("[data-picker-none]");
    if (none) none.hidden = shown > 0;
  });
})();
