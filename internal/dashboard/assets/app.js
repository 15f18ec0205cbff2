// Scribe dashboard. Plain JavaScript, no dependencies, nothing fetched but
// the daemon's own API. Every piece of data goes into the page as text
// (textContent, text nodes, attributes), never as markup.
'use strict';

(() => {
  const MAX_EVENTS = 200;    // rows kept in the live stream
  const HISTORY_LIMIT = 50;  // writes listed
  const REFRESH_MS = 5000;   // status and chart, while the page is visible

  const $ = (id) => document.getElementById(id);
  const page = {
    loggedIn: false,
    paused: false,
    status: null,
    counts: new Map(), // rule id → {applied, failed}
    diffs: new Map(),  // write id → Diff document
    open: new Set(),   // write ids whose diff is shown
  };

  // el builds an element: el('td', {className: 'path'}, 'text', child...).
  // Strings become text nodes.
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k.startsWith('aria-') || k === 'role') e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  // pathText is a file path as text with a line-break opportunity after
  // each slash, so long paths wrap between folders rather than in a name.
  function pathText(path) {
    const f = document.createDocumentFragment();
    path.split('/').forEach((part, i, all) => {
      f.append(document.createTextNode(part + (i < all.length - 1 ? '/' : '')));
      if (i < all.length - 1) f.append(document.createElement('wbr'));
    });
    return f;
  }

  class APIError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(method, path) {
    let r;
    try {
      r = await fetch(path, {method, headers: {Accept: 'application/json'}, cache: 'no-store', credentials: 'same-origin'});
    } catch (e) {
      throw new APIError(0, 'the daemon does not answer: is `scribe watch` running?');
    }
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) throw new APIError(r.status, (body && body.error) || r.status + ' ' + r.statusText);
    return body;
  }

  // --- notices ---------------------------------------------------------

  function notice(text, kind, action) {
    const n = $('notice');
    n.replaceChildren(text);
    n.className = 'banner ' + (kind || '');
    if (action) {
      n.append(' ', el('button', {type: 'button', className: 'secondary', onclick: () => { n.hidden = true; action.run(); }}, action.label));
    }
    n.hidden = false;
  }

  function failed(what) {
    return (e) => notice(what + ': ' + e.message, 'bad');
  }

  // debounce runs fn once, wait ms after the last call.
  function debounce(fn, wait) {
    let t = null;
    return () => { clearTimeout(t); t = setTimeout(fn, wait); };
  }

  // --- time ------------------------------------------------------------

  const pad = (n) => String(n).padStart(2, '0');
  function clock(d) { return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function when(s) {
    const d = new Date(s);
    if (isNaN(d)) return '';
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return clock(d);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(d);
  }

  // keepFocus re-renders a list and puts the focus back on the control
  // with the same data-key, so that keyboard users do not lose their place.
  function keepFocus(render) {
    const key = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : undefined;
    render();
    if (key) {
      const again = document.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (again && !again.disabled) again.focus();
    }
  }

  // --- session ---------------------------------------------------------

  async function refreshSession() {
    const s = await api('GET', '/api/v1/session');
    page.loggedIn = !!s.logged_in;
    $('readonly').hidden = page.loggedIn;
    $('logout').hidden = !(page.loggedIn && s.logins);
    for (const b of document.querySelectorAll('button.needs-login, #pause')) b.disabled = !page.loggedIn;
  }

  // --- status: state, figures, rules, dead letters ---------------------

  async function refreshStatus() {
    const st = await api('GET', '/api/v1/status');
    page.status = st;
    page.paused = !!st.paused;
    const s = $('state');
    let text = 'Watching', cls = 'ready';
    if (!st.ready) { text = 'Starting, catching up'; cls = ''; }
    if (st.paused) { text = 'Paused' + (st.paused_by && st.paused_by.length ? ' (' + st.paused_by.join(', ') + ')' : ''); cls = 'paused'; }
    if (st.git) { text += ' · writes held: ' + st.git; }
    s.textContent = text;
    s.className = 'state ' + cls;

    const p = $('pause');
    p.textContent = st.paused ? 'Resume' : 'Pause';
    p.setAttribute('aria-label', st.paused ? 'Resume processing' : 'Pause processing');
    p.disabled = !page.loggedIn;

    $('f-pending').textContent = st.queue ? st.queue.pending : '–';
    const c = st.counters || {};
    $('f-processed').textContent = c.processed ?? '–';
    $('f-written').textContent = c.written ?? '–';
    $('f-failed').textContent = c.failed ?? '–';
    $('f-uptime').textContent = st.uptime || '–';
    renderRules();
    renderDeadLetters(st.dead_letters || []);
  }

  function renderRules() {
    const st = page.status;
    if (!st) return;
    const body = $('rule-table').tBodies[0];
    body.replaceChildren(...(st.rules || []).map((r) => {
      const n = page.counts.get(r.id) || {applied: 0, failed: 0};
      const breaker = r.breaker || 'closed';
      return el('tr', {dataset: {rule: r.id}},
        el('td', {}, el('code', {}, r.id), r.name ? el('div', {className: 'meta'}, r.name) : null),
        el('td', {className: 'num'}, n.applied),
        el('td', {className: 'num'}, n.failed),
        el('td', {className: breaker === 'closed' ? '' : 'breaker-open'}, breaker));
    }));
  }

  function renderDeadLetters(list) {
    keepFocus(() => {
      const body = $('dead-table').tBodies[0];
      body.replaceChildren(...list.map((d) => {
        const ev = d.event || {};
        const retry = el('button', {type: 'button', className: 'retry needs-login', disabled: !page.loggedIn,
          dataset: {key: 'retry-' + d.id}, 'aria-label': 'Retry ' + (ev.path || 'dead letter ' + d.id),
          onclick: () => retryDeadLetter(d.id, ev.path)}, 'Retry');
        return el('tr', {dataset: {id: String(d.id), path: ev.path || ''}},
          el('td', {className: 'path'}, pathText(ev.path || '?')),
          el('td', {className: 'error'}, d.error || '', d.rule ? el('div', {className: 'meta'}, 'rule ' + d.rule) : null),
          el('td', {className: 'num'}, d.deliveries ?? ''),
          el('td', {}, when(d.time)),
          el('td', {}, retry));
      }));
      $('dead-empty').hidden = list.length > 0;
    });
  }

  async function retryDeadLetter(id, path) {
    try {
      await api('POST', '/api/v1/deadletters/' + id + '/retry');
      notice('Requeued ' + (path || 'dead letter ' + id) + '.', 'ok');
    } catch (e) {
      failed('Retry')(e);
    }
    refreshStatus().catch(failed('Status'));
  }

  async function togglePause() {
    const p = $('pause');
    p.disabled = true;
    try {
      await api('POST', page.paused ? '/api/v1/resume' : '/api/v1/pause');
    } catch (e) {
      failed(page.paused ? 'Resume' : 'Pause')(e);
    }
    await refreshStatus().catch(failed('Status'));
  }

  // --- activity chart --------------------------------------------------

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  }

  async function refreshActivity() {
    const a = await api('GET', '/api/v1/activity');
    page.counts = new Map((a.rules || []).map((r) => [r.rule, r]));
    renderRules();
    drawChart(a);
  }

  function drawChart(a) {
    const W = 600, H = 150, top = 8, slots = Math.round(a.window_seconds / a.interval_seconds);
    const samples = a.samples || [];
    const bw = W / slots;
    const maxN = Math.max(1, ...samples.map((s) => s.processed));
    const depths = samples.filter((s) => s.pending !== null);
    const maxQ = Math.max(1, ...depths.map((s) => s.pending));
    const x0 = W - samples.length * bw;
    const chart = $('chart');
    const parts = [svg('line', {class: 'axis', x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5})];
    samples.forEach((s, i) => {
      if (!s.processed) return;
      const h = (H - top) * s.processed / maxN;
      parts.push(svg('rect', {class: 'bar', x: x0 + i * bw + 0.5, y: H - h, width: Math.max(bw - 1, 1), height: h}));
      if (s.failed) {
        const fh = (H - top) * s.failed / maxN;
        parts.push(svg('rect', {class: 'bar failed', x: x0 + i * bw + 0.5, y: H - fh, width: Math.max(bw - 1, 1), height: fh}));
      }
    });
    const pts = [];
    samples.forEach((s, i) => {
      if (s.pending !== null) pts.push((x0 + (i + 0.5) * bw).toFixed(1) + ',' + (H - (H - top) * s.pending / maxQ).toFixed(1));
    });
    if (pts.length > 0) parts.push(svg('polyline', {class: 'depth', points: pts.join(' ')}));
    chart.replaceChildren(...parts);

    const lastMinute = samples.slice(-Math.round(60 / a.interval_seconds)).reduce((n, s) => n + s.processed, 0);
    const latest = depths.length ? depths[depths.length - 1].pending : null;
    $('chart-summary').textContent = 'Last minute: ' + lastMinute + ' file' + (lastMinute === 1 ? '' : 's') +
      ' processed; peak ' + maxN + ' per ' + a.interval_seconds + ' s' +
      (latest === null ? '.' : '; queue depth ' + latest + ' at the last reading (peak ' + maxQ + ').');
  }

  // --- live events -----------------------------------------------------

  function resultOf(ev) {
    if (ev.type !== 'processed') return ev.type;
    if (ev.result) return ev.result;
    if (ev.error) return 'failed';
    if (ev.skipped) return 'skipped';
    return ev.written ? 'written' : 'unchanged';
  }

  function addEvent(ev) {
    const result = resultOf(ev);
    const rules = ev.rule ? [ev.rule] : (ev.rules || []);
    let detail = rules.join(', ');
    if (ev.type === 'event') detail = ev.message || '';
    const extra = [ev.error, ev.skipped && ev.type === 'processed' ? 'skipped: ' + ev.skipped : '', ev.type !== 'event' ? ev.message : ''].filter(Boolean).join('; ');
    const dur = typeof ev.duration_ms === 'number' ? (ev.duration_ms < 10 ? ev.duration_ms.toFixed(1) : Math.round(ev.duration_ms)) + ' ms' : '';
    const row = el('tr', {dataset: {type: ev.type, path: ev.path || '', result, arrived: String(Date.now())}},
      el('td', {}, when(ev.time)),
      el('td', {className: 'path'}, pathText(ev.path || '')),
      el('td', {className: 'rules'}, detail, extra ? el('div', {className: 'meta'}, extra) : null),
      el('td', {}, el('span', {className: 'result ' + result}, result)),
      el('td', {className: 'num'}, dur));
    const body = $('events').tBodies[0];
    body.prepend(row);
    while (body.rows.length > MAX_EVENTS) body.deleteRow(-1);
    $('events-empty').hidden = true;

    switch (ev.type) {
      case 'processed':
        if (ev.written) soonHistory();
        if (result === 'failed') soonStatus();
        soonActivity();
        break;
      case 'removed':
        soonActivity();
        break;
      case 'dead-letter': case 'dead-letter-cleared': case 'pause': case 'resume': case 'breaker': case 'ready': case 'reload': case 'loop':
        soonStatus();
        break;
    }
  }

  let stream = null;
  function connect() {
    stream = new EventSource('/api/v1/events');
    stream.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      addEvent(ev);
    };
    stream.onopen = () => { refreshAll(); };
    stream.onerror = () => {
      const s = $('state');
      s.textContent = 'Disconnected: reconnecting…';
      s.className = 'state down';
    };
  }

  // --- history ---------------------------------------------------------

  async function refreshHistory() {
    const list = await api('GET', '/api/v1/history?limit=' + HISTORY_LIMIT);
    keepFocus(() => renderHistory(list || []));
  }

  function renderHistory(list) {
    const ol = $('writes');
    ol.replaceChildren(...list.map((e) => {
      const id = e.id;
      const path = e.path || '';
      const rule = e.rule || '';
      const via = e.via;
      const undoes = e.undoes;
      const created = !e.before_hash;
      const removed = !e.after_hash;
      const diffID = 'diff-' + id;
      const toggle = el('button', {type: 'button', className: 'secondary diff-toggle', dataset: {key: 'diff-' + id},
        'aria-expanded': page.open.has(id) ? 'true' : 'false', 'aria-controls': diffID,
        'aria-label': 'Diff of write ' + id + ' (' + path + ')'}, 'Diff');
      const undo = el('button', {type: 'button', className: 'undo needs-login', disabled: !page.loggedIn, dataset: {key: 'undo-' + id},
        'aria-label': 'Undo write ' + id + ' (' + path + ')', onclick: () => undoWrite(id, path, false)}, 'Undo');
      const box = el('div', {id: diffID, hidden: !page.open.has(id)});
      toggle.onclick = () => toggleDiff(id, toggle, box);
      if (page.open.has(id)) showDiff(id, box);
      let what = rule === 'undo' ? 'undo of #' + undoes : 'by ' + rule;
      if (via) what += ' via ' + via;
      if (created) what += ' · created';
      if (removed) what += ' · removed';
      return el('li', {dataset: {id: String(id), path}},
        el('div', {className: 'head'},
          el('span', {className: 'path'}, pathText(path)),
          el('span', {className: 'meta'}, '#' + id + ' · ' + what + ' · ' + when(e.time)),
          el('span', {className: 'buttons'}, toggle, undo)),
        box);
    }));
    $('history-empty').hidden = list.length > 0;
  }

  async function toggleDiff(id, toggle, box) {
    const open = !page.open.has(id);
    toggle.setAttribute('aria-expanded', String(open));
    box.hidden = !open;
    if (open) {
      page.open.add(id);
      await showDiff(id, box);
    } else {
      page.open.delete(id);
    }
  }

  async function showDiff(id, box) {
    let d = page.diffs.get(id);
    if (!d) {
      box.replaceChildren(el('p', {className: 'note'}, 'Loading…'));
      try {
        d = await api('GET', '/api/v1/history/' + id + '/diff');
      } catch (e) {
        box.replaceChildren(el('p', {className: 'note'}, 'No diff: ' + e.message));
        return;
      }
      page.diffs.set(id, d);
    }
    const parts = [];
    if (d.note) parts.push(el('p', {className: 'note'}, d.note));
    if (d.diff) {
      const pre = el('pre', {className: 'diff', tabIndex: 0, 'aria-label': 'Diff of write ' + id});
      for (const line of d.diff.split('\n')) {
        if (line === '') continue;
        let cls = '';
        if (line.startsWith('@@')) cls = 'hunk';
        else if (line.startsWith('+') && !line.startsWith('+++')) cls = 'add';
        else if (line.startsWith('-') && !line.startsWith('---')) cls = 'del';
        pre.append(el('span', {className: cls}, line + '\n'));
      }
      parts.push(pre);
    }
    box.replaceChildren(...parts);
  }

  async function undoWrite(id, path, force) {
    try {
      const e = await api('POST', '/api/v1/undo/' + id + (force ? '?force=1' : ''));
      notice('Undid write #' + id + ': ' + path + ' has its content from before it again (this is write #' + e.id + ', which can be undone too).', 'ok');
    } catch (e) {
      if (e.status === 409 && !force) {
        notice('Undo of #' + id + ' refused: ' + e.message, 'bad', {label: 'Undo anyway', run: () => undoWrite(id, path, true)});
      } else {
        failed('Undo')(e);
      }
    }
    refreshHistory().catch(failed('History'));
  }

  // --- start -----------------------------------------------------------

  const soonStatus = debounce(() => refreshStatus().catch(failed('Status')), 200);
  const soonHistory = debounce(() => refreshHistory().catch(failed('History')), 200);
  const soonActivity = debounce(() => refreshActivity().catch(failed('Activity')), 1000);

  async function refreshAll() {
    try {
      await refreshSession();
      await Promise.all([refreshStatus(), refreshActivity(), refreshHistory()]);
      if ($('notice').classList.contains('bad')) $('notice').hidden = true;
    } catch (e) {
      failed('Loading')(e);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('pause').addEventListener('click', togglePause);
    $('logout').addEventListener('click', async () => {
      await api('POST', '/api/v1/logout').catch(failed('Log out'));
      await refreshSession().catch(failed('Session'));
      refreshHistory().catch(failed('History'));
      refreshStatus().catch(failed('Status'));
    });
    refreshAll();
    connect();
    setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      refreshStatus().catch(failed('Status'));
      refreshActivity().catch(failed('Activity'));
    }, REFRESH_MS);
  });
})();
