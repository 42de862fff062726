/* Latih service worker: keeps a trainer's roster pages usable at a site without a connection.
 *
 * It handles only the roster pages (network first; the kept copy when the network fails or is
 * too slow) and the assets those pages list (the kept copy, refreshed in the background). Every
 * other request goes to the network untouched; the API is never cached (unsent marks wait in the
 * page's own queue, see static/js/roster.js). Logging out forgets the kept pages.
 *
 * Served as /sw.js (with Service-Worker-Allowed and Cache-Control: no-cache) so that a new
 * version is picked up at the next visit.
 */
'use strict';

var VERSION = 'v2';
var PAGES = 'latih-roster-pages-' + VERSION;
var ASSETS = 'latih-roster-assets-' + VERSION;
var SCOPE = new URL(self.registration.scope);
var BASE = SCOPE.pathname; // ends with "/"
var ROSTER = /^trainer\/sessions\/\d+\/roster$/;
// the today page is kept the same way (the people-reached forms of its outreach events)
var TODAY = /^trainer\/today$/;
// on a poor connection, wait this long for the network before showing the kept copy
var NETWORK_TIMEOUT_MS = 8000;

function sameOrigin(url) {
  return new URL(url, SCOPE).origin === SCOPE.origin;
}

function isRoster(url) {
  var parsed = new URL(url, SCOPE);
  return parsed.origin === SCOPE.origin && parsed.pathname.indexOf(BASE) === 0 &&
    (ROSTER.test(parsed.pathname.slice(BASE.length)) || TODAY.test(parsed.pathname.slice(BASE.length)));
}

function isAsset(url) {
  var parsed = new URL(url, SCOPE);
  var path = parsed.pathname.slice(BASE.length);
  return parsed.origin === SCOPE.origin && parsed.pathname.indexOf(BASE) === 0 &&
    (path.indexOf('static/') === 0 || path.indexOf('bootstrap/static/') === 0);
}

function pageKey(url) {
  var parsed = new URL(url, SCOPE);
  return parsed.origin + parsed.pathname; // one copy per roster, whatever the query string
}

function keepable(response) {
  return !!response && response.status === 200 && response.type === 'basic' && !response.redirected;
}

self.addEventListener('install', function (event) {
  // the API never passes through this worker: where the browser can, it goes straight to the
  // network (no waking the worker every time the check-in code rotates)
  if (event.addRoutes) {
    event.waitUntil(Promise.resolve().then(function () {
      return event.addRoutes({ condition: { urlPattern: BASE + 'api/*' }, source: 'network' });
    }).catch(function () { return null; }));
  }
  self.skipWaiting();
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf('latih-') === 0 && name !== PAGES && name !== ASSETS;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// --- roster pages: network first ---------------------------------------------------------------

function pageFromNetwork(request, key) {
  return fetch(request).then(function (response) {
    if (!keepable(response)) return response;
    var copy = response.clone();
    return caches.open(PAGES)
      .then(function (cache) { return cache.put(key, copy); })
      .then(function () { return response; }, function () { return response; });
  });
}

function rosterPage(event) {
  var key = pageKey(event.request.url);
  var network = pageFromNetwork(event.request, key);
  event.waitUntil(network.catch(function () { return null; })); // the copy is updated even if late
  return caches.open(PAGES).then(function (cache) { return cache.match(key); }).then(function (kept) {
    if (!kept) return network;
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { resolve(kept); }, NETWORK_TIMEOUT_MS);
      network.then(function (response) {
        clearTimeout(timer);
        resolve(response.status >= 500 ? kept : response); // trouble on the server: the copy
      }, function () {
        clearTimeout(timer);
        resolve(kept); // offline
      });
    });
  });
}

// --- assets of the roster pages: the kept copy, refreshed in the background ---------------------

function asset(event) {
  var request = event.request;
  return caches.open(ASSETS).then(function (cache) {
    return cache.match(request).then(function (kept) {
      if (!kept) return fetch(request);
      if (new URL(request.url).searchParams.has('v')) return kept; // versioned: never changes
      event.waitUntil(fetch(request).then(function (response) {
        if (keepable(response)) return cache.put(request, response);
        return null;
      }).catch(function () { return null; }));
      return kept;
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (!sameOrigin(request.url)) return;
  var path = new URL(request.url).pathname;
  if (request.method === 'POST' && path === BASE + 'logout') {
    event.waitUntil(caches.delete(PAGES)); // nobody else reads this phone's kept rosters
    return;
  }
  if (request.method !== 'GET') return;
  if (isRoster(request.url)) {
    event.respondWith(rosterPage(event));
  } else if (isAsset(request.url)) {
    event.respondWith(asset(event));
  }
});

// --- the page asks to keep itself and its assets ---------------------------------------------------

function keep(data) {
  var assets = (data.assets || []).filter(isAsset).map(function (url) {
    return new URL(url, SCOPE).href;
  });
  var keepAssets = caches.open(ASSETS).then(function (cache) {
    return Promise.all(assets.map(function (url) {
      return cache.match(url).then(function (kept) {
        if (kept) return null;
        return fetch(url, { credentials: 'same-origin' }).then(function (response) {
          return keepable(response) ? cache.put(url, response) : null;
        });
      });
    })).then(function () {
      // forget older versions of the same files
      return cache.keys().then(function (requests) {
        var paths = assets.map(function (url) { return new URL(url).pathname; });
        return Promise.all(requests.filter(function (req) {
          return assets.indexOf(req.url) === -1 && paths.indexOf(new URL(req.url).pathname) !== -1;
        }).map(function (req) { return cache.delete(req); }));
      });
    });
  });
  var keepPage = Promise.resolve();
  if (data.page && isRoster(data.page)) {
    var key = pageKey(data.page);
    keepPage = caches.open(PAGES).then(function (cache) {
      return cache.match(key).then(function (kept) {
        if (kept && !data.refresh) return null;
        return fetch(key, { credentials: 'same-origin', cache: 'no-store' }).then(function (response) {
          return keepable(response) ? cache.put(key, response) : null;
        });
      });
    });
  }
  return Promise.all([keepAssets, keepPage]).catch(function () { return null; });
}

self.addEventListener('message', function (event) {
  var data = event.data || {};
  if (data.type === 'keep') event.waitUntil(keep(data));
});
