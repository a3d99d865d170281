/**
 * The dashboard page served at `GET /`: one self-contained HTML document (inline CSS and JS, no
 * CDN, no build step). Its script and style carry a per-response CSP nonce. The page renders one
 * card per service from `/health` (re-read every `pollMs`) and applies state changes from
 * `/events` as they happen, so it never reloads.
 */
import { DASHBOARD_CSS } from './dashboard.css.ts';
import { DASHBOARD_SCRIPT } from './dashboard.script.ts';

export interface DashboardOptions {
  /** CSP nonce of this response: base64 only, so it is safe inside an attribute. */
  readonly nonce: string;
  /** Interval of `/health` reads, ms. */
  readonly pollMs: number;
}

const LOGO = `<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false">
<path d="M3 21c3 0 3-2.5 6.5-2.5S13 21 16 21s3-2.5 6.5-2.5S26 21 29 21" fill="none" stroke="#7cb7ff" stroke-width="2.4" stroke-linecap="round"/>
<path d="M3 26.5c3 0 3-2.5 6.5-2.5S13 26.5 16 26.5s3-2.5 6.5-2.5 3.5 2.5 6.5 2.5" fill="none" stroke="#7cb7ff" stroke-width="2.4" stroke-linecap="round" opacity=".55"/>
<rect x="6" y="5" width="20" height="10" rx="2" fill="#34d399"/></svg>`;

/** An inline icon, so the browser never asks for /favicon.ico. */
const FAVICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b1220"/><rect x="6" y="6" width="20" height="9" rx="2" fill="#34d399"/><path d="M4 23c3 0 3-3 6-3s3 3 6 3 3-3 6-3 3 3 6 3" fill="none" stroke="#7cb7ff" stroke-width="3" stroke-linecap="round"/></svg>',
)}`;

/** The page for one response. */
export function renderDashboard(options: DashboardOptions): string {
  const nonce = options.nonce.replace(/[^A-Za-z0-9+/=]/g, '');
  const config = JSON.stringify({ pollMs: options.pollMs });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>breakwater · circuit breakers</title>
<link rel="icon" href="${FAVICON}">
<style nonce="${nonce}">${DASHBOARD_CSS}</style>
</head>
<body>
<a class="skip" href="#services-h">Skip to services</a>
<header class="top">
  <h1>${LOGO}breakwater</h1>
  <p class="pill" id="overall" data-status="unknown" role="status"><span class="dot" aria-hidden="true"></span><span class="lbl">Overall</span> <span id="overall-text">loading…</span></p>
  <p class="pill" id="conn" data-conn="connecting"><span class="dot" aria-hidden="true"></span><span class="lbl">Events</span> <span id="conn-text">connecting…</span></p>
</header>
<main>
  <section aria-labelledby="services-h">
    <h2 id="services-h" tabindex="-1">Services <span id="count"></span></h2>
    <p id="empty" class="empty" hidden>No services are registered.</p>
    <ul id="services" class="grid" aria-label="Services"></ul>
  </section>
  <section class="log-panel" aria-labelledby="log-h">
    <h2 id="log-h">Transitions</h2>
    <p id="log-empty" class="empty">No transitions yet.</p>
    <ol id="log" class="log" aria-live="polite" aria-relevant="additions" aria-label="Transitions, newest first" tabindex="0"></ol>
  </section>
</main>
<footer>Raw data: <a href="/health">/health</a> · <a href="/metrics">/metrics</a> · <a href="/events">/events</a></footer>
<template id="card-tpl"><li><article class="card" tabindex="0">
  <div class="card-head"><h3></h3><span class="badge"><span class="sym" aria-hidden="true"></span><span class="state"></span></span></div>
  <p class="msg"></p>
  <dl class="stats">
    <div><dt>Failure ratio</dt><dd data-k="fail"></dd></div>
    <div><dt>p50 / p99</dt><dd data-k="lat"></dd></div>
    <div><dt>In flight</dt><dd data-k="inflight"></dd></div>
    <div><dt>Calls</dt><dd data-k="calls"></dd></div>
    <div><dt>Rejected</dt><dd data-k="rejected"></dd></div>
    <div><dt>Fallbacks</dt><dd data-k="fallbacks"></dd></div>
    <div data-pool hidden><dt>Threads</dt><dd data-k="threads"></dd></div>
    <div data-pool hidden><dt>Queue</dt><dd data-k="queue"></dd></div>
    <div data-pool hidden><dt>Pool</dt><dd data-k="pool"></dd></div>
  </dl>
  <div class="sparks">
    <div class="spark fail"><div class="lbl"><span>Failure ratio</span><span data-k="fail-max"></span></div><svg viewBox="0 0 120 36" preserveAspectRatio="none" role="img"><polygon points=""/><polyline points=""/></svg></div>
    <div class="spark lat"><div class="lbl"><span>p99 latency</span><span data-k="lat-max"></span></div><svg viewBox="0 0 120 36" preserveAspectRatio="none" role="img"><polygon points=""/><polyline points=""/></svg></div>
  </div>
  <p class="opened" hidden><span class="state-name"></span> for <strong class="since"></strong></p>
  <p class="recovery" hidden>Next probe in <strong class="countdown" role="timer" aria-live="off"></strong></p>
</article></li></template>
<script type="application/json" id="config">${config}</script>
<script nonce="${nonce}">${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
