// The status page: one self-contained HTML document (inline style and script, no external
// scripts, fonts or images), so it works on an air-gapped host and can be saved as one file.
// The script polls status.json (every 2 s; `?refresh=SECONDS` changes it), builds the tables
// with textContent (report text is never parsed as HTML), and asks for one page of services at
// a time: filter and "problems only" are applied by the daemon on its cached index.
// The Content-Security-Policy allows exactly this style and this script, by their SHA-256.
import { createHash } from 'node:crypto';
import { DEFAULT_LIMIT } from './status-view.js';

const style = `
:root { color-scheme: light dark; --fg: #1b1f23; --muted: #6a737d; --line: #d0d7de; --head: #f3f4f6;
  --up: #1a7f37; --down-bg: #ffd7d5; --down: #b3261e; --drained-bg: #fff0c2; --drained: #8a5a00;
  --pending-bg: #eef1f4; --bg: #fff; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8b949e; --line: #30363d; --head: #161b22;
  --up: #3fb950; --down-bg: #5a1d1d; --down: #ff8182; --drained-bg: #4d3800; --drained: #e3b341; --pending-bg: #21262d; --bg: #0d1117; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 12px 16px; font: 13px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 18px; margin: 0 8px 0 0; display: inline-block; }
h2 { font-size: 14px; margin: 16px 0 6px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; }
.muted { color: var(--muted); }
#error { display: none; margin: 8px 0; padding: 6px 10px; background: var(--down-bg); color: var(--down); border-radius: 4px; }
#error.shown { display: block; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { background: var(--head); font-weight: 600; position: sticky; top: 0; }
td.n, th.n { text-align: right; }
td.reason { white-space: normal; max-width: 28em; }
tr.svc td { background: var(--head); font-weight: 600; padding-top: 8px; }
tr.svc td .flag { color: var(--down); margin-left: 8px; }
tr.rs.down td { background: var(--down-bg); color: var(--down); }
tr.rs.drained td { background: var(--drained-bg); color: var(--drained); }
tr.rs.pending td, tr.rs.unchecked td { background: var(--pending-bg); }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: var(--muted); }
.up .dot { background: var(--up); } .down .dot { background: var(--down); } .drained .dot { background: var(--drained); }
.state-master { color: var(--up); font-weight: 600; } .state-fault { color: var(--down); font-weight: 600; }
#controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 12px 0 6px; }
#controls input[type=search] { width: 22em; padding: 3px 6px; }
.totals span { margin-right: 12px; }
`;

