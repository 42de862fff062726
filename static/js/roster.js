/* Latih: the trainer's roster page. Mark with big buttons, save in one request, keep working
 * without a connection, and keep the check-in code on screen fresh.
 *
 * Saving: the rows changed since the last save become one batch {batch_id, records}. The batch is
 * first written to a queue in localStorage (one queue per user and session), then sent with
 * PUT <api>/sessions/<id>/attendance and the page's CSRF token. A batch leaves the queue only when
 * the server answered 200; the server applies a batch id once, so sending it again after a lost
 * answer changes nothing. Whatever is still queued is sent on page load, when the browser comes
 * back online, when the page is shown again, and every 30 seconds.
 *
 * Offline pages: the service worker (/sw.js) keeps a copy of this page and its assets.
 *
 * No text lives here: every message comes from the page (#roster-messages), in its language.
 */
(function () {
  'use strict';

  var form = document.getElementById('roster-form');
  if (!form || !window.fetch || !window.JSON || !window.LatihOfflineQueue) return;
  var T = JSON.parse((document.getElementById('roster-messages') || {}).textContent || '{}');
  var cfg = form.dataset;
  var readonly = cfg.readonly === '1';
  var csrfInput = form.querySelector('input[name="csrf_token"]');
  var csrf = csrfInput ? csrfInput.value : '';
  var lang = document.documentElement.lang || '';
  var QUEUE_KEY = 'latih.roster.v1.' + cfg.userId + '.' + cfg.sessionId;
  var RETRY_MS = 30000;

  var banner = document.getElementById('roster-pending');
  var statusBox = document.getElementById('roster-status');
  var rows = Array.prototype.slice.call(form.querySelectorAll('[data-enrollment-id]'));
  var rowById = {};
  rows.forEach(function (row) { rowById[row.getAttribute('data-enrollment-id')] = row; });

  function fill(text, values) {
    return String(text || '').replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  // --- the queue of batches not yet confirmed by the server (static/js/offline-queue.js) --------

  var store = window.LatihOfflineQueue.open(QUEUE_KEY);

  // --- the rows ------------------------------------------------------------------------------

  function statusOf(row) {
    var checked = row.querySelector('input[type="radio"]:checked');
    return checked ? checked.value : null;
  }

  function setStatus(row, status) {
    var radio = row.querySelector('input[type="radio"][value="' + status + '"]');
    if (radio && !radio.disabled) radio.checked = true;
  }

  function noteOf(row) {
    var input = row.querySelector('input[name^="note-"]');
    return input ? input.value.trim() : '';
  }

  function setNote(row, note) {
    var input = row.querySelector('input[name^="note-"]');
    if (input && !input.readOnly) input.value = note || '';
  }

  function snapshot() {
    var state = {};
    rows.forEach(function (row) {
      state[row.getAttribute('data-enrollment-id')] = { status: statusOf(row), note: noteOf(row) };
    });
    return state;
  }

  // what the server has or will have once the queue is sent; a save sends what differs from it
  var baseline = {};

  function changedRecords() {
    var records = [];
    rows.forEach(function (row) {
      var id = row.getAttribute('data-enrollment-id');
      var status = statusOf(row);
      var note = noteOf(row);
      var before = baseline[id] || {};
      if (!status || (status === before.status && note === (before.note || ''))) return;
      // the note is always sent: an empty one clears the saved note
      records.push({ enrollment_id: parseInt(id, 10), status: status, note: note });
    });
    return records;
  }

  function updateCounts() {
    var counts = { '': 0 };
    rows.forEach(function (row) {
      var status = statusOf(row) || '';
      counts[status] = (counts[status] || 0) + 1;
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-count]'), function (el) {
      var bold = el.querySelector('b');
      if (bold) bold.textContent = counts[el.getAttribute('data-count')] || 0;
    });
  }

  // --- what the trainer sees about saving ----------------------------------------------------

  var loginNeeded = false;

  function showStatus(text, kind) {
    if (!statusBox) return;
    statusBox.className = 'alert alert-' + (kind || 'success');
    statusBox.textContent = text;
    statusBox.hidden = !text;
  }

  function renderPending() {
    if (!banner) return;
    var queue = store.read();
    if (!queue.length) {
      banner.hidden = true;
      return;
    }
    // the marks waiting, not the saves: a trainee marked in two saves counts once
    var waitingMarks = {};
    queue.forEach(function (batch) {
      (batch.records || []).forEach(function (record) { waitingMarks[record.enrollment_id] = true; });
    });
    var n = Object.keys(waitingMarks).length;
    banner.querySelector('[data-testid="pending-count"]').textContent =
      fill(n === 1 ? T.pending_one : T.pending_other, { num: n });
    var help = banner.querySelector('[data-role="help"]');
    var waiting = queue.some(function (batch) { return !batch.error; });
    help.textContent = loginNeeded ? T.login + ' ' : (waiting ? T.pending_help : '');
    help.hidden = !help.textContent;
    if (loginNeeded && cfg.loginUrl) {
      var link = document.createElement('a');
      link.href = cfg.loginUrl;
      link.textContent = T.login_link;
      help.appendChild(link);
    }
    var list = banner.querySelector('[data-role="failures"]');
    list.textContent = '';
    queue.forEach(function (batch) {
      if (!batch.error) return;
      var item = document.createElement('li');
      item.textContent = T.failed + ' ' + batch.error + ' ';
      var discard = document.createElement('button');
      discard.type = 'button';
      discard.className = 'btn btn-sm btn-outline-danger ms-1';
      discard.textContent = T.discard;
      discard.addEventListener('click', function () {
        store.update(batch.batch_id, null);
        window.location.reload(); // show what the server holds
      });
      item.appendChild(discard);
      list.appendChild(item);
    });
    list.hidden = !list.children.length;
    banner.hidden = false;
  }

  // --- sending -------------------------------------------------------------------------------

  function send(batch) {
    return fetch(cfg.apiUrl, {
      method: 'PUT',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'Accept-Language': lang,
        'X-CSRFToken': csrf
      },
      body: JSON.stringify({
        records: batch.records,
        batch_id: batch.batch_id,
        // a batch that waited on the phone is recorded as an offline sync
        source: batch.offline ? 'offline' : 'trainer'
      })
    }).then(function (response) {
      var json = (response.headers.get('Content-Type') || '').indexOf('json') !== -1;
      if (response.status === 200 && json) return { kind: 'ok' };
      if (response.status === 401) return { kind: 'login' };
      // not our server's answer (a captive portal), a timeout, throttling, trouble on the server
      if (!json || response.status === 408 || response.status === 429 || response.status >= 500) {
        return { kind: 'retry' };
      }
      return response.json().then(function (body) {
        return { kind: 'refused', message: window.LatihOfflineQueue.errorText(body) || String(response.status) };
      }, function () {
        return { kind: 'refused', message: String(response.status) };
      });
    }, function () {
      return { kind: 'retry' }; // offline, or the connection dropped
    });
  }

  // a copy of the page kept for offline use may carry the token of an older login session:
  // ask the server for the page once more and take its token
  function renewToken() {
    return fetch(window.location.pathname, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (!response.ok || response.redirected) return false; // logged out: the login page
        return response.text().then(function (text) {
          var fresh = new DOMParser().parseFromString(text, 'text/html')
            .querySelector('#roster-form input[name="csrf_token"]');
          if (!fresh || !fresh.value || fresh.value === csrf) return false;
          csrf = fresh.value;
          if (csrfInput) csrfInput.value = csrf;
          return true;
        });
      }, function () { return false; });
  }

  function flush() {
    if (store.replaying()) return Promise.resolve();
    if (!store.read().some(function (batch) { return !batch.error; })) {
      renderPending();
      return Promise.resolve();
    }
    showStatus(T.sending, 'info');
    var sent = 0;
    var renewed = false;
    return store.replay(function (batch) {
      return send(batch).then(function (result) {
        if (result.kind !== 'login' || renewed) return result;
        renewed = true;
        return renewToken().then(function (renewedToken) {
          return renewedToken ? send(batch) : result;
        });
      }).then(function (result) {
        if (result.kind === 'ok') {
          store.update(batch.batch_id, null);
          sent += 1;
          loginNeeded = false;
          return true;
        }
        if (result.kind === 'refused') {
          store.update(batch.batch_id, function (b) { b.error = result.message; return b; });
          return true;
        }
        if (result.kind === 'retry') {
          // no connection: every batch still waiting was made offline, not just this one
          // (the ones behind it are not even tried now, and must not go out as the trainer's)
          store.markWaiting(function (b) { b.offline = true; return b; });
        }
        loginNeeded = result.kind === 'login';
        return false; // stop here, in order; try again later
      });
    }).then(function () {
      renderPending();
      var left = store.read().length;
      showStatus(sent && !left ? T.saved : '', 'success');
      if (sent) keepOffline(true);
    });
  }

  // --- marking -------------------------------------------------------------------------------

  function enhance() {
    // marks saved on this phone but not yet on the server: show them as they will be
    if (!readonly) {
      store.read().forEach(function (batch) {
        (batch.records || []).forEach(function (record) {
          var row = rowById[String(record.enrollment_id)];
          if (!row) return;
          setStatus(row, record.status);
          setNote(row, record.note);
        });
      });
    }
    baseline = snapshot();
    updateCounts();

    var allPresent = document.getElementById('all-present');
    if (allPresent && !readonly) {
      allPresent.hidden = false;
      var allPresentHelp = document.getElementById('all-present-help');
      if (allPresentHelp) allPresentHelp.hidden = false;
      allPresent.addEventListener('click', function () {
        // only the rows nobody marked yet: a QR check-in (late, say) or a mark made stays
        rows.forEach(function (row) { if (!statusOf(row)) setStatus(row, 'present'); });
        updateCounts();
        showStatus('', 'success');
      });
    }
    form.addEventListener('change', function () {
      updateCounts();
      showStatus('', 'success');
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (readonly) return;
      var records = changedRecords();
      if (records.length) {
        var queue = store.read();
        queue.push({
          batch_id: window.LatihOfflineQueue.newBatchId(),
          records: records,
          queued_at: new Date().toISOString(),
          // saved without a connection: an offline mark, whenever it reaches the server
          offline: navigator.onLine === false || queue.some(function (b) { return b.offline && !b.error; })
        });
        store.write(queue);
        baseline = snapshot();
      } else if (!store.read().length) {
        var anyMarked = rows.some(function (row) { return statusOf(row); });
        showStatus(anyMarked ? T.saved : T.nothing, anyMarked ? 'success' : 'warning');
        return;
      }
      renderPending();
      flush();
    });

    window.addEventListener('online', flush);
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden) flush();
    });
    window.addEventListener('storage', function (event) {
      if (event.key === QUEUE_KEY) renderPending(); // another tab sent or queued something
    });
    window.setInterval(function () {
      if (navigator.onLine !== false && store.read().length) flush();
    }, RETRY_MS);
    renderPending();
    flush();
  }

  // --- the service worker --------------------------------------------------------------------

  var worker = null;

  function keepOffline(refresh) {
    var target = (navigator.serviceWorker && navigator.serviceWorker.controller) || worker;
    if (!target) return;
    var assets = Array.prototype.map.call(
      document.querySelectorAll('link[rel="stylesheet"][href], script[src]'),
      function (el) { return el.href || el.src; }
    ).filter(function (url) { return url.indexOf(window.location.origin + '/') === 0; });
    target.postMessage({ type: 'keep', page: window.location.pathname, assets: assets, refresh: !!refresh });
  }

  function registerWorker() {
    if (!('serviceWorker' in navigator) || !cfg.swUrl) return;
    var firstVisit = !navigator.serviceWorker.controller;
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.swScope || '/' }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      worker = registration.active;
      // a page the worker did not serve is not in its cache yet: it fetches a copy
      keepOffline(firstVisit);
    }).catch(function () { /* no offline copy; marking and the queue still work */ });
  }

  // --- the check-in code ---------------------------------------------------------------------

  function checkinPanel() {
    var panel = document.getElementById('checkin');
    if (!panel) return;
    var codeEl = panel.querySelector('[data-testid="checkin-code"]');
    var qrEl = panel.querySelector('[data-testid="checkin-qr"]');
    var countdownEl = panel.querySelector('[data-role="countdown"]');
    var period = parseInt(panel.getAttribute('data-period'), 10) || 30;
    var current = panel.getAttribute('data-code');
    var rotateAt = Date.now() + (parseInt(panel.getAttribute('data-seconds-left'), 10) || period) * 1000;
    var fetching = false;
    var offline = false;

    function show(available) {
      offline = !available;
      codeEl.style.visibility = qrEl.style.visibility = available ? '' : 'hidden';
      if (!available) countdownEl.textContent = T.code_offline;
    }

    function setCode(code) {
      if (code === current) return;
      current = code;
      codeEl.textContent = code;
      var url = panel.getAttribute('data-qr-url') + '?code=' + encodeURIComponent(code);
      var next = new Image();
      next.onload = function () { if (current === code) qrEl.src = url; };
      next.src = url;
    }

    function refresh() {
      if (fetching) return;
      fetching = true;
      fetch(panel.getAttribute('data-code-url'), {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Accept': 'application/json', 'Accept-Language': lang, 'X-CSRFToken': csrf }
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json().then(function (body) {
          // time left from the server's own clock: a phone's clock is often minutes off
          var serverNow = Date.parse(response.headers.get('Date') || '') || Date.now();
          var left = (Date.parse(body.rotates_at) - serverNow) / 1000;
          if (!(left === left)) { // no rotates_at: expires_at is one period after the rotation
            left = (Date.parse(body.expires_at) - serverNow) / 1000;
            if (left > period) left -= period;
          }
          if (!(left > 0)) left = 1;
          var changed = body.code !== current;
          setCode(body.code);
          show(true);
          // asked a little early (the Date header has whole seconds): ask again in a second
          rotateAt = Date.now() + (changed || left > 2 ? Math.min(left, period) : 1) * 1000;
        });
      }).catch(function () {
        show(false);
        rotateAt = Date.now() + 10000;
      }).then(function () {
        fetching = false;
        tick();
      });
    }

    function tick() {
      if (document.hidden) return;
      var left = Math.ceil((rotateAt - Date.now()) / 1000);
      if (left <= 0) {
        refresh();
        return;
      }
      if (!offline) countdownEl.textContent = fill(T.countdown, { seconds: left });
    }

    window.setInterval(tick, 1000);
    window.addEventListener('online', refresh);
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden) refresh();
    });
    refresh(); // the page may be a copy kept for offline use, with an old code
  }

  enhance();
  registerWorker();
  checkinPanel();
})();
