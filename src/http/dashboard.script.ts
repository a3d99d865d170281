/**
 * The dashboard's browser script, inlined into the page. Plain ES2020 in a string: no build step,
 * and it never reloads the page. Sources of truth, in order:
 *  - `/events` (EventSource) applies each state change the moment it happens and logs it;
 *  - `/health`, re-read every `pollMs`, fills metrics and sparklines, adds and removes cards, and
 *    sets states too unless a newer event for that service was already applied (`eventId`).
 * Event ids are `<instance>-<seq>`: a report or event from another server instance (the process
 * restarted) means every id, counter and history the page holds is from the old one, so they are
 * dropped and the new server's report is taken as is.
 * Ratios and per-second rates come from the difference between successive reports, so they count
 * rejected calls too: while a breaker is open the page shows rejections and fallbacks per second,
 * how long it has been open, and a failure ratio near 100%, not the policy window's last figure.
 * Service names and messages are user data: they only ever go through `textContent`.
 * (Written without template literals, so it can live in this TS string as is; the `\u` escapes
 * below become the characters themselves when TS evaluates the string.)
 */
export const DASHBOARD_SCRIPT = `
'use strict';
(function () {
  var cfg = JSON.parse(document.getElementById('config').textContent);
  var HISTORY = 60, MAX_LOG = 100, RATIO_WINDOW_MS = 60000, RATE_WINDOW_MS = 10000;
  var SYMBOLS = { closed: '\u25cf', open: '\u2715', 'half-open': '\u25d0', 'forced-open': '\u2298', disabled: '\u2013' };
  var cards = new Map();
  var grid = document.getElementById('services');
  var tpl = document.getElementById('card-tpl');
  var log = document.getElementById('log');
  var nextId = 0;
  var instance = null;

  // '<instance>-<seq>' -> { inst, seq }; anything else reads as seq 0 of no instance.
  function parseId(id) {
    var s = String(id || ''), dash = s.lastIndexOf('-');
    return dash < 0 ? { inst: null, seq: 0 } : { inst: s.slice(0, dash), seq: Number(s.slice(dash + 1)) || 0 };
  }

  // A report or event from a server instance other than the one the page knows: start over.
  function noteInstance(inst) {
    if (inst === null || inst === instance) return;
    var restarted = instance !== null;
    instance = inst;
    if (!restarted) return;
    cards.forEach(function (card) {
      card.seq = 0;
      card.samples = [];
      card.fail.length = 0;
      card.lat.length = 0;
    });
  }

  function q(root, sel) { return root.querySelector(sel); }
  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }
  function pct(r) { var p = r * 100; return (p > 0 && p < 10 ? p.toFixed(1) : Math.round(p)) + '%'; }
  function ms(v) { return (v < 10 ? v.toFixed(1) : String(Math.round(v))) + ' ms'; }
  function num(n) { return Number(n).toLocaleString('en-US'); }
  function clockTime(at) {
    var d = new Date(at);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  function ensureCard(name) {
    var card = cards.get(name);
    if (card) return card;
    var li = tpl.content.firstElementChild.cloneNode(true);
    var el = q(li, 'article');
    var id = 'svc-' + (nextId++);
    el.dataset.service = name;
    q(el, 'h3').id = id + '-name';
    q(el, 'h3').textContent = name;
    q(el, '.state').id = id + '-state';
    el.setAttribute('aria-labelledby', id + '-name');
    el.setAttribute('aria-describedby', id + '-state');
    card = { li: li, el: el, state: null, seq: 0, fail: [], lat: [], recoverAt: null, samples: [], since: null };
    cards.set(name, card);
    var names = Array.from(cards.keys()).sort();
    var after = names.indexOf(name) + 1 < names.length ? cards.get(names[names.indexOf(name) + 1]).li : null;
    grid.insertBefore(li, after);
    return card;
  }

  function setState(card, state) {
    if (card.state === state) return;
    card.state = state;
    card.el.dataset.state = state;
    setText(q(card.el, '.state'), state);
    setText(q(card.el, '.sym'), SYMBOLS[state] || '?');
    if (state !== 'open') { card.recoverAt = null; renderCountdown(card); }
  }

  // Since when (page clock) the breaker is in its state, for 'open for 12 s'.
  function setSince(card, agoMs) {
    card.since = agoMs === null ? null : performance.now() - Math.max(0, agoMs);
  }

  function secs(msLeft) { return (msLeft / 1000).toFixed(msLeft < 10000 ? 1 : 0) + ' s'; }

  function setRecovery(card, remainingMs) {
    card.recoverAt = remainingMs === null ? null : performance.now() + Math.max(0, remainingMs);
    renderCountdown(card);
  }

  function renderCountdown(card) {
    var opened = q(card.el, '.opened');
    var notClosed = card.since !== null && card.state !== 'closed' && card.state !== 'disabled';
    opened.hidden = !notClosed;
    if (notClosed) {
      setText(q(opened, '.state-name'), card.state);
      setText(q(opened, '.since'), secs(performance.now() - card.since));
    }
    var box = q(card.el, '.recovery');
    if (card.recoverAt === null || card.state !== 'open') { box.hidden = true; return; }
    var left = Math.max(0, card.recoverAt - performance.now());
    box.hidden = false;
    setText(q(box, '.countdown'), left > 0 ? secs(left) : 'due now');
  }

  function spark(box, values, max, label, fmt) {
    var svg = q(box, 'svg');
    var pts = [];
    var step = 120 / (HISTORY - 1);
    for (var i = 0; i < values.length; i++) {
      var x = 120 - (values.length - 1 - i) * step;
      var y = 34 - (max > 0 ? values[i] / max : 0) * 31;
      pts.push(x.toFixed(1) + ',' + y.toFixed(1));
    }
    q(svg, 'polyline').setAttribute('points', pts.join(' '));
    q(svg, 'polygon').setAttribute('points', pts.length > 1
      ? (120 - (values.length - 1) * step).toFixed(1) + ',36 ' + pts.join(' ') + ' 120,36' : '');
    var now = values.length ? values[values.length - 1] : 0;
    svg.setAttribute('aria-label', label + ' over the last ' + values.length + ' samples: now ' + fmt(now) +
      ', peak ' + fmt(Math.max.apply(null, values.concat([0]))));
    setText(q(box, '[data-k$="-max"]'), 'peak ' + fmt(Math.max.apply(null, values.concat([0]))));
  }

  function push(list, v) { list.push(v); if (list.length > HISTORY) list.shift(); }

  // Failure ratio (failed + rejected over all answered or rejected calls) and per-second rates
  // of rejections and fallbacks, from this report and the ones of about the last minute.
  function trend(card, m, now) {
    var sample = { t: now, good: m.successfulRequests, bad: m.failedRequests + m.rejectedRequests,
      rejected: m.rejectedRequests, fallbacks: m.fallbacks };
    var list = card.samples;
    if (list.length === 0) list.push({ t: now, good: 0, bad: 0, rejected: 0, fallbacks: 0 });
    list.push(sample);
    while (list.length > 2 && list[1].t <= now - RATIO_WINDOW_MS) list.shift();
    var base = list[0], calls = sample.good - base.good + sample.bad - base.bad;
    // Rates over the last ~10 s (not the whole minute), so they follow an outage closely; the
    // zero sample standing for 'since registration' is never a rate's base.
    var ref = null;
    for (var i = 1; i < list.length - 1; i++) if (list[i].t >= now - RATE_WINDOW_MS) { ref = list[i]; break; }
    var dt = ref === null ? 0 : (sample.t - ref.t) / 1000;
    return {
      ratio: calls > 0 ? (sample.bad - base.bad) / calls : 0,
      rejectedPerS: dt > 0 ? (sample.rejected - ref.rejected) / dt : null,
      fallbacksPerS: dt > 0 ? (sample.fallbacks - ref.fallbacks) / dt : null,
    };
  }

  // Shown only while something happens: a column of '0/s' would hide the one that matters.
  function perSecond(v) { return v === null || !(v > 0) ? '' : ' \u00b7 ' + (v < 10 ? v.toFixed(1) : num(Math.round(v))) + '/s'; }

  function applyHealth(h) {
    var id = parseId(h.eventId);
    noteInstance(id.inst);
    var overall = document.getElementById('overall');
    overall.dataset.status = h.status;
    setText(document.getElementById('overall-text'), h.status);
    var names = Object.keys(h.services);
    setText(document.getElementById('count'), '(' + names.length + ')');
    document.getElementById('empty').hidden = names.length > 0;
    cards.forEach(function (card, name) {
      if (!(name in h.services)) { card.li.remove(); cards.delete(name); }
    });
    var pageNow = performance.now();
    names.forEach(function (name) {
      var s = h.services[name], m = s.metrics, card = ensureCard(name);
      // An event newer than this snapshot already set the state: don't go back to an older one.
      if (card.seq <= id.seq) {
        setState(card, s.state);
        if (m) {
          setRecovery(card, m.nextRecoveryAttempt === null ? null : m.nextRecoveryAttempt - h.now);
          setSince(card, h.now - m.lastStateChange);
        }
      }
      setText(q(card.el, '.msg'), s.message || '');
      if (!m) return;
      var tr = trend(card, m, pageNow);
      var open = s.state !== 'closed' && s.state !== 'disabled';
      var f = q(card.el, '[data-k="fail"]');
      setText(f, pct(tr.ratio));
      f.classList.toggle('bad', tr.ratio >= 0.25);
      setText(q(card.el, '[data-k="lat"]'), ms(m.p50ResponseTimeMs) + ' / ' + ms(m.p99ResponseTimeMs));
      setText(q(card.el, '[data-k="inflight"]'), num(m.inFlight));
      setText(q(card.el, '[data-k="calls"]'), num(m.totalRequests));
      var rej = q(card.el, '[data-k="rejected"]');
      setText(rej, num(m.rejectedRequests) + perSecond(tr.rejectedPerS));
      rej.classList.toggle('bad', open && tr.rejectedPerS !== null && tr.rejectedPerS > 0);
      setText(q(card.el, '[data-k="fallbacks"]'), num(m.fallbacks) + perSecond(tr.fallbacksPerS));
      var pool = m.pool;
      card.el.querySelectorAll('[data-pool]').forEach(function (d) { d.hidden = !pool; });
      if (pool) {
        setText(q(card.el, '[data-k="threads"]'), num(pool.threads) + ' (' + num(pool.running) + ' busy)');
        setText(q(card.el, '[data-k="queue"]'), num(pool.queued));
        var p = q(card.el, '[data-k="pool"]');
        setText(p, pool.broken ? 'broken' : 'ok');
        p.classList.toggle('bad', pool.broken);
      }
      push(card.fail, tr.ratio);
      push(card.lat, m.p99ResponseTimeMs);
      spark(q(card.el, '.spark.fail'), card.fail, 1, 'Failure ratio', pct);
      spark(q(card.el, '.spark.lat'), card.lat, Math.max.apply(null, card.lat.concat([1])), 'p99 latency', ms);
      renderCountdown(card);
    });
  }

  var polling = false;
  function poll() {
    if (polling) return;
    polling = true;
    fetch('/health', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(applyHealth)
      .catch(function () { setText(document.getElementById('overall-text'), 'unreachable'); })
      .finally(function () { polling = false; });
  }

  function addLog(e) {
    document.getElementById('log-empty').hidden = true;
    var li = document.createElement('li');
    var time = document.createElement('time');
    time.dateTime = new Date(e.at).toISOString();
    time.textContent = clockTime(e.at);
    var what = document.createElement('span');
    what.className = 'what';
    var svc = document.createElement('strong');
    svc.textContent = e.service;
    what.append(svc, ': ', stateSpan(e.from), ' \u2192 ', stateSpan(e.to));
    var why = document.createElement('span');
    why.className = 'reason';
    // The streak length explains a trip by the failure threshold only; a half-open -> open is one
    // failed probe, whatever the streak before the breaker opened was.
    why.textContent = e.reason + (e.origin ? ' (from ' + e.origin + ')' : '') +
      (e.reason === 'failure-threshold' && e.consecutiveFailures
        ? ' (' + e.consecutiveFailures + ' consecutive failures)' : '');
    li.append(time, what, why);
    log.prepend(li);
    while (log.children.length > MAX_LOG) log.lastElementChild.remove();
  }

  function stateSpan(state) {
    var s = document.createElement('span');
    s.className = 'st';
    s.dataset.state = state;
    s.textContent = state;
    return s;
  }

  function setConn(state, text) {
    document.getElementById('conn').dataset.conn = state;
    setText(document.getElementById('conn-text'), text);
  }

  // lastEventId=0 replays the buffered history on the first connection; on reconnects the browser
  // sends Last-Event-ID itself, which the server prefers.
  var source = new EventSource('/events?lastEventId=0');
  source.onopen = function () { setConn('live', 'live'); };
  source.onerror = function () { setConn('reconnecting', 'reconnecting\u2026'); };
  source.addEventListener('stateChange', function (msg) {
    var e = JSON.parse(msg.data);
    var id = parseId(msg.lastEventId);
    noteInstance(id.inst);
    var card = ensureCard(e.service);
    card.seq = id.seq;
    setState(card, e.to);
    setSince(card, 0);
    if (e.to === 'open') setRecovery(card, e.nextRecoveryAttempt === null ? null : e.nextRecoveryAttempt - e.at);
    addLog(e);
    poll();
  });
  source.addEventListener('gap', poll);

  poll();
  setInterval(poll, cfg.pollMs);
  setInterval(function () { cards.forEach(renderCountdown); }, 250);
})();
`;
