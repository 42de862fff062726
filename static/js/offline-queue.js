/* Latih: the offline queue of the roster page (static/js/roster.js: batches of marks) and of its
 * walk-ins and scans (static/js/field.js). Loaded before both, with no inline script (CSP).
 *
 *   var queue = LatihOfflineQueue.open('latih.roster.v1.<user>.<session>');
 *   queue.push(item)             keeps an item {batch_id, ...} in localStorage (in memory when the
 *                                browser refuses: private mode, storage full)
 *   queue.read()                 every item kept, oldest first
 *   queue.update(batchId, f)     replaces an item with f(item), or removes it when f is null
 *   queue.markWaiting(f)         changes every item without an error with f(item)
 *   queue.replay(step)           sends the items without an error, in order and one at a time:
 *                                step(item) returns a promise of true (go on) or false (stop here
 *                                and try later); a replay asked for while one runs does nothing
 *   LatihOfflineQueue.newBatchId()   a random UUID; the server applies a batch id once, so an
 *                                item sent again after a lost answer changes nothing
 *   LatihOfflineQueue.errorText(body)   the API's refusal in words: its message, then what it
 *                                says of each field (API.md's error body)
 */
(function () {
  'use strict';

  function open(key) {
    var memory = [];

    function read() {
      try {
        var raw = window.localStorage.getItem(key);
        return raw ? JSON.parse(raw) : [];
      } catch (err) {
        return memory.slice();
      }
    }

    function write(items) {
      memory = items.slice();
      try {
        if (items.length) window.localStorage.setItem(key, JSON.stringify(items));
        else window.localStorage.removeItem(key);
      } catch (err) { /* kept in memory for as long as the page is open */ }
    }

    function update(batchId, change) {
      write(read().reduce(function (kept, item) {
        if (item.batch_id !== batchId) kept.push(item);
        else if (change) kept.push(change(item));
        return kept;
      }, []));
    }

    var replaying = false;

    function replay(step) {
      if (replaying) return Promise.resolve(false);
      var waiting = read().filter(function (item) { return !item.error; });
      if (!waiting.length) return Promise.resolve(false);
      replaying = true;
      var stop = false;
      var chain = Promise.resolve();
      waiting.forEach(function (item) {
        chain = chain.then(function () {
          if (stop) return null;
          return step(item).then(function (goOn) { if (!goOn) stop = true; });
        });
      });
      return chain.then(function () {
        replaying = false;
        return true;
      }, function (err) {
        replaying = false;
        throw err;
      });
    }

    return {
      read: read,
      write: write,
      update: update,
      push: function (item) { write(read().concat([item])); },
      markWaiting: function (change) {
        write(read().map(function (item) { return item.error ? item : change(item); }));
      },
      replay: replay,
      replaying: function () { return replaying; }
    };
  }

  function newBatchId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join('');
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
  }

  function errorText(body) {
    var error = (body && body.error) || {};
    var parts = [error.message || ''];
    Object.keys(error.fields || {}).forEach(function (key) {
      parts.push([].concat(error.fields[key]).join(' '));
    });
    return parts.join(' ').trim();
  }

  window.LatihOfflineQueue = { open: open, newBatchId: newBatchId, errorText: errorText };
})();
