/* Latih: the people reached by an outreach event, entered on the trainer's today page, also
 * without a connection.
 *
 * Saving: a figure becomes {people, batch_id}, first written to a queue in localStorage (one per
 * user), then sent with PUT <api>/sessions/<id>/reach and the page's CSRF token. It leaves the
 * queue when the server answered (200, or a refusal shown beside the form); the server applies a
 * batch id once, so sending it again after a lost answer changes nothing. What is still queued is
 * sent on page load, when the browser comes back online, and every 30 seconds. The service worker
 * (/sw.js) keeps a copy of the today page for offline use.
 *
 * No text lives here: every message comes from the page (#reach-messages), in its language.
 */
(function () {
  'use strict';

  var page = document.getElementById('today-page');
  var forms = document.querySelectorAll('form.reach-form');
  if (!page || !forms.length || !window.fetch || !window.JSON) return;
  var T = JSON.parse((document.getElementById('reach-messages') || {}).textContent || '{}');
  var cfg = page.dataset;
  var lang = document.documentElement.lang || '';
  var QUEUE_KEY = 'latih.reach.v1.' + cfg.userId;
  var RETRY_MS = 30000;
  var SEND_TIMEOUT_MS = 10000;
  var memoryQueue = [];

  function readQueue() {
    try {
      return JSON.parse(window.localStorage.getItem(QUEUE_KEY) || '[]');
    } catch (e) {
      return memoryQueue;
    }
  }

  function writeQueue(queue) {
    memoryQueue = queue;
    try {
      if (queue.length) window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
      else window.localStorage.removeItem(QUEUE_KEY);
    } catch (e) { /* private mode or storage full: the memory queue keeps it for this page */ }
  }

  function newBatchId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join('');
  }

  function formOf(sessionId) {
    return document.querySelector('form.reach-form[data-session-id="' + sessionId + '"]');
  }

  function show(form, text, kind) {
    if (!form) return;
    var pending = form.querySelector('.reach-pending');
    var status = form.querySelector('.reach-status');
    if (pending) pending.hidden = kind !== 'pending';
    if (status) {
      status.textContent = kind === 'pending' ? '' : text;
      status.className = 'reach-status small mb-0 mt-1 ' +
        (kind === 'error' ? 'text-danger' : 'text-success');
    }
  }

  function send(item) {
    var form = formOf(item.session_id);
    var csrf = form ? (form.querySelector('input[name="csrf_token"]') || {}).value : '';
    // a request that hangs on a dead connection must not hold the queue: give up after a while
    var abort = window.AbortController ? new window.AbortController() : null;
    inFlight = abort;
    var timer = abort ? window.setTimeout(function () { abort.abort(); }, SEND_TIMEOUT_MS) : null;
    return fetch(item.api, {
      method: 'PUT',
      signal: abort ? abort.signal : undefined,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'Accept-Language': lang,
        'X-CSRFToken': csrf || ''
      },
      body: JSON.stringify({ people: item.people, batch_id: item.batch_id })
    }).then(function (response) {
      window.clearTimeout(timer);
      var json = (response.headers.get('Content-Type') || '').indexOf('json') !== -1;
      if (!json || response.status === 401 || response.status === 408 ||
          response.status === 429 || response.status >= 500) {
        return { kind: 'retry' };
      }
      return response.json().then(function (body) {
        if (response.status === 200) return { kind: 'ok', body: body };
        var error = body.error || {};
        var parts = [error.message || ''];
        Object.keys(error.fields || {}).forEach(function (key) {
          parts.push([].concat(error.fields[key]).join(' '));
        });
        return { kind: 'refused', message: parts.join(' ').trim() };
      });
    }, function () {
      window.clearTimeout(timer);
      return { kind: 'retry' };
    });
  }

  var flushing = false;
  var again = false;
  var inFlight = null;

  function flush() {
    if (flushing) {
      again = true; // once the running pass is over
      return;
    }
    var queue = readQueue();
    if (!queue.length) return;
    flushing = true;
    var chain = Promise.resolve(false);
    queue.forEach(function (item) {
      chain = chain.then(function (stopped) {
        if (stopped) return true;
        return send(item).then(function (result) {
          var form = formOf(item.session_id);
          if (result.kind === 'retry') {
            show(form, '', 'pending');
            return true; // in order: try again later
          }
          writeQueue(readQueue().filter(function (q) { return q.batch_id !== item.batch_id; }));
          if (result.kind === 'ok') {
            var figures = form && form.querySelector('[data-testid="reach-figures"]');
            if (figures) figures.hidden = true;
            // a resend of a batch the server already took answers what is stored, which may
            // still be on its way (the first copy): the figure sent is the one that was saved
            var counted = Math.max(item.people, result.body.named || 0);
            show(form, (T.saved || '').replace('{num}', counted), 'ok');
          } else {
            show(form, result.message, 'error');
          }
          return false;
        });
      });
    });
    function done() {
      flushing = false;
      inFlight = null;
      if (again) {
        again = false;
        flush();
      }
    }
    chain.then(done, done);
  }

  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener('submit', function (event) {
      var input = form.querySelector('input[name="people"]');
      var value = input ? input.value.trim() : '';
      // anything but a plain number goes to the server, which answers with the form's errors
      if (!/^\d{1,6}$/.test(value)) return;
      event.preventDefault();
      var sessionId = form.dataset.sessionId;
      var queue = readQueue().filter(function (q) { return q.session_id !== sessionId; });
      queue.push({
        session_id: sessionId,
        api: form.dataset.api,
        people: parseInt(value, 10),
        batch_id: newBatchId()
      });
      writeQueue(queue);
      show(form, '', 'pending');
      flush();
    });
  });

  readQueue().forEach(function (item) {
    var form = formOf(item.session_id);
    if (form) {
      var input = form.querySelector('input[name="people"]');
      if (input) input.value = item.people;
      show(form, '', 'pending');
    }
  });
  window.addEventListener('online', function () {
    // a request sent while offline may hang: drop it and send again now
    if (inFlight) inFlight.abort();
    flush();
  });
  window.setInterval(flush, RETRY_MS);
  flush();

  if ('serviceWorker' in navigator && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.swScope || '/' })
      .catch(function () { /* no offline copy; the queue still works */ });
  }
})();