const script = `
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var refreshMs = Math.max(500, (Number(params.get('refresh')) || 2) * 1000);
  var query = { q: params.get('q') || '', problems: params.get('problems') === '1', offset: 0, limit: ${DEFAULT_LIMIT} };
  var polls = 0, timer = 0, last = null;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, children) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    (children || []).forEach(function (c) { e.append(c instanceof Node ? c : document.createTextNode(String(c))); });
    return e;
  }
  function cell(text, cls) { return el('td', cls, [text]); }
  function rate(n) {
    if (n >= 1e9) return (n / 1e9).toFixed(1) + 'G';
    if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
    if (n >= 1e3) return (n / 1e3).toFixed(1) + 'K';
    return String(n);
  }
  function ago(iso) {
    if (!iso) return '';
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 120) return s + 's';
    if (s < 7200) return Math.round(s / 60) + 'm';
    if (s < 172800) return Math.round(s / 3600) + 'h';
    return Math.round(s / 86400) + 'd';
  }

  function renderVrrp(v) {
    var rows = v.vrrp.map(function (i) {
      return el('tr', null, [
        cell(i.name), el('td', 'state-' + i.state, [i.state + (i.fault ? ' (' + i.fault + ')' : '')]),
        cell(i.priority === i.configuredPriority ? String(i.priority) : i.priority + ' (configured ' + i.configuredPriority + ')', 'n'),
        cell(i.master), cell(ago(i.since), 'n'),
      ]);
    });
    if (rows.length === 0) rows = [el('tr', null, [el('td', 'muted', ['no VRRP instances'])])];
    $('vrrp').replaceChildren(...rows);
  }

  function renderServices(v) {
    var rows = [];
    v.services.forEach(function (s) {
      var sum = { active: 0, inactive: 0, cps: 0, pps: 0, bps: 0 };
      s.servers.forEach(function (r) { sum.active += r.active; sum.inactive += r.inactive; sum.cps += r.cps; sum.pps += r.ppsIn + r.ppsOut; sum.bps += r.bpsIn + r.bpsOut; });
      var head = el('tr', 'svc', [
        el('td', null, [s.name]),
        el('td', null, [s.match + ' ' + s.scheduler].concat(s.flags.map(function (f) { return el('span', 'flag', [f]); }))),
        cell(''), cell(sum.active, 'n'), cell(sum.inactive, 'n'), cell(rate(sum.cps), 'n'), cell(rate(sum.pps), 'n'), cell(rate(sum.bps), 'n'), cell(''), cell(''),
      ]);
      head.dataset.service = s.name;
      rows.push(head);
      s.servers.forEach(function (r) {
        var tr = el('tr', 'rs ' + r.class, [
          el('td', null, [el('span', 'dot'), r.drainingSecondsLeft !== null ? 'removed, draining ' + r.drainingSecondsLeft + 's' : r.health + (r.override ? ' (' + r.override + ')' : '')]),
          cell(r.server + (r.sorry ? ' (sorry)' : '') + '  ' + r.forwarding),
          cell((r.weight === null ? '-' : r.weight) + ' / ' + r.configuredWeight, 'n'),
          cell(r.active, 'n'), cell(r.inactive, 'n'), cell(rate(r.cps), 'n'),
          cell(rate(r.ppsIn) + ' / ' + rate(r.ppsOut), 'n'), cell(rate(r.bpsIn) + ' / ' + rate(r.bpsOut), 'n'),
          cell(r.health === 'unchecked' ? '' : ago(r.since), 'n'), cell(r.reason || '', 'reason'),
        ]);
        tr.dataset.service = s.name;
        tr.dataset.server = r.server;
        tr.dataset.health = r.class;
        rows.push(tr);
      });
    });
    if (rows.length === 0) rows = [el('tr', null, [el('td', 'muted', [v.totals.services === 0 ? 'no services configured' : 'no service matches'])])];
    $('services').replaceChildren(...rows);
    var first = v.matched === 0 ? 0 : v.offset + 1;
    $('page').textContent = first + '-' + Math.min(v.offset + v.limit, v.matched) + ' of ' + v.matched;
    $('prev').disabled = v.offset === 0;
    $('next').disabled = v.offset + v.limit >= v.matched;
  }

  function render(v) {
    last = v;
    document.title = 'lvsd ' + v.node;
    $('node').textContent = v.node;
    $('config').textContent = 'config ' + v.configHash;
    var t = v.totals.servers;
    $('totals').replaceChildren(
      el('span', null, [v.totals.services + ' services, ' + v.totals.problemServices + ' with problems']),
      el('span', 'up', [el('span', 'dot'), t.up + ' up']), el('span', 'down', [el('span', 'dot'), t.down + ' down']),
      el('span', 'drained', [el('span', 'dot'), t.drained + ' drained']), el('span', null, [el('span', 'dot'), t.pending + ' pending, ' + t.unchecked + ' unchecked']));
    renderVrrp(v);
    renderServices(v);
    $('unmanaged').textContent = v.unmanaged.length ? 'Kernel services lvsd does not manage (left alone): ' + v.unmanaged.join(', ') : '';
  }

  function poll() {
    clearTimeout(timer);
    var qs = new URLSearchParams({ offset: String(query.offset), limit: String(query.limit) });
    if (query.q) qs.set('q', query.q);
    if (query.problems) qs.set('problems', '1');
    fetch('status.json?' + qs, { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (v) { render(v); $('error').classList.remove('shown'); })
      .catch(function (e) {
        $('error').textContent = 'lvsd did not answer (' + e.message + '); showing the last answer' + (last ? ' from ' + last.generatedAt : '');
        $('error').classList.add('shown');
      })
      .finally(function () {
        polls++;
        document.body.dataset.polls = String(polls);
        $('updated').textContent = last ? 'updated ' + new Date(last.generatedAt).toLocaleTimeString() + ', every ' + refreshMs / 1000 + ' s' : '';
        timer = setTimeout(poll, refreshMs);
      });
  }

  var typing = 0;
  $('filter').value = query.q;
  $('problems').checked = query.problems;
  $('filter').addEventListener('input', function () {
    clearTimeout(typing);
    typing = setTimeout(function () { query.q = $('filter').value.trim(); query.offset = 0; poll(); }, 250);
  });
  $('problems').addEventListener('change', function () { query.problems = $('problems').checked; query.offset = 0; poll(); });
  $('prev').addEventListener('click', function () { query.offset = Math.max(0, query.offset - query.limit); poll(); });
  $('next').addEventListener('click', function () { query.offset += query.limit; poll(); });
  poll();
})();
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Allows this page's inline style and script and nothing else from outside the listener. */
export const PAGE_CSP = [
  "default-src 'self'",
  `script-src ${sha256(script)}`,
  `style-src ${sha256(style)}`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lvsd</title>
<style>${style}</style>
</head>
<body>
<header><h1>lvsd <span id="node"></span></h1><span id="config" class="muted"></span><span id="updated" class="muted"></span></header>
<div id="error" role="alert"></div>
<h2>VRRP</h2>
<table><thead><tr><th>Instance</th><th>State</th><th class="n">Priority</th><th>Master</th><th class="n">Since</th></tr></thead><tbody id="vrrp"></tbody></table>
<h2>Services</h2>
<div class="totals" id="totals"></div>
<div id="controls">
<input type="search" id="filter" placeholder="filter: service, VIP or real server" aria-label="filter">
<label><input type="checkbox" id="problems"> problems only</label>
<span><button id="prev" type="button">&lsaquo; prev</button> <span id="page"></span> <button id="next" type="button">next &rsaquo;</button></span>
</div>
<table>
<thead><tr><th>Health</th><th>Real server</th><th class="n">Weight now / configured</th><th class="n">Active</th><th class="n">Inactive</th><th class="n">Conn/s</th><th class="n">Pkt/s in / out</th><th class="n">Bytes/s in / out</th><th class="n">Since</th><th>Last check</th></tr></thead>
<tbody id="services"></tbody>
</table>
<p id="unmanaged" class="muted"></p>
<script>${script}</script>
</body>
</html>
`;
