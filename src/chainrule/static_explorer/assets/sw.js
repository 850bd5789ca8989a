// chainrule's static explorer, offline: every file of the folder is kept in the browser's cache at the first
// visit, and answered from there afterwards (the network is tried only for what the cache does not hold).
// FILES and VERSION are written by `chainrule site` when it builds the folder; a new build is a new cache.
"use strict";
const VERSION = "__VERSION__";
const FILES = __FILES__;
const CACHE = `chainrule-explorer-${VERSION}`;
const scope = new URL(self.registration.scope);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((f) => new URL(f, scope).href)))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("chainrule-explorer-") && k !== CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // a page is kept without its query (its state): /backprop/?lesson=wide is /backprop/
    const hit = await cache.match(event.request, { ignoreSearch: event.request.mode === "navigate" });
    if (hit) return hit;
    // /backprop (no slash) is the folder backprop/, as a static server would redirect it
    if (event.request.mode === "navigate" && !url.pathname.endsWith("/")
        && await cache.match(new URL(url.pathname + "/", url).href)) {
      return Response.redirect(url.pathname + "/" + url.search, 301);
    }
    return fetch(event.request);
  })());
});
