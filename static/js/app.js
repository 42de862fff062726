/* Latih: small behaviours shared by the pages, driven by data attributes (the Content-Security-Policy
 * forbids inline scripts and on...= handlers, see lms/core/security.py). Loaded by base.html.
 *
 *   <select data-submit-on-change>            sends its form when the choice changes
 *   <button type="button" data-print>         prints the page
 *   <form data-busy>, <button data-busy-text> on sending (the form, or by that button), the form's
 *                                             submit buttons turn disabled and the one pressed
 *                                             says its data-busy-text (long work: an import, a
 *                                             bulk issue, a file to build)
 *   <input type="checkbox" data-tick-all=".row-tick" hidden>
 *                                             ticks or unticks the form's boxes that match the
 *                                             selector; shown only when there are any
 *
 * and the three Bootstrap behaviours the pages use, so that no page loads Bootstrap's script and
 * Popper (80 KB) for them:
 *   [data-bs-toggle="collapse"][data-bs-target]   opens and closes the navbar on a phone
 *   [data-bs-toggle="dropdown"]                   opens and closes a navbar menu (Escape, a click
 *                                             elsewhere or a focus moving out closes it)
 *   [data-bs-dismiss="alert"]                     closes a message
 */
(function () {
  'use strict';

  document.addEventListener('change', function (event) {
    var el = event.target.closest && event.target.closest('[data-submit-on-change]');
    if (!el || !el.form) return;
    if (el.form.requestSubmit) el.form.requestSubmit();
    else el.form.submit();
  });

  document.addEventListener('click', function (event) {
    if (event.target.closest && event.target.closest('[data-print]')) window.print();
  });

  Array.prototype.forEach.call(document.querySelectorAll('[data-tick-all]'), function (all) {
    var scope = all.form || document;
    var rows = Array.prototype.slice.call(scope.querySelectorAll(all.getAttribute('data-tick-all')));
    if (!rows.length) return;
    all.hidden = false;
    all.addEventListener('change', function () {
      rows.forEach(function (box) { box.checked = all.checked; });
    });
  });

  // --- Bootstrap's collapse, dropdown and alert, without Bootstrap's script ---------------------

  function setOpen(toggle, menu, open) {
    menu.classList.toggle('show', open);
    toggle.classList.toggle('show', open);
    toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
  }

  function closeMenus(except) {
    Array.prototype.forEach.call(document.querySelectorAll('[data-bs-toggle="dropdown"].show'), function (toggle) {
      var menu = toggle.parentNode.querySelector('.dropdown-menu');
      if (toggle !== except && menu) setOpen(toggle, menu, false);
    });
  }

  document.addEventListener('click', function (event) {
    if (!event.target.closest) return;
    var collapse = event.target.closest('[data-bs-toggle="collapse"]');
    if (collapse) {
      var target = document.querySelector(collapse.getAttribute('data-bs-target'));
      if (target) setOpen(collapse, target, !target.classList.contains('show'));
      collapse.classList.remove('show');
      return;
    }
    var toggle = event.target.closest('[data-bs-toggle="dropdown"]');
    if (toggle) {
      event.preventDefault();
      var menu = toggle.parentNode.querySelector('.dropdown-menu');
      closeMenus(toggle);
      if (menu) setOpen(toggle, menu, !menu.classList.contains('show'));
      return;
    }
    var dismiss = event.target.closest('[data-bs-dismiss="alert"]');
    if (dismiss) {
      var alert = dismiss.closest('.alert');
      if (alert) alert.parentNode.removeChild(alert);
      return;
    }
    if (!event.target.closest('.dropdown-menu')) closeMenus(null);
  });

  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') return;
    var open = document.querySelector('[data-bs-toggle="dropdown"].show');
    if (open) {
      closeMenus(null);
      open.focus();
    }
  });

  document.addEventListener('focusin', function (event) {
    var here = event.target.closest && event.target.closest('.dropdown');
    Array.prototype.forEach.call(document.querySelectorAll('.dropdown'), function (dropdown) {
      if (dropdown === here) return;
      var toggle = dropdown.querySelector('[data-bs-toggle="dropdown"].show');
      if (toggle) setOpen(toggle, dropdown.querySelector('.dropdown-menu'), false);
    });
  });

  // a form that starts long work: its buttons disable themselves and say that it is under way,
  // once the browser has taken the form's values (the pressed button's name and value with them)
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var pressed = event.submitter;
    var busy = form.hasAttribute && (form.hasAttribute('data-busy') ||
      (pressed && pressed.hasAttribute('data-busy-text')));
    if (!busy || event.defaultPrevented) return;
    window.setTimeout(function () {
      var buttons = form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]');
      Array.prototype.forEach.call(buttons, function (button) {
        button.disabled = true;
        button.setAttribute('aria-disabled', 'true');
      });
      if (pressed) {
        var text = pressed.getAttribute('data-busy-text') || form.getAttribute('data-busy-text');
        if (text) {
          var spinner = document.createElement('span');
          spinner.className = 'spinner-border spinner-border-sm me-1';
          spinner.setAttribute('aria-hidden', 'true');
          pressed.textContent = ' ' + text;
          pressed.insertBefore(spinner, pressed.firstChild);
        }
      }
      form.setAttribute('aria-busy', 'true');
    }, 0);
  });
})();
