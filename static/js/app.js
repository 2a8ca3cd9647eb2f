// Gatehouse's few behaviours that need script: opening htmx-loaded dialogs,
// closing dialogs and notifications, the navigation drawer, focus and Esc,
// copy buttons, local times, and the small helpers of a few forms. No
// inline script anywhere.
(function () {
  "use strict";

  function showDialogs(root) {
    root.querySelectorAll("dialog[data-autoshow]").forEach(function (d) {
      if (!d.open) d.showModal();
      if (d.hasAttribute("data-wired")) return;
      d.setAttribute("data-wired", "");
      d.addEventListener("close", function () { d.remove(); }, { once: true });
    });
  }

  // An element marked data-autofocus takes the focus once it arrives (the
  // Copy button of a new token's notification).
  function autofocus(root) {
    var f = root.querySelector("[data-autofocus]");
    if (f) {
      f.removeAttribute("data-autofocus");
      f.focus();
    }
  }

  // <time data-local-time>: hovering shows the exact time in the viewer's zone.
  function localTimes(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      el.title = d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });
    });
  }

  function settle(root) {
    showDialogs(root);
    autofocus(root);
    localTimes(root);
    root.querySelectorAll("[data-channel-select]").forEach(limitLevels);
    root.querySelectorAll("fieldset[data-scope-group]").forEach(syncSelectAll);
  }

  document.addEventListener("htmx:afterSettle", function () { settle(document); });
  document.addEventListener("DOMContentLoaded", function () { settle(document); });

  // The navigation drawer below desktop width.
  function nav() { return document.getElementById("sidebar"); }
  function navButton() { return document.querySelector("[data-nav-toggle]"); }
  function setNav(open) {
    var side = nav(), btn = navButton();
    if (!side || !btn) return;
    side.toggleAttribute("data-open", open);
    btn.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = side.querySelector("a");
      if (first) first.focus();
    } else {
      btn.focus();
    }
  }
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-nav-toggle]")) {
      setNav(!nav().hasAttribute("data-open"));
    } else if (e.target.closest("[data-nav-close]")) {
      setNav(false);
    }
  });

  // Esc closes, in order: the drawer, a notification holding the focus, an
  // open menu. (Dialogs close on Esc by themselves.)
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var side = nav();
    if (side && side.hasAttribute("data-open")) {
      setNav(false);
      return;
    }
    var note = document.activeElement && document.activeElement.closest(".notice");
    if (note) {
      closeNotice(note);
      return;
    }
    var menu = document.activeElement && document.activeElement.closest("details[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });

  // A click outside an open menu closes it.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (d) {
      if (!d.contains(e.target)) d.open = false;
    });
  });

  // Closing a notification puts the focus back where work goes on.
  function closeNotice(note) {
    var back = document.querySelector(note.getAttribute("data-return-focus") || "#main");
    note.remove();
    if (back) back.focus();
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-close-dialog]");
    if (t) {
      var d = t.closest("dialog");
      if (d) d.close();
      return;
    }
    t = e.target.closest("[data-close-notice]");
    if (t) {
      closeNotice(t.closest(".notice"));
      return;
    }
    t = e.target.closest("[data-copy]");
    if (t) {
      var src = document.getElementById(t.getAttribute("data-copy"));
      var text = src ? (src.value || src.textContent).trim() : "";
      var done = function () {
        if (!t.hasAttribute("data-label")) {
          t.setAttribute("data-label", t.textContent);
          if (t.hasAttribute("aria-label")) t.setAttribute("data-aria-label", t.getAttribute("aria-label"));
        }
        t.textContent = "Copied";
        if (t.hasAttribute("data-aria-label")) t.setAttribute("aria-label", "Copied");
        setTimeout(function () {
          t.textContent = t.getAttribute("data-label");
          if (t.hasAttribute("data-aria-label")) t.setAttribute("aria-label", t.getAttribute("data-aria-label"));
        }, 1500);
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

  // Forms marked data-autosubmit apply a changed checkbox or select at
  // once (text inputs apply on Enter or with the form's button).
  document.addEventListener("change", function (e) {
    var f = e.target.closest("form[data-autosubmit]");
    if (f && (e.target.type === "checkbox" || e.target.tagName === "SELECT")) f.requestSubmit();
  });

  // Repeated rows (Add Resource, the Builder's Add filter): the add button
  // clones the row <template>; a row's remove button drops it (one row
  // stays unless the list is marked data-may-empty).
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-add-row]");
    if (t) {
      var rows = document.getElementById(t.getAttribute("data-add-row"));
      var tpl = document.getElementById(t.getAttribute("data-template"));
      if (rows && tpl) {
        rows.appendChild(tpl.content.cloneNode(true));
        numberRows(rows);
        var added = rows.lastElementChild;
        added.querySelectorAll("[data-channel-select]").forEach(limitLevels);
        var sel = added && added.querySelector("select");
        if (sel) sel.focus();
      }
      return;
    }
    t = e.target.closest("[data-remove-row]");
    if (t) {
      var row = t.closest("[data-row]");
      var list = row && row.parentElement;
      if (row && (list.querySelectorAll("[data-row]").length > 1 || list.hasAttribute("data-may-empty"))) {
        row.remove();
        numberRows(list);
        var add = document.querySelector('[data-add-row="' + list.id + '"]');
        if (add) add.focus();
      }
    }
  });

  // Rows added from a template carry labels such as "Filter # column":
  // every row's # is its position.
  function numberRows(list) {
    Array.prototype.forEach.call(list.querySelectorAll("[data-row]"), function (row, i) {
      row.querySelectorAll("[data-label-template]").forEach(function (el) {
        el.setAttribute("aria-label", el.getAttribute("data-label-template").replace("#", String(i + 1)));
      });
    });
  }

  // Token dialog: a Permission above what the owner holds on the chosen
  // channel is disabled, and says why.
  function limitLevels(sel) {
    var row = sel.closest("[data-row]");
    var opt = sel.options[sel.selectedIndex];
    var held = opt ? Number(opt.getAttribute("data-held") || 3) : 3;
    var heldName = opt ? opt.getAttribute("data-held-name") : "";
    var levels = row.querySelector("[data-level-select]");
    if (!levels) return;
    var best = null;
    Array.prototype.forEach.call(levels.options, function (o) {
      if (!o.hasAttribute("data-label")) o.setAttribute("data-label", o.textContent);
      var over = Number(o.getAttribute("data-rank")) > held;
      o.disabled = over;
      o.textContent = o.getAttribute("data-label") + (over ? " (you hold " + heldName + ")" : "");
      if (!over) best = o;
    });
    if (levels.selectedOptions[0] && levels.selectedOptions[0].disabled && best) best.selected = true;
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-channel-select]")) limitLevels(e.target);
  });

  // Token dialog: the scope search hides scopes (and whole categories)
  // that do not match; "all" checks every scope of a category one may grant.
  document.addEventListener("input", function (e) {
    var t = e.target.closest("[data-scope-search]");
    if (!t) return;
    var q = t.value.trim().toLowerCase(), shown = 0;
    document.querySelectorAll("fieldset[data-scope-group]").forEach(function (g) {
      var inGroup = 0;
      g.querySelectorAll("[data-scope]").forEach(function (s) {
        var hit = q === "" || s.getAttribute("data-scope").toLowerCase().indexOf(q) !== -1;
        s.hidden = !hit;
        if (hit) inGroup++;
      });
      g.hidden = inGroup === 0;
      shown += inGroup;
    });
    var none = document.querySelector("[data-scope-none]");
    if (none) none.hidden = shown > 0;
  });
  function syncSelectAll(g) {
    var all = g.querySelector("[data-select-all]");
    if (!all) return;
    var boxes = Array.prototype.filter.call(g.querySelectorAll("input[name=scopes]"), function (b) { return !b.disabled; });
    var on = boxes.filter(function (b) { return b.checked; }).length;
    all.checked = boxes.length > 0 && on === boxes.length;
    all.indeterminate = on > 0 && on < boxes.length;
    all.disabled = boxes.length === 0;
  }
  document.addEventListener("change", function (e) {
    var g = e.target.closest("fieldset[data-scope-group]");
    if (!g) return;
    if (e.target.matches("[data-select-all]")) {
      g.querySelectorAll("input[name=scopes]").forEach(function (b) { if (!b.disabled) b.checked = e.target.checked; });
    }
    syncSelectAll(g);
  });

  // Builder: the identifier follows the title until it is typed into.
  function slug(s) {
    return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 100).replace(/-+$/, "");
  }
  document.addEventListener("input", function (e) {
    var t = e.target;
    if (t.matches("[data-slug-from]")) {
      t.setAttribute("data-touched", "");
      return;
    }
    if (!t.id) return;
    var dst = document.querySelector('[data-slug-from="' + CSS.escape(t.id) + '"]');
    if (dst && !dst.hasAttribute("data-touched")) dst.value = slug(t.value);
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
