/* Latih: a job's page follows its progress. It polls GET /api/v1/jobs/{id} (the login session,
 * with the page's CSRF token as X-CSRFToken) every second or two until the job is done or failed,
 * and fills the bar, the count, the message and the download link. No inline script (CSP).
 * A box with data-reload-when-done reloads its page once the job ends (the page then shows the
 * outcome itself: the import page's dry-run report). */
(function () {
  'use strict';

  var box = document.getElementById('job');
  if (!box) return;
  var url = box.getAttribute('data-job-url');
  var csrfInput = box.querySelector('input[name="csrf_token"]');
  var statusEl = box.querySelector('[data-job-status]');
  var countEl = box.querySelector('[data-job-count]');
  var bar = box.querySelector('[data-job-bar]');
  var fill = box.querySelector('[data-job-fill]');
  var messageEl = box.querySelector('[data-job-message]');
  var download = box.querySelector('[data-job-download]');
  var link = box.querySelector('[data-job-link]');
  var lang = document.documentElement.lang || 'id';
  var failures = 0;

  function setPercent(percent) {
    fill.style.width = percent + '%';
    bar.setAttribute('aria-valuenow', String(percent));
  }

  function show(job) {
    var finished = job.status === 'done' || job.status === 'failed';
    var percent = job.total ? Math.min(100, Math.floor(job.done * 100 / job.total)) : (finished ? 100 : 0);
    setPercent(percent);
    statusEl.textContent = box.getAttribute('data-text-' + job.status) || job.status;
    statusEl.className = 'badge ' + (job.status === 'done' ? 'text-bg-success' :
      job.status === 'failed' ? 'text-bg-danger' : 'text-bg-secondary');
    countEl.textContent = job.total ? (box.getAttribute('data-text-count') || '{done} / {total}')
      .replace('{done}', job.done.toLocaleString(lang))
      .replace('{total}', job.total.toLocaleString(lang)) : '';
    messageEl.textContent = job.message || '';
    if (finished) {
      fill.classList.remove('progress-bar-striped', 'progress-bar-animated');
      if (job.status === 'failed') fill.classList.add('bg-danger');
    }
    if (job.result_url) {
      link.setAttribute('href', job.result_url);
      download.hidden = false;
    }
    return finished;
  }

  function poll() {
    var headers = { 'Accept': 'application/json' };
    if (csrfInput && csrfInput.value) headers['X-CSRFToken'] = csrfInput.value;
    fetch(url, { credentials: 'same-origin', headers: headers })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (job) {
        failures = 0;
        if (!show(job)) window.setTimeout(poll, job.status === 'queued' ? 2000 : 1000);
        else if (box.hasAttribute('data-reload-when-done')) window.location.reload();
      })
      .catch(function () {
        failures += 1;
        if (failures >= 5) {
          messageEl.textContent = box.getAttribute('data-text-lost');
          return;
        }
        window.setTimeout(poll, 2000 * failures);
      });
  }

  setPercent(parseInt(fill.getAttribute('data-percent') || '0', 10));
  var status = box.getAttribute('data-status');
  if (status !== 'done' && status !== 'failed') window.setTimeout(poll, 500);
})();
