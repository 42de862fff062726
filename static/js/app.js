/* Latih: small behaviours shared by the pages, driven by data attributes (the Content-Security-Policy
 * forbids inline scripts and on...= handlers, see lms/core/security.py). Loaded by base.html.
 *
 *   <select data-submit-on-change>            sends its form when the choice changes
 *   <button type="button" data-print>         prints the page
 *   <input type="checkbox" data-tick-all=".row-tick" hidden>
 *                                             ticks or unticks the form's boxes that match the
 *                                             selector; shown only when there are any
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
})();
