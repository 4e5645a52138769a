// Warden's pages work without JavaScript; this file adds dialogs, the token dialog, copying,
// the list's live search and filters, and pickers that save by themselves. No inline script
// is used (the CSP forbids it). Keyboard use follows the WAI-ARIA Authoring Practices: dialogs
// take the focus, keep Tab inside, close on Escape and give the focus back to what opened
// them; buttons act on Enter and Space; arrow keys in a radio group or a picker never reload
// the page.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // A page that showed a token (the no-JavaScript form's answer) is never shown again from
  // the back-forward cache.
  var shown = document.getElementById("token-created-static");
  if (shown) {
    window.addEventListener("pagehide", function () { $("#created-token", shown).value = ""; });
    window.addEventListener("pageshow", function (ev) {
      if (ev.persisted) location.replace($("a[data-close-link]", shown).href);
    });
  }

  // After a reload this script asked for (closing the token dialog), the focus goes back to
  // the element that had it.
  var FOCUS_KEY = "warden-focus";
  function focusAfterReload(id) { try { sessionStorage.setItem(FOCUS_KEY, id); } catch (e) { /* private mode */ } }
  try {
    var again = sessionStorage.getItem(FOCUS_KEY);
    if (again) {
      sessionStorage.removeItem(FOCUS_KEY);
      var back = document.getElementById(again);
      if (back) back.focus();
    }
  } catch (e) { /* private mode */ }

  // ---- aria-describedby lists ----
  function describedBy(el, id, on) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
    if (on) ids.push(id);
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" ")); else el.removeAttribute("aria-describedby");
  }

  // ---- modal dialogs ----
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
  function focusables(root) {
    return $all(FOCUSABLE, root).filter(function (e) { return e.getClientRects().length > 0; });
  }
  // Tab from the last element goes to the first, Shift+Tab from the first to the last.
  function trapTab(dialog) {
    dialog.addEventListener("keydown", function (ev) {
      if (ev.key !== "Tab" || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var f = focusables(dialog);
      if (!f.length) { ev.preventDefault(); return; }
      var first = f[0], last = f[f.length - 1], active = document.activeElement;
      var inside = dialog.contains(active);
      // A radio group is one stop: the checked radio (or the first) stands for it.
      if (ev.shiftKey && (!inside || active === first || (first.type === "radio" && active.name === first.name))) {
        ev.preventDefault();
        last.focus();
      } else if (!ev.shiftKey && (!inside || active === last || (last.type === "radio" && active.name === last.name))) {
        ev.preventDefault();
        first.focus();
      }
    });
  }
  // openModal shows dialog and focuses target; the element that had the focus gets it back
  // when the dialog closes (unless the page is being left).
  function openModal(dialog, target) {
    var opener = document.activeElement;
    dialog.wardenOpener = opener && opener !== document.body && !dialog.contains(opener) ? opener : dialog.wardenOpener || null;
    dialog.showModal();
    (target || focusables(dialog)[0] || dialog).focus();
  }
  function returnFocus(dialog) {
    var o = dialog.wardenOpener;
    if (o && document.contains(o) && !o.disabled) o.focus();
  }

  // ---- confirmation dialogs for forms with data-confirm ----
  // A destructive form acts only when it carries confirm=yes: without this script the server
  // asks on a page of its own; here the dialog asks and adds the field.
  function confirmDialog(title, text, button, danger, onConfirm) {
    var d = document.createElement("dialog");
    d.className = "modal";
    d.setAttribute("role", "alertdialog");
    d.setAttribute("aria-labelledby", "confirm-title");
    d.setAttribute("aria-describedby", "confirm-text");
    d.innerHTML = '<form method="dialog" class="stack"><h2 id="confirm-title"></h2><p class="confirm-text" id="confirm-text"></p>' +
      '<div class="buttons"><button value="cancel" class="ghost" type="submit">Cancel</button>' +
      '<button value="ok" type="submit" class="confirm"></button></div></form>';
    $("#confirm-title", d).textContent = title;
    $(".confirm-text", d).textContent = text;
    var ok = $("button.confirm", d);
    ok.textContent = button;
    ok.classList.add(danger ? "danger" : "primary");
    trapTab(d);
    document.body.appendChild(d);
    d.addEventListener("close", function () {
      var confirmed = d.returnValue === "ok";
      d.remove();
      if (confirmed) onConfirm(); else returnFocus(d);
    });
    // What cannot be undone starts on Cancel, the least destructive choice.
    openModal(d, danger ? $("button[value=cancel]", d) : ok);
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form[data-confirm]") || form.dataset.confirmed) return;
    ev.preventDefault();
    confirmDialog(form.dataset.confirmTitle || "Are you sure?", form.dataset.confirm,
      form.dataset.confirmButton || "OK", form.hasAttribute("data-confirm-danger"), function () {
        form.dataset.confirmed = "1";
        var field = form.querySelector("input[name=confirm]");
        if (!field) {
          field = document.createElement("input");
          field.type = "hidden";
          field.name = "confirm";
          form.appendChild(field);
        }
        field.value = "yes";
        form.submit();
      });
  });

  // ---- pickers that save by themselves ----
  // Chosen with the mouse (or Enter in the open list), a role saves at once. Arrow keys on a
  // closed picker change its value without saving: its Save button appears, and Tab then
  // Enter (or Space) saves — the page never reloads under the keyboard.
  var keyed = null;
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (el.tagName === "SELECT" && el.form && el.form.hasAttribute("data-autosubmit") &&
        (/^(Arrow|Page|Home|End)/.test(ev.key || "") || (ev.key || "").length === 1 && ev.key !== " ")) {
      keyed = el;
    }
  }, true);
  document.addEventListener("change", function (ev) {
    var el = ev.target, form = el.form;
    if (el.tagName !== "SELECT" || !form || !form.hasAttribute("data-autosubmit")) return;
    if (keyed === el) {
      keyed = null;
      form.classList.add("unsaved");
      return;
    }
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
  document.addEventListener("focusout", function (ev) { if (ev.target === keyed) keyed = null; });

  // ---- the list's live search and filters ----
  // Typing in the search box or choosing a filter (with the mouse, or the arrow keys as in
  // any radio group) updates the results in place: the focus stays where it is, the address
  // follows (so Reload shows the same), and the new count is announced.
  $all("form[data-live]").forEach(function (form) {
    var region = document.getElementById(form.getAttribute("data-live"));
    var status = document.getElementById(form.getAttribute("data-live-status"));
    if (!region) return;
    var timer, ctrl;
    function target() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (v !== "") params.append(k, v); });
      return form.getAttribute("action") + "?" + params.toString();
    }
    function update() {
      clearTimeout(timer);
      var to = target();
      if (ctrl) ctrl.abort();
      ctrl = window.AbortController ? new AbortController() : null;
      fetch(to, { credentials: "same-origin", headers: { "Accept": "text/html" }, signal: ctrl ? ctrl.signal : undefined })
        .then(function (resp) {
          if (!resp.ok) throw new Error("status " + resp.status);
          return resp.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (!fresh) { location.href = to; return; } // signed out meanwhile, or the list emptied: load the page
          region.replaceWith(fresh);
          region = fresh;
          history.replaceState(null, "", to);
          if (status) status.textContent = fresh.getAttribute("data-summary") || "";
        })
        .catch(function (e) { if (!e || e.name !== "AbortError") location.href = to; });
    }
    function later(ms) { clearTimeout(timer); timer = setTimeout(update, ms); }
    form.addEventListener("input", function (ev) { if (ev.target.type === "search") later(500); });
    form.addEventListener("change", function (ev) { if (ev.target.type === "radio") later(250); });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); update(); });
  });

  // ---- copying ----
  function copyFrom(sel) {
    var input = $(sel);
    if (!input) return Promise.resolve(false);
    var text = input.value;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return selectFallback(input); });
    }
    return Promise.resolve(selectFallback(input));
  }
  // Without the Clipboard API (plain http) select the text, so Ctrl+C copies it, and try the
  // old copy command.
  function selectFallback(input) {
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-copy]");
    if (!el) return;
    var follow = el.hasAttribute("data-copy-then-follow") ? el.getAttribute("href") : null;
    if (follow) ev.preventDefault();
    copyFrom(el.getAttribute("data-copy")).then(function (ok) {
      if (!el.hasAttribute("data-close") && !follow) {
        var old = el.textContent;
        el.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
        setTimeout(function () { el.textContent = old; }, 1800);
      }
      if (follow) location.href = follow;
    });
  });

  // ---- required fields: say so next to the field ----
  function setRequiredError(input, empty) {
    var err = input.id ? document.getElementById(input.id + "-error") : null;
    if (err) {
      err.textContent = empty ? input.dataset.requiredMessage : "";
      err.hidden = !empty;
      describedBy(input, err.id, empty);
    }
    input.setAttribute("aria-invalid", empty ? "true" : "false");
  }
  function checkRequired(input) {
    var empty = input.value.trim() === "";
    setRequiredError(input, empty);
    return !empty;
  }
  $all("input[data-required-message]").forEach(function (input) {
    var form = input.form;
    if (!form || form.closest(".token-form")) return;
    form.addEventListener("submit", function (ev) {
      if (!checkRequired(input)) { ev.preventDefault(); input.focus(); }
    });
  });

  // ---- the token dialog ----
  var section = $("#add-token");
  if (section) {
    var dialog = document.createElement("dialog");
    dialog.className = "modal token-dialog";
    dialog.id = "token-dialog";
    dialog.setAttribute("aria-labelledby", "add-token-title");
    section.parentNode.insertBefore(dialog, section);
    dialog.appendChild(section);
    section.classList.remove("card");
    trapTab(dialog);

    var form = $("form", section);
    var nameInput = $("#token-name", section);
    var dateField = $("[data-expiration-date]", section);
    var dateInput = $("#token-date", section);
    var expiresAt = $("#token-expires-at", section);
    var errorBox = $("[data-token-error]", section);
    var generate = $("[data-generate]", section);
    // The Advanced part: the token's restrictions, sent only when set.
    var advanced = $("#token-advanced", section);
    var roleInput = $("#token-role", section);
    var scopesInput = $("#token-scopes", section);
    var cidrsInput = $("#token-cidrs", section);
    var limitInputs = [roleInput, scopesInput, cidrsInput].filter(Boolean);
    var created = false, pending = false;

    // Dates are days in the browser's time zone. A token expires on the chosen day at the
    // time it is now: the earliest choice, tomorrow, is 24 hours away (never minutes, as
    // "the end of today" could be).
    function ymd(d) { return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0"); }
    function pad(n) { return String(n).padStart(2, "0"); }
    var now = new Date();
    var tomorrow = ymd(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1));
    var limitDays = parseInt(dateInput.getAttribute("data-limit-days"), 10) || 0;
    dateInput.min = tomorrow;
    if (limitDays > 0) dateInput.max = ymd(new Date(now.getFullYear(), now.getMonth(), now.getDate() + limitDays));
    // The server proposes tomorrow in its own time zone, a day off from the browser's for some
    // hours of every day; only a date the person chose (a form sent back) is kept.
    if (!dateInput.hasAttribute("data-chosen") || !dateInput.value || dateInput.value < tomorrow) dateInput.value = tomorrow;
    function expiryDate() {
      var p = dateInput.value.split("-"), t = new Date();
      if (p.length !== 3) return null;
      var when = new Date(+p[0], +p[1] - 1, +p[2], t.getHours(), t.getMinutes(), t.getSeconds());
      return isNaN(when.getTime()) ? null : when;
    }
    function zone(d) {
      var off = -d.getTimezoneOffset(), a = Math.abs(off);
      return "UTC" + (off < 0 ? "−" : "+") + Math.floor(a / 60) + (a % 60 ? ":" + pad(a % 60) : "");
    }
    function showExpiry() {
      var when = expiryDate();
      expiresAt.hidden = !when;
      if (!when) return;
      expiresAt.textContent = "The token will expire on " +
        when.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric" }) +
        " at " + pad(when.getHours()) + ":" + pad(when.getMinutes()) + " (your time, " + zone(when) + ").";
    }

    function mode() {
      var r = $("input[name=expiration]:checked", section);
      return r ? r.value : "never";
    }
    function sync() {
      dateField.hidden = mode() !== "date";
      generate.disabled = mode() === "date" && !dateInput.value;
      showExpiry();
    }
    $all("input[name=expiration]", section).forEach(function (r) { r.addEventListener("change", sync); });
    dateInput.addEventListener("input", sync);
    dateInput.addEventListener("change", sync);
    sync();

    function showStep(step) {
      $all(".token-step", section).forEach(function (s) { s.hidden = s.dataset.step !== step; });
      dialog.setAttribute("aria-labelledby", step === "created" ? "created-token-title" : "add-token-title");
    }
    // Nothing is judged before the person acts: opening shows no error of an earlier try.
    function clearErrors() {
      errorBox.hidden = true;
      describedBy(nameInput, errorBox.id, false);
      describedBy(dateInput, errorBox.id, false);
      dateInput.removeAttribute("aria-invalid");
      limitInputs.forEach(function (el) { describedBy(el, errorBox.id, false); el.removeAttribute("aria-invalid"); });
      setRequiredError(nameInput, false);
      nameInput.removeAttribute("aria-invalid");
    }
    function open(keepErrors) {
      if (created) return;
      if (!keepErrors) clearErrors();
      showStep("form");
      // A refused form (without JavaScript) comes back with the focus on the field it is about.
      var invalid = keepErrors ? limitInputs.filter(function (el) { return el.getAttribute("aria-invalid") === "true"; })[0] : null;
      openModal(dialog, invalid || nameInput);
    }
    // The opener is a link to the form (the way without JavaScript); here it becomes a real
    // button, which Enter and Space both press. (A link follows Enter as the key goes down;
    // the rest of that key press then reached the name field and submitted the empty form.)
    var link = $("a#open-token-dialog");
    if (link) {
      var button = document.createElement("button");
      button.type = "button";
      button.id = link.id;
      button.className = link.className;
      button.textContent = link.textContent;
      button.setAttribute("aria-haspopup", "dialog");
      link.replaceWith(button);
    }
    var opener = $("#open-token-dialog");
    if (opener) {
      opener.addEventListener("click", function (ev) {
        ev.preventDefault();
        if (opener.disabled || opener.getAttribute("aria-disabled") === "true") return;
        open(false);
      });
    }
    dialog.addEventListener("close", function () {
      if (created) { // the token is gone; show the new list, the focus back on the button
        if (dialog.wardenOpener && dialog.wardenOpener.id) focusAfterReload(dialog.wardenOpener.id);
        location.replace(location.pathname);
        return;
      }
      returnFocus(dialog);
    });
    // Leaving the page by other means forgets the token too, so Back (or the back-forward
    // cache) never shows it again.
    window.addEventListener("pagehide", function () {
      if (!created) return;
      $("#new-token", section).value = "";
    });
    window.addEventListener("pageshow", function (ev) {
      if (ev.persisted && created) location.replace(location.pathname);
    });
    $all("[data-close]", section).forEach(function (b) {
      b.addEventListener("click", function () {
        if (b.hasAttribute("data-copy")) {
          copyFrom(b.getAttribute("data-copy")).then(function () { dialog.close(); });
        } else {
          dialog.close();
        }
      });
    });
    if (location.hash === "#add-token") {
      // Opened from "Add token" in the list. The browser scrolls to the fragment after the
      // page loads and, the section not being focusable, takes the focus away from the name
      // field: drop the fragment and focus again once loaded.
      history.replaceState(null, "", location.pathname + location.search);
      open(false);
      window.addEventListener("load", function () {
        if (dialog.open && !created && !dialog.contains(document.activeElement)) nameInput.focus();
      });
    }
    if (errorBox && !errorBox.hidden) open(true); // the form without JavaScript was refused

    // A refusal is shown in the dialog and the focus goes to the field it is about, marked
    // invalid and described by the message: it is never left on nothing.
    function fail(msg, field) {
      pending = false;
      generate.removeAttribute("aria-disabled");
      errorBox.textContent = msg;
      errorBox.hidden = false;
      field = field || nameInput;
      if (advanced && advanced.contains(field)) advanced.open = true;
      field.setAttribute("aria-invalid", "true");
      describedBy(field, errorBox.id, true);
      field.focus();
    }
    // The API names a restriction field as its JSON does; the dialog as its label.
    var LIMIT_WORDS = { role: "Role", scopes: "Scopes", allowedCidrs: "Allowed address ranges" };
    function plain(msg) {
      var limit = /^(role|scopes|allowedCidrs): /.exec(msg);
      if (limit) return LIMIT_WORDS[limit[1]] + ": " + msg.slice(limit[0].length);
      if (/exceeds the limit/.test(msg)) return "The expiration date is later than this server allows for tokens. Choose an earlier date.";
      if (/already exists/.test(msg)) return "A token with this name already exists in this organization. Choose another name.";
      if (/SecondsToLive/.test(msg)) return "The expiration date must be in the future.";
      if (/additional permissions/.test(msg)) return "You are not allowed to add tokens to this service account.";
      return msg;
    }
    function fieldOf(msg) {
      if (/^Role: /.test(msg)) return roleInput;
      if (/^Scopes: /.test(msg)) return scopesInput;
      if (/^Allowed address ranges: /.test(msg)) return cidrsInput;
      return /expiration|limit|future|seconds/i.test(msg) ? dateInput : nameInput;
    }
    // A list typed into a field: items separated by spaces, commas or new lines.
    function list(el) { return el ? el.value.split(/[\s,;]+/).filter(function (x) { return x !== ""; }) : []; }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (pending) return;
      clearErrors();
      if (!checkRequired(nameInput)) { nameInput.focus(); return; }
      var body = { name: nameInput.value.trim() };
      if (roleInput && roleInput.value) body.role = roleInput.value;
      if (list(scopesInput).length) body.scopes = list(scopesInput);
      if (list(cidrsInput).length) body.allowedCidrs = list(cidrsInput);
      if (mode() === "date") {
        var when = expiryDate();
        if (!when) { fail("Choose an expiration date.", dateInput); return; }
        body.secondsToLive = Math.round((when.getTime() - Date.now()) / 1000);
        if (limitDays > 0 && dateInput.max && dateInput.value <= dateInput.max) {
          // Never past the last day the server accepts (a daylight-saving hour could be).
          var end = new Date();
          end.setUTCDate(end.getUTCDate() + limitDays);
          end.setUTCHours(23, 59, 59, 0);
          body.secondsToLive = Math.min(body.secondsToLive, Math.floor((end.getTime() - Date.now()) / 1000));
        }
      }
      // The button stays focusable while the token is made (a disabled button would drop
      // the focus); a second press is ignored.
      pending = true;
      generate.setAttribute("aria-disabled", "true");
      fetch("/api/serviceaccounts/" + section.dataset.sa + "/tokens", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (resp) {
        var ct = resp.headers.get("Content-Type") || "";
        var read = ct.indexOf("application/json") >= 0 ? resp.json() : resp.text().then(function (t) { return { message: t }; });
        return read.then(function (data) { return { ok: resp.ok, data: data }; });
      }).then(function (r) {
        if (!r.ok) {
          var msg = plain((r.data && r.data.message) || "The token could not be created.");
          fail(msg, fieldOf(msg));
          return;
        }
        pending = false;
        generate.removeAttribute("aria-disabled");
        created = true;
        $("#new-token", section).value = r.data.key;
        showStep("created");
        $("#new-token", section).focus();
        $("#new-token", section).select();
      }).catch(function () { fail("Warden could not be reached. Check your connection and try again.", generate); });
    });
  }
})();
