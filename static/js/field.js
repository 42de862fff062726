/* Latih: walk-ins and attendance-card scans on the trainer's roster page.
 *
 * A walk-in (the form) and a scan (the camera through the browser's BarcodeDetector where it
 * exists, or the code typed) each become one item {kind, batch_id, body} in a queue kept in
 * localStorage (one per user and session), then sent: POST <api>/walk-ins or POST <api>/scan,
 * with the page's CSRF token. An item leaves the queue when the server answered; the server
 * applies a batch id once, so sending it again after a lost answer changes nothing. What is still
 * queued is sent on page load, when the browser comes back online, and every 30 seconds.
 *
 * Offline, a scan is named from the roster's own cards (#field-cards: only this session's
 * roster) and beeps at once; it carries the moment it was made (on the server's clock, as far
 * as the phone knows it), so that a scan sent later is not counted late.
 *
 * No text lives here: every message comes from the page (#field-messages), in its language.
 */
(function () {
  'use strict';

  var tools = document.getElementById('field-tools');
  var rosterForm = document.getElementById('roster-form');
  if (!tools || !rosterForm || !window.fetch || !window.JSON || !window.LatihOfflineQueue) return;
  var T = JSON.parse((document.getElementById('field-messages') || {}).textContent || '{}');
  var CARDS = JSON.parse((document.getElementById('field-cards') || {}).textContent || '{}');
  var cfg = rosterForm.dataset;
  var lang = document.documentElement.lang || '';
  var QUEUE_KEY = 'latih.field.v1.' + cfg.userId + '.' + cfg.sessionId;
  var OFFSET_KEY = 'latih.clock.offset';
  var RETRY_MS = 30000;
  var CODE_LENGTH = 8;

  var pendingBox = document.getElementById('field-pending');
  var walkInForm = document.getElementById('walk-in-form');
  var walkInError = tools.querySelector('[data-role="walk-in-error"]');
  var walkInAdded = document.getElementById('walk-in-added');
  var scanPanel = document.getElementById('scan');
  var scanForm = document.getElementById('scan-form');
  var scanInput = document.getElementById('scan-code');
  var lastEl = tools.querySelector('[data-role="last"]');
  var logEl = tools.querySelector('[data-role="log"]');
  var cameraButton = tools.querySelector('[data-role="camera"]');
  var video = tools.querySelector('[data-role="video"]');

  function fill(text, values) {
    return String(text || '').replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function csrf() {
    var input = rosterForm.querySelector('input[name="csrf_token"]');
    return input ? input.value : '';
  }

  // --- the queue (static/js/offline-queue.js) --------------------------------------------------

  var store = window.LatihOfflineQueue.open(QUEUE_KEY);

  // --- the server's clock ------------------------------------------------------------------

  function serverNow() {
    var offset = 0;
    try { offset = parseInt(window.localStorage.getItem(OFFSET_KEY), 10) || 0; } catch (err) { offset = 0; }
    return new Date(Date.now() + offset);
  }

  function learnClock(response) {
    var date = Date.parse(response.headers.get('Date') || '');
    if (!(date === date)) return;
    try { window.localStorage.setItem(OFFSET_KEY, String(date - Date.now())); } catch (err) { /* none */ }
  }

  // --- sound -------------------------------------------------------------------------------

  var audio = null;

  function wakeAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) {
      try { audio = new Context(); } catch (err) { audio = null; return; }
    }
    if (audio.state === 'suspended' && audio.resume) audio.resume();
  }

  function beep(ok) {
    if (!audio) return;
    try {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = ok ? 'sine' : 'square';
      oscillator.frequency.value = ok ? 1046 : 220;
      gain.gain.value = 0.15;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      var now = audio.currentTime;
      oscillator.start(now);
      oscillator.stop(now + (ok ? 0.12 : 0.35));
    } catch (err) { /* no sound: the name on screen still says it */ }
  }

  // --- what the page shows -----------------------------------------------------------------

  function statusWord(status) {
    return T[status] || status;
  }

  function showLast(text, ok) {
    lastEl.textContent = text;
    lastEl.className = 'scan-last mb-1 ' + (ok ? 'text-success' : 'text-danger');
  }

  function log(text, ok) {
    var item = document.createElement('li');
    var time = serverNow();
    item.textContent = ('0' + time.getHours()).slice(-2) + ':' + ('0' + time.getMinutes()).slice(-2) + ' · ' + text;
    if (!ok) item.className = 'text-danger';
    logEl.insertBefore(item, logEl.firstChild);
    while (logEl.children.length > 30) logEl.removeChild(logEl.lastChild);
  }

  function markRow(enrollmentId, status) {
    var row = rosterForm.querySelector('[data-enrollment-id="' + enrollmentId + '"]');
    if (!row) return;
    var radio = row.querySelector('input[type="radio"][value="' + status + '"]');
    if (radio && !radio.disabled && !radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event('change', { bubbles: true }));
    }
  }

  function addedWalkIn(name, status, queued) {
    var item = document.createElement('li');
    item.className = 'py-1 border-bottom';
    var badge = document.createElement('span');
    badge.className = 'badge text-bg-info me-1';
    badge.textContent = T.walk_in_badge;
    item.appendChild(badge);
    item.appendChild(document.createTextNode(
      queued ? fill(T.queued, { name: name }) : fill(T.added, { name: name }) + ' (' + statusWord(status) + ')'
    ));
    walkInAdded.insertBefore(item, walkInAdded.firstChild);
  }

  var loginNeeded = false;

  function renderPending() {
    var queue = store.read();
    pendingBox.textContent = '';
    if (!queue.length) {
      pendingBox.hidden = true;
      return;
    }
    var head = document.createElement('p');
    head.className = 'fw-semibold mb-0';
    head.textContent = fill(T.pending, { num: queue.length });
    pendingBox.appendChild(head);
    if (loginNeeded) {
      var help = document.createElement('p');
      help.className = 'mb-0';
      help.textContent = T.login;
      pendingBox.appendChild(help);
    }
    queue.forEach(function (item) {
      if (!item.error) return;
      var line = document.createElement('p');
      line.className = 'mb-0 text-danger';
      line.textContent = T.refused + ' ' + item.label + ': ' + item.error + ' ';
      var discard = document.createElement('button');
      discard.type = 'button';
      discard.className = 'btn btn-sm btn-outline-danger ms-1';
      discard.textContent = '×';
      discard.setAttribute('aria-label', T.refused);
      discard.addEventListener('click', function () {
        store.update(item.batch_id, null);
        renderPending();
      });
      line.appendChild(discard);
      pendingBox.appendChild(line);
    });
    pendingBox.hidden = false;
  }

  // --- sending -----------------------------------------------------------------------------

  function send(item) {
    var url = item.kind === 'walk_in' ? tools.dataset.walkInUrl : tools.dataset.scanUrl;
    var body = Object.assign({}, item.body, { batch_id: item.batch_id });
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'Accept-Language': lang,
        'X-CSRFToken': csrf()
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      learnClock(response);
      var json = (response.headers.get('Content-Type') || '').indexOf('json') !== -1;
      if ((response.status === 200 || response.status === 201) && json) {
        return response.json().then(function (data) { return { kind: 'ok', data: data }; });
      }
      if (response.status === 401) return { kind: 'login' };
      if (!json || response.status === 408 || response.status === 429 || response.status >= 500) {
        return { kind: 'retry' };
      }
      return response.json().then(function (data) {
        return { kind: 'refused', status: response.status, message: window.LatihOfflineQueue.errorText(data) || String(response.status) };
      }, function () {
        return { kind: 'refused', status: response.status, message: String(response.status) };
      });
    }, function () {
      return { kind: 'retry' };
    });
  }

  // a walk-in saved on the server joins the list on screen (its marks come with the next visit)
  function rosterRow(data) {
    var list = rosterForm.querySelector('ol.list-group');
    if (!list || rosterForm.querySelector('[data-enrollment-id="' + data.enrollment_id + '"]')) return;
    var item = document.createElement('li');
    item.className = 'list-group-item roster-row';
    item.setAttribute('data-walk-in', String(data.enrollment_id));
    var name = document.createElement('div');
    name.className = 'roster-name mb-0';
    name.textContent = (data.name || '') + ' ';
    var badge = document.createElement('span');
    badge.className = 'badge text-bg-info fw-normal';
    badge.textContent = T.walk_in_badge;
    var status = document.createElement('span');
    status.className = 'badge text-bg-success fw-normal ms-1';
    status.textContent = statusWord(data.status);
    name.appendChild(badge);
    name.appendChild(status);
    item.appendChild(name);
    list.appendChild(item);
  }

  function done(item, data) {
    if (item.kind === 'walk_in') {
      addedWalkIn(data.name || item.label, data.status, false);
      rosterRow(data);
      return;
    }
    var name = (data.trainee && data.trainee.name) || item.label;
    markRow(data.enrollment_id, data.status);
    var text = fill(data.source === 'scan' ? T.marked : T.already, { name: name, status: statusWord(data.status) });
    showLast(text, true);
    if (!item.shown) {
      log(text, true);
      beep(true);
    }
  }

  function flush() {
    if (store.replaying()) return Promise.resolve();
    if (!store.read().some(function (item) { return !item.error; })) {
      renderPending();
      return Promise.resolve();
    }
    return store.replay(function (item) {
      return send(item).then(function (result) {
        if (result.kind === 'ok') {
          loginNeeded = false;
          store.update(item.batch_id, null);
          done(item, result.data);
        } else if (result.kind === 'refused') {
          if (item.kind === 'scan' && result.status === 404) {
            store.update(item.batch_id, null);
            showLast(T.unknown, false);
            log(item.label + ': ' + T.unknown, false);
            beep(false);
          } else {
            store.update(item.batch_id, function (kept) { kept.error = result.message; return kept; });
            if (item.kind === 'walk_in' && !item.shown) {
              walkInError.textContent = result.message;
              walkInError.hidden = false;
            } else if (!item.shown) {
              showLast(result.message, false);
              beep(false);
            }
          }
        } else {
          loginNeeded = result.kind === 'login';
          return false;
        }
        return true;
      });
    }).then(function () {
      renderPending();
    });
  }

  function enqueue(item) {
    store.push(item);
    renderPending();
    return flush();
  }

  // --- walk-ins ----------------------------------------------------------------------------

  function walkIns() {
    walkInForm.addEventListener('submit', function (event) {
      event.preventDefault();
      wakeAudio();
      walkInError.hidden = true;
      var data = new FormData(walkInForm);
      var name = String(data.get('name') || '').trim();
      var phone = String(data.get('phone') || '').trim();
      if (!name || !phone) {
        walkInError.textContent = T.required;
        walkInError.hidden = false;
        return;
      }
      var body = { name: name, phone: phone, status: data.get('late') ? 'late' : 'present' };
      ['nik', 'email'].forEach(function (key) {
        var value = String(data.get(key) || '').trim();
        if (value) body[key] = value;
      });
      var item = { kind: 'walk_in', batch_id: window.LatihOfflineQueue.newBatchId(), body: body, label: name, queued_at: new Date().toISOString() };
      walkInForm.reset();
      var online = navigator.onLine !== false;
      if (!online) {
        addedWalkIn(name, body.status, true);
        item.shown = true;
      }
      enqueue(item);
    });
  }

  // --- scans -------------------------------------------------------------------------------

  function normalize(text) {
    var value = String(text || '').trim().toUpperCase();
    var parts = value.split(/[:/=]/);
    value = parts[parts.length - 1].replace(/[^0-9A-Z]/g, '');
    return value.length === CODE_LENGTH ? value : '';
  }

  var lastCode = '';
  var lastAt = 0;

  function scanned(text, typed) {
    var code = normalize(text);
    if (!code) {
      if (typed) {
        showLast(T.unknown, false);
        beep(false);
      }
      return;
    }
    var now = Date.now();
    if (!typed && code === lastCode && now - lastAt < 4000) return; // the same card, still in view
    lastCode = code;
    lastAt = now;
    var known = CARDS[code];
    var online = navigator.onLine !== false;
    var item = {
      kind: 'scan',
      batch_id: window.LatihOfflineQueue.newBatchId(),
      body: { card: code, scanned_at: serverNow().toISOString() },
      label: known ? known.name : code.slice(0, 4) + '-' + code.slice(4),
      queued_at: new Date().toISOString()
    };
    if (known) {
      // named at once from the roster's cards, online or not; the server confirms it
      var status = 'present';
      showLast(known.name, true);
      log(known.name, true);
      beep(true);
      item.shown = true;
      if (!online) markRow(known.enrollment_id, status);
    } else if (!online) {
      showLast(T.unknown, false);
      log(item.label + ': ' + T.unknown, false);
      beep(false);
      return;
    }
    enqueue(item);
  }

  function scans() {
    scanPanel.hidden = false;
    scanForm.addEventListener('submit', function (event) {
      event.preventDefault();
      wakeAudio();
      scanned(scanInput.value, true);
      scanInput.value = '';
      scanInput.focus();
    });
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    var detector = null;
    var stream = null;
    var timer = null;
    cameraButton.hidden = false;
    cameraButton.textContent = T.camera_start;

    function stopCamera() {
      if (timer) window.clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.hidden = true;
      cameraButton.textContent = T.camera_start;
    }

    cameraButton.addEventListener('click', function () {
      wakeAudio();
      if (stream) {
        stopCamera();
        return;
      }
      Promise.resolve().then(function () {
        detector = detector || new window.BarcodeDetector({ formats: ['qr_code'] });
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      }).then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        cameraButton.textContent = T.camera_stop;
        return video.play();
      }).then(function () {
        var busy = false;
        timer = window.setInterval(function () {
          if (busy || !stream || video.readyState < 2) return;
          busy = true;
          detector.detect(video).then(function (codes) {
            codes.forEach(function (found) { scanned(found.rawValue, false); });
          }).catch(function () { return null; }).then(function () { busy = false; });
        }, 250);
      }).catch(function () {
        stopCamera();
        showLast(T.camera_off, false);
      });
    });
    document.addEventListener('visibilitychange', function () {
      if (document.hidden && stream) stopCamera();
    });
  }

  walkIns();
  scans();
  window.addEventListener('online', flush);
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) flush();
  });
  window.setInterval(function () {
    if (navigator.onLine !== false && store.read().length) flush();
  }, RETRY_MS);
  renderPending();
  flush();
})();
