/**
 * The dashboard's stylesheet, inlined into the page (no CDN, no build step). Colours meet WCAG AA
 * contrast on the dark background; every state also has its own text and symbol, never colour alone.
 */
export const DASHBOARD_CSS = `
:root {
  color-scheme: dark;
  --bg: #0b1220; --panel: #121b2d; --panel-2: #182338; --line: #26344d;
  --text: #e6ebf3; --muted: #a3b0c5; --focus: #7cb7ff;
  --closed: #34d399; --open: #f87171; --half-open: #fbbf24; --forced-open: #c084fc; --disabled: #94a3b8;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--text); min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--focus); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 6px; }
.skip { position: absolute; left: 8px; top: -48px; background: var(--panel); padding: 8px 12px; border-radius: 6px; z-index: 2; }
.skip:focus { top: 8px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

.top { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; padding: 14px 24px; border-bottom: 1px solid var(--line); background: var(--panel); }
.top h1 { font-size: 20px; margin: 0 auto 0 0; display: flex; align-items: center; gap: 10px; letter-spacing: .2px; }
.top h1 svg { width: 26px; height: 26px; }
.pill { display: inline-flex; align-items: center; gap: 8px; padding: 4px 12px; border-radius: 999px; border: 1px solid var(--line); background: var(--panel-2); font-weight: 600; margin: 0; }
.pill .dot { width: 10px; height: 10px; border-radius: 50%; background: var(--disabled); }
.pill[data-status="ok"] .dot, .pill[data-conn="live"] .dot { background: var(--closed); }
.pill[data-status="degraded"] .dot, .pill[data-conn="reconnecting"] .dot { background: var(--half-open); }
.pill[data-status="down"] .dot { background: var(--open); }
.pill .lbl { color: var(--muted); font-weight: 500; }

main { flex: 1; display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 24px; padding: 20px 24px; align-items: start; }
@media (max-width: 980px) { main { grid-template-columns: 1fr; } }
h2 { font-size: 15px; text-transform: uppercase; letter-spacing: .08em; color: var(--muted); margin: 0 0 12px; }
.grid { list-style: none; margin: 0; padding: 0; display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); }

.card { background: var(--panel); border: 1px solid var(--line); border-left: 6px solid var(--c, var(--disabled)); border-radius: 10px; padding: 14px 16px 12px; display: flex; flex-direction: column; gap: 10px; height: 100%; }
.card[data-state="closed"] { --c: var(--closed); }
.card[data-state="open"] { --c: var(--open); }
.card[data-state="half-open"] { --c: var(--half-open); }
.card[data-state="forced-open"] { --c: var(--forced-open); }
.card[data-state="disabled"] { --c: var(--disabled); }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.card h3 { margin: 0; font-size: 17px; overflow-wrap: anywhere; }
.badge { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 999px; font-weight: 700; font-size: 13px; color: #0b1220; background: var(--c, var(--disabled)); white-space: nowrap; }
.badge .sym { font-size: 12px; }
.msg { margin: 0; color: var(--muted); font-size: 13px; min-height: 1.45em; overflow-wrap: anywhere; }

.stats { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px 12px; margin: 0; }
.stats div { min-width: 0; }
.stats dt { color: var(--muted); font-size: 12px; }
.stats dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.stats .bad { color: var(--open); }

.sparks { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.spark { background: var(--panel-2); border-radius: 8px; padding: 6px 8px 4px; }
.spark .lbl { display: flex; justify-content: space-between; font-size: 12px; color: var(--muted); }
.spark svg { display: block; width: 100%; height: 36px; }
.spark polyline { fill: none; stroke-width: 1.8; vector-effect: non-scaling-stroke; stroke-linejoin: round; }
.spark.fail polyline { stroke: var(--open); }
.spark.lat polyline { stroke: var(--focus); }
.spark polygon { opacity: .22; }
.spark.fail polygon { fill: var(--open); }
.spark.lat polygon { fill: var(--focus); }

.recovery, .opened { margin: 0; font-size: 13px; color: var(--text); background: var(--panel-2); border-radius: 8px; padding: 6px 10px; }
.recovery strong, .opened strong { font-variant-numeric: tabular-nums; }

.log-panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; position: sticky; top: 16px; }
.log { list-style: none; margin: 0; padding: 0; max-height: 70vh; overflow-y: auto; font-size: 13px; }
.log li { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; padding: 7px 0; border-top: 1px solid var(--line); }
.log li:first-child { border-top: 0; }
.log time { color: var(--muted); font-variant-numeric: tabular-nums; }
.log .what { overflow-wrap: anywhere; }
.log .reason { grid-column: 2; color: var(--muted); }
.st { font-weight: 700; }
.st[data-state="closed"] { color: var(--closed); }
.st[data-state="open"] { color: var(--open); }
.st[data-state="half-open"] { color: var(--half-open); }
.st[data-state="forced-open"] { color: var(--forced-open); }
.st[data-state="disabled"] { color: var(--disabled); }
.empty { color: var(--muted); }
@media (max-width: 480px) {
  main, .top { padding-left: 12px; padding-right: 12px; }
  .stats { grid-template-columns: repeat(2, 1fr); }
  .sparks { grid-template-columns: 1fr; }
}
footer { padding: 12px 24px; color: var(--muted); border-top: 1px solid var(--line); font-size: 13px; }
@media (prefers-reduced-motion: no-preference) { .card { transition: border-color .3s; } .badge { transition: background .3s; } }
`;
