// Warden's pages work without JavaScript; this file adds dialogs, the token dialog, copying
// and auto-submitting filters. No inline script is used (the CSP forbids it).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A page that showed a token (the no-JavaScript form's answer) is never shown again from
  // the back-forward cache.
  var shown = document.getElementById("token-created-static");
  if (shown) {
    window.addEventListener("pagehide", function () { $("#created-token", shown).value = ""; });
    window.addEventListener("pageshow", function (ev) {
      if (ev.persisted) location.replace($("a[data-close-link]", shown).href);
    });
  }

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // ---- confirmation dialogs for forms with data-confirm ----
  function confirmDialog(title, text, button, danger, onConfirm) {
    var d = document.createElement("dialog");
    d.className = "modal";
    d.setAttribute("aria-labelledby", "confirm-title");
    d.innerHTML = '<form method="dialog" class="stack"><h2 id="confirm-title"></h2><p class="confirm-text"></p>' +
      '<div class="buttons"><button value="cancel" class="ghost" type="submit">Cancel</button>' +
      '<button value="ok" type="submit" class="confirm"></button></div></form>';
    $("#confirm-title", d).textContent = title;
    $(".confirm-text", d).textContent = text;
    var ok = $("button.confirm", d);
    ok.textContent = button;
    ok.classList.add(danger ? "danger" : "primary");
    document.body.appendChild(d);
    d.addEventListener("close", function () {
      var confirmed = d.returnValue === "ok";
      d.remove();
      if (confirmed) onConfirm();
    });
    d.showModal();
    ok.focus();
  }

  $all("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.confirmed) return;
      ev.preventDefault();
      confirmDialog(form.dataset.confirmTitle || "Are you sure?", form.dataset.confirm,
        form.dataset.confirmButton || "OK", form.hasAttribute("data-confirm-danger"), function () {
          form.dataset.confirmed = "1";
          form.submit();
        });
    });
  });

  // ---- filters and pickers that submit themselves ----
  $all("form[data-autosubmit]").forEach(function (form) {
    var timer;
    $all("select, input[type=radio]", form).forEach(function (el) {
      el.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
    });
    $all("input[type=search]", form).forEach(function (el) {
      el.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { form.submit(); }, 500);
      });
      // The page reloads while someone types: keep typing where they were.
      if (el.value) {
        el.focus();
        el.setSelectionRange(el.value.length, el.value.length);
      }
    });
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
  function checkRequired(input) {
    var err = input.id ? document.getElementById(input.id + "-error") : null;
    var empty = input.value.trim() === "";
    if (err) {
      err.textContent = empty ? input.dataset.requiredMessage : "";
      err.hidden = !empty;
    }
    input.setAttribute("aria-invalid", empty ? "true" : "false");
    if (empty && err) input.setAttribute("aria-describedby", err.id);
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

    var form = $("form", section);
    var nameInput = $("#token-name", section);
    var dateField = $("[data-expiration-date]", section);
    var dateInput = $("#token-date", section);
    var errorBox = $("[data-token-error]", section);
    var generate = $("[data-generate]", section);
    var created = false;

    // The earliest date is tomorrow in the browser's time zone.
    var t = new Date();
    t.setDate(t.getDate() + 1);
    var tomorrow = t.getFullYear() + "-" + String(t.getMonth() + 1).padStart(2, "0") + "-" + String(t.getDate()).padStart(2, "0");
    dateInput.min = tomorrow;
    if (!dateInput.value || dateInput.value < tomorrow) dateInput.value = tomorrow;

    function mode() {
      var r = $("input[name=expiration]:checked", section);
      return r ? r.value : "never";
    }
    function sync() {
      dateField.hidden = mode() !== "date";
      generate.disabled = mode() === "date" && !dateInput.value;
    }
    $all("input[name=expiration]", section).forEach(function (r) { r.addEventListener("change", sync); });
    dateInput.addEventListener("input", sync);
    sync();

    function showStep(step) {
      $all(".token-step", section).forEach(function (s) { s.hidden = s.dataset.step !== step; });
      dialog.setAttribute("aria-labelledby", step === "created" ? "created-token-title" : "add-token-title");
    }
    function open() {
      if (created) return;
      showStep("form");
      dialog.showModal();
      nameInput.focus();
    }
    var opener = $("#open-token-dialog");
    if (opener) {
      opener.addEventListener("click", function (ev) {
        ev.preventDefault();
        if (opener.getAttribute("aria-disabled") === "true") return;
        open();
      });
    }
    dialog.addEventListener("close", function () {
      if (created) location.replace(location.pathname); // the token is gone; show the new list
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
      open();
      window.addEventListener("load", function () {
        if (dialog.open && !created && !dialog.contains(document.activeElement)) nameInput.focus();
      });
    }
    if (errorBox && !errorBox.hidden) open();

    function fail(msg) {
      errorBox.textContent = msg;
      errorBox.hidden = false;
      generate.disabled = false;
    }
    function plain(msg) {
      if (/exceeds the limit/.test(msg)) return "The expiration date is later than this server allows for tokens. Choose an earlier date.";
      if (/already exists/.test(msg)) return "A token with this name already exists in this organization. Choose another name.";
      if (/SecondsToLive/.test(msg)) return "The expiration date must be in the future.";
      if (/additional permissions/.test(msg)) return "You are not allowed to add tokens to this service account.";
      return msg;
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      errorBox.hidden = true;
      if (!checkRequired(nameInput)) { nameInput.focus(); return; }
      var body = { name: nameInput.value.trim() };
      if (mode() === "date") {
        var p = dateInput.value.split("-");
        if (p.length !== 3) { fail("Choose an expiration date."); return; }
        // The chosen day in the browser's time zone, as seconds from now (SPEC §3.3).
        var when = new Date(+p[0], +p[1] - 1, +p[2]);
        body.secondsToLive = Math.ceil((when.getTime() - Date.now()) / 1000);
      }
      generate.disabled = true;
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
        if (!r.ok) { fail(plain((r.data && r.data.message) || "The token could not be created.")); return; }
        created = true;
        $("#new-token", section).value = r.data.key;
        showStep("created");
        $("#new-token", section).focus();
        $("#new-token", section).select();
      }).catch(function () { fail("Warden could not be reached. Check your connection and try again."); });
    });
  }
})();
