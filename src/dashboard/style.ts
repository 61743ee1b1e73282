/**
 * The dashboard's stylesheet: system fonts only (no downloads), light and dark schemes, and one
 * colour per status word so a status reads the same everywhere.
 */
export const DASHBOARD_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f7f8fa; --fg: #1d2330; --muted: #5b6475; --card: #ffffff; --line: #dde1e8; --accent: #2b6cb0;
  --ok: #1f7a3a; --bad: #b42318; --run: #1d5fbf; --wait: #8a6100; --off: #5b6475;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171d; --fg: #e4e7ee; --muted: #9aa3b5; --card: #1c2029; --line: #2e3441; --accent: #7cb1f0;
    --ok: #5fce80; --bad: #ff8a80; --run: #7cb1f0; --wait: #e8c36a; --off: #9aa3b5; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
.top { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; padding: 10px 24px;
  background: var(--card); border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; font-size: 18px; text-decoration: none; color: var(--fg); }
#crumbs { display: flex; gap: 6px; list-style: none; margin: 0; padding: 0; }
#crumbs li + li::before { content: "/"; color: var(--muted); margin-right: 6px; }
.settings { margin-left: auto; display: flex; gap: 10px; align-items: center; font-size: 13px; color: var(--muted); }
input, select, button { font: inherit; color: inherit; }
input, select { background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 3px 6px; }
button { background: var(--card); border: 1px solid var(--line); border-radius: 4px; padding: 4px 12px; cursor: pointer; }
button:hover { border-color: var(--accent); }
button.danger { border-color: var(--bad); color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
main { padding: 20px 24px 48px; max-width: 1200px; }
main:focus { outline: none; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 16px; margin: 28px 0 8px; }
.muted { color: var(--muted); }
#notice { margin: 12px 24px 0; padding: 8px 12px; border: 1px solid var(--bad); border-radius: 4px; color: var(--bad); background: var(--card); }
.toolbar { display: flex; gap: 12px; align-items: center; margin: 12px 0; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
.status { display: inline-block; font-weight: 600; }
.status::before { content: "●"; margin-right: 4px; }
.status-succeeded { color: var(--ok); } .status-failed { color: var(--bad); } .status-running { color: var(--run); }
.status-pending { color: var(--wait); } .status-cancelled { color: var(--off); }
.tag { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; margin: 0 4px 2px 0; font-size: 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.progress { display: flex; gap: 12px; align-items: center; }
.progress progress { flex: 1; height: 14px; max-width: 520px; accent-color: var(--run); }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 0; }
ul.tree ul { padding-left: 28px; border-left: 2px solid var(--line); margin-left: 10px; }
.call { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 6px 0; }
.call-head { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: baseline; }
.call-name { font-weight: 600; }
.call table { margin-top: 6px; font-size: 13px; }
pre.box { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow: auto; max-height: 420px; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.log-stderr { color: var(--bad); }
.error { color: var(--bad); }
.app-head { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: baseline; }
.tabs { display: flex; gap: 4px; }
.tabs a { padding: 3px 12px; border: 1px solid var(--line); border-radius: 4px; text-decoration: none; background: var(--card); }
.tabs a[aria-current="page"] { border-color: var(--accent); font-weight: 600; }
.filters { flex-wrap: wrap; font-size: 13px; color: var(--muted); }
.filters label { display: flex; gap: 6px; align-items: center; }
code.cron { font-size: 14px; }
.fields { display: grid; gap: 10px; margin: 12px 0; }
.field { display: grid; grid-template-columns: 160px minmax(0, 520px) 1fr; gap: 4px 12px; align-items: baseline; }
.field label { font-weight: 600; overflow-wrap: anywhere; }
.field .hint { font-size: 12px; }
textarea { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 4px 6px; }
.field input[type="checkbox"] { justify-self: start; }
.overall { flex: 1; margin-bottom: 6px; }
.timeline { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.tl-row { display: grid; grid-template-columns: 200px 1fr; gap: 12px; align-items: center; min-height: 26px; }
.tl-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 13px; }
.tl-track { position: relative; height: 20px; border-left: 1px solid var(--line); }
.tl-axis .tl-track { height: 18px; border-left: none; }
.tl-tick { position: absolute; top: 0; font-size: 11px; color: var(--muted); white-space: nowrap; padding-left: 3px; border-left: 1px solid var(--line); }
.seg { position: absolute; top: 3px; height: 14px; min-width: 2px; border-radius: 2px; font-size: 10px; line-height: 14px; color: #fff; overflow: hidden; padding-left: 2px; }
.seg-queued { background: repeating-linear-gradient(45deg, var(--line) 0 4px, transparent 4px 8px); }
.seg-backoff { background: repeating-linear-gradient(-45deg, var(--wait) 0 3px, transparent 3px 7px); opacity: .8; }
.seg-wait { background: repeating-linear-gradient(90deg, rgba(255,255,255,.55) 0 3px, transparent 3px 6px); top: 7px; height: 6px; pointer-events: none; }
.attempt-succeeded { background: var(--ok); } .attempt-failed { background: var(--bad); }
.attempt-running { background: var(--run); } .attempt-cancelled { background: var(--off); }
.tl-legend { display: flex; flex-wrap: wrap; gap: 4px 6px; align-items: center; margin-top: 8px; font-size: 12px; }
.seg-key { display: inline-block; position: static; width: 18px; height: 10px; border-radius: 2px; margin-left: 8px; }
.seg-key.seg-wait { background-color: var(--run); height: 10px; }
.overall-text { min-width: 4em; font-variant-numeric: tabular-nums; }
`;
