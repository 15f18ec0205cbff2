// Scribe dashboard. Plain JavaScript, no dependencies, nothing fetched but
// the daemon's own API. Every piece of data goes into the page as text
// (textContent, text nodes, attributes), never as markup.
'use strict';

(() => {
  const MAX_EVENTS = 200;    // rows kept in the live stream
  const HISTORY_LIMIT = 50;  // writes listed
  const FINDINGS_LIMIT = 200; // findings listed
  const REFRESH_MS = 5000;   // status and chart, while the page is visible

  const $ = (id) => document.getElementById(id);
  const page = {
    loggedIn: false,
    paused: false,
    status: null,
    counts: new Map(), // rule id → {applied, failed}
    diffs: new Map(),  // write id → Diff document
    open: new Set(),   // write ids whose diff is shown
    roots: [],         // {name, dir} of each root, from the status
    history: [],       // the writes listed
    historyShown: null, // their JSON when the list was last built
    findings: null,    // the findings page listed
    explained: null,   // {root, path, opener} of the open explanation
    eventSeq: 0,       // numbers the live stream's rows
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

  // --- roots and files -------------------------------------------------

  // rootOf finds a root by its directory (history, findings, events) or by
  // its name as configured (dead letters).
  function rootOf(key) {
    return page.roots.find((r) => r.dir === key || r.name === key);
  }

  // rootLabel is the name of a file's root, shown only when there are
  // several roots.
  function rootLabel(key) {
    if (page.roots.length < 2 || !key) return null;
    const r = rootOf(key);
    return r ? r.name : key;
  }

  // fileText is a file's name, after its root's when there are several.
  function fileText(root, path, suffix) {
    const label = rootLabel(root);
    const f = document.createDocumentFragment();
    if (label) f.append(el('span', {className: 'root'}, label));
    f.append(pathText(path));
    if (suffix) f.append(suffix);
    return f;
  }

  // fileButton is a file's name as a button that opens its explanation;
  // key names it for keepFocus.
  function fileButton(root, path, key, suffix) {
    const b = el('button', {type: 'button', className: 'file', dataset: {key, root: root || '', path},
      title: 'Explain ' + path + ': why each rule does or does not apply'}, fileText(root, path, suffix));
    b.onclick = () => openExplain(root, path, b);
    return b;
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

  // coalesce runs fn once, wait ms after the first of a burst of calls: at
  // most once per wait while events keep coming (a catch-up sends thousands),
  // and never later than wait after the last one.
  function coalesce(fn, wait) {
    let t = null;
    return () => {
      if (t === null) t = setTimeout(() => { t = null; fn(); }, wait);
    };
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
    const roots = (st.roots || []).map((r) => ({name: r.name, dir: r.dir}));
    if (JSON.stringify(roots) !== JSON.stringify(page.roots)) {
      page.roots = roots;
      keepFocus(() => renderHistory(page.history));
      if (page.findings) keepFocus(() => renderFindings(page.findings));
    }
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
        // A dead letter names its root as configured.
        const root = rootOf(ev.root);
        const dir = root ? root.dir : ev.root;
        return el('tr', {dataset: {id: String(d.id), path: ev.path || ''}},
          el('td', {className: 'path'}, ev.path && !ev.path_base64 ? fileButton(dir, ev.path, 'file-d-' + d.id) : fileText(dir, ev.path || '?')),
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
      el('td', {className: 'path'}, ev.path && ev.type !== 'removed' && !ev.path_base64 ? fileButton(ev.root, ev.path, 'file-e-' + (++page.eventSeq)) : fileText(ev.root, ev.path || '')),
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
        soonFindings();
        break;
      case 'removed':
        soonActivity();
        soonFindings();
        break;
      case 'reload':
        soonStatus();
        soonFindings();
        break;
      case 'dead-letter': case 'dead-letter-cleared': case 'pause': case 'resume': case 'breaker': case 'ready': case 'loop':
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
    const list = (await api('GET', '/api/v1/history?limit=' + HISTORY_LIMIT)) || [];
    const shown = JSON.stringify(list);
    page.history = list;
    // The same writes as shown: the list stays as it is. Rebuilt, it would
    // lose a click whose press and release fell on either side of the
    // rebuild, and fetch every open diff again.
    if (shown === page.historyShown) return;
    page.historyShown = shown;
    keepFocus(() => renderHistory(page.history));
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
          el('span', {className: 'path'}, e.path_base64 ? fileText(e.root, path) : fileButton(e.root, path, 'file-h-' + id)),
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

  // --- findings --------------------------------------------------------

  async function refreshFindings() {
    const p = await api('GET', '/api/v1/findings?limit=' + FINDINGS_LIMIT);
    page.findings = p || {};
    keepFocus(() => renderFindings(page.findings));
  }

  // place is a finding's ":line:column" (or ":line", or nothing).
  function place(f) {
    if (!(f.line > 0)) return '';
    return ':' + f.line + (f.column > 0 ? ':' + f.column : '');
  }

  function renderFindings(p) {
    const list = p.findings || [];
    $('finding-table').tBodies[0].replaceChildren(...list.map((f) => {
      let msg = f.message || '';
      if (f.suggestion) msg += ' (did you mean ' + f.suggestion + '?)';
      const at = place(f);
      return el('tr', {dataset: {root: f.root || '', path: f.path || '', rule: f.rule || '', severity: f.severity || ''}},
        el('td', {className: 'path'}, f.path ? fileButton(f.root, f.path, 'file-f-' + f.root + '/' + f.path + at + '/' + f.rule, at ? el('span', {className: 'place'}, at) : null) : ''),
        el('td', {}, el('code', {}, f.rule || ''), f.action ? el('div', {className: 'meta'}, f.action) : null),
        el('td', {}, el('span', {className: 'severity ' + (f.severity || '')}, f.severity || '')),
        el('td', {className: 'message'}, msg));
    }));
    const total = p.total || 0, files = p.files || 0;
    let summary = '';
    if (total > 0) {
      summary = total + ' finding' + (total === 1 ? '' : 's') + ' in ' + files + ' file' + (files === 1 ? '' : 's');
      if (total > list.length) summary += '; the first ' + list.length + ' are listed (`scribe status --findings` lists them all)';
      summary += '.';
    }
    $('findings-summary').textContent = summary;
    $('findings-empty').hidden = total > 0;
  }

  // --- explain ---------------------------------------------------------

  // openExplain shows what the rules do with a file and why, in a modal
  // dialog; closing it (Escape, the Close button) returns the focus to the
  // file the user came from.
  async function openExplain(root, path, opener) {
    page.explained = {root, path, opener};
    $('explain-title').replaceChildren('Explain ', el('span', {className: 'path'}, fileText(root, path)));
    $('explain-origin').value = 'user';
    const d = $('explain');
    if (!d.open) d.showModal();
    $('explain-text').focus();
    await explainAgain();
  }

  function explainClosed() {
    const x = page.explained;
    page.explained = null;
    explainSeq++; // an answer still on its way is dropped
    if (!x || !x.opener) return;
    let back = x.opener;
    if (!back.isConnected) back = document.querySelector('[data-key="' + CSS.escape(back.dataset.key) + '"]');
    if (back) back.focus();
  }

  let explainSeq = 0;
  const NEEDS_LOGIN = 'Explaining a file runs its rules (commands and plugins too), so it needs a login: ';
  async function explainAgain() {
    const x = page.explained;
    if (!x) return;
    const seq = ++explainSeq;
    const out = $('explain-text');
    out.setAttribute('aria-busy', 'true');
    out.replaceChildren(el('span', {className: 'note'}, 'Running the rules on ' + x.path + '…'));
    const r = rootOf(x.root);
    const target = r ? r.dir.replace(/\/+$/, '') + '/' + x.path : x.path;
    let lines;
    if (!page.loggedIn) {
      // Not asked: the daemon would refuse, and the browser log the refusal.
      lines = [[NEEDS_LOGIN + 'open the link `scribe watch` printed, or run `scribe dashboard` for a new one.', 'warn']];
    } else {
      try {
        const ex = await api('GET', '/api/v1/explain?' + new URLSearchParams({path: target, origin: $('explain-origin').value}));
        lines = explainLines(ex);
      } catch (e) {
        lines = [[(e.status === 401 ? NEEDS_LOGIN : 'No explanation: ') + e.message, 'bad']];
      }
    }
    if (seq !== explainSeq) return; // a newer request, or the dialog closed
    out.replaceChildren(...lines.map(([text, cls]) => el('span', {className: cls}, text + '\n')));
    out.removeAttribute('aria-busy');
  }

  // displayName is a file as the explanation names it: relative to its
  // root, under the root's name when there are several (as `scribe
  // explain` prints it from the configuration's folder).
  function displayName(root, rel) {
    const label = rootLabel(root);
    if (!label || label === '.') return rel;
    return label.replace(/\/+$/, '') + '/' + rel;
  }

  // explainLines is an explanation in the lines and words of `scribe
  // explain` (printExplain in internal/cli/explain.go), each with a class
  // for its colour. A browser test holds the two to the same text.
  function explainLines(ex) {
    const out = [];
    const put = (text, cls) => out.push([text, cls || '']);
    const name = displayName(ex.root, ex.path);
    put(escName(name), 'name');
    if (!ex.document) {
      put('  not a document: ' + escName(exclusionText(ex.excluded || {})), 'warn');
      put('  no rule runs on it (in the daemon and whole-tree runs; `scribe run ' + escName(name) + '` names it, and runs the rules that match)');
    }
    if (ex.skipped) put('  not read: skipped (' + escName(ex.skipped) + ')', 'warn');
    if (ex.error) put('  not read: ' + escName(ex.error), 'bad');
    if (ex.document) {
      let l = '  origin: ' + ex.assumed_origin + ' (assumed: the Origin menu chooses)';
      if (ex.origin && ex.origin !== ex.assumed_origin) {
        l += '; the rules see ' + ex.origin;
        if (ex.origin === 'vcs') l += ': the content is what git has';
      }
      put(l);
    }
    if (ex.git) {
      const g = ex.git;
      let l = g.committed ? 'the content is its committed version' : g.tracked ? 'tracked, with changes not committed' : 'not tracked';
      if (g.during_op) l += '; it last changed while a git operation ran';
      if (ex.left_alone) l += '; writing rules leave it alone unless they set rewrite_committed';
      put('  git: ' + l);
    }
    if (ex.undone && ex.undone.length) {
      put('  undone: you undid the write of ' + ex.undone.join(', ') + ' to this content; they leave it alone until you edit it');
    }
    historyLines(ex.history || [], put);
    for (const r of ex.rules || []) {
      put('');
      ruleLines(ex, r, put);
    }
    put('');
    let res = 'no change';
    if (!ex.document || ex.skipped || ex.error) res = 'nothing runs';
    else if (ex.changed) res = 'would change the file (' + (ex.rules || []).filter((r) => r.changed && r.outcome === 'applied').map((r) => r.id).join(', ') + ')';
    // Info findings are left out, as `scribe explain` does without -v.
    const shown = (ex.findings || []).filter((f) => f.severity !== 'info');
    put('result: ' + res + ', ' + shown.length + ' ' + (shown.length === 1 ? 'finding' : 'findings'), 'result');
    for (const f of shown) put(escName(findingText(displayName(ex.root, f.path), f)), 'severity ' + f.severity);
    for (const w of ex.writes || []) {
      const other = displayName(ex.root, w.path);
      if (w.renamed_to) {
        put('would rename ' + escName(other) + ' → ' + escName(displayName(ex.root, w.renamed_to)) + ' (by ' + w.via + ')');
        continue;
      }
      const [add, del] = diffStat(w.diff || '');
      put('would write ' + escName(other) + ' (by ' + w.via + '): +' + add + ' -' + del + ' lines');
    }
    for (const e of ex.events || []) {
      const data = e.data && Object.keys(e.data).length ? ',"data":' + goJSON(e.data) : '';
      put('would publish {"type":' + goJSON(e.type) + ',"path":' + goJSON(e.path || '') + data + '}');
    }
    return out;
  }

  function historyLines(hist, put) {
    if (hist.length === 0) {
      put('  history: the journal has no write of this file by Scribe');
      return;
    }
    hist.forEach((e, i) => {
      let by = e.run ? '`scribe run` ' + e.run : 'the daemon';
      let rule = (e.rule || '').includes(',') ? 'rules ' + e.rule.split(',').join(', ') : 'rule ' + e.rule;
      if (e.rule === 'undo') {
        rule = 'an undo of write ' + e.undoes;
        by = '`scribe undo`';
      } else if (e.via) {
        rule += ' (' + e.via + ')';
      }
      put((i === 0 ? '  history:' : '          ') + ' write ' + e.id + ' at ' + stamp(e.time) + ', ' + rule + ', by ' + by);
    });
  }

  function ruleLines(ex, r, put) {
    const cls = {applied: 'applies', failed: 'bad', left_committed: 'warn', undone: 'warn'}[r.outcome] || 'not-applied';
    put('rule ' + r.id + ': ' + ruleHeadline(r), 'rule ' + cls);
    let files = (r.files || []).join(', ');
    if (r.files_from_include) files += " (the configuration's include)";
    const pm = r.path || {};
    if (pm.excluded) put('  files: ' + files + '; exclude: ' + pm.glob + ' matches');
    else if (pm.matched) put('  files: ' + files + '; ' + pm.glob + ' matches');
    else put('  files: ' + files + '; none matches');
    const m = r.match;
    if (m && m.matched) {
      let l = '  match: ' + m.pattern + ' matches ' + goQuote(m.text || '') + ' at ' + (m.line || 0) + ':' + (m.column || 0);
      const keys = Object.keys(m.groups || {}).sort();
      if (keys.length) l += ' (' + keys.map((k) => k + '=' + goQuote(m.groups[k])).join(', ') + ')';
      put(escName(l));
    } else if (m) {
      put('  match: ' + escName(m.pattern) + ' does not match');
    }
    const c = r.condition;
    if (c) {
      put('  when: ' + escName(c.expr) + (c.error ? ' (not evaluated: see above)' : ' is ' + c.result));
      for (const i of c.inputs || []) put('    ' + i.name + ' = ' + escName(goJSON(i.value)));
    }
    if (r.applied) for (const a of r.actions || []) put('  action ' + a.name + ': ' + escName(actionLine(a)));
    if (r.changed) {
      for (const line of escText(r.diff || '').split('\n')) {
        if (line === '') continue;
        put(line, diffClass(line));
      }
    }
  }

  function ruleHeadline(r) {
    const n = (r.findings || []).length;
    switch (r.outcome) {
      case 'applied':
        return 'applies' + (r.changed ? ', changes the file' : ', no change') + (n > 0 ? ', ' + n + ' ' + (n === 1 ? 'finding' : 'findings') : '');
      case 'path_not_matched': return 'does not apply: none of its file globs matches';
      case 'path_excluded': return 'does not apply: its exclude glob ' + (r.path || {}).glob + ' matches';
      case 'not_a_document': return 'does not apply: the file is not a document (see above)';
      case 'file_skipped': return 'does not apply: the file was not read (see above)';
      case 'regex_not_matched': return 'does not apply: its regex does not match';
      case 'front_matter_invalid': return 'does not apply: its condition reads the front matter, which is invalid: ' + escName(r.error || '');
      case 'condition_false': return 'does not apply: its condition is false';
      case 'condition_error': return 'does not apply: its condition failed: ' + escName(r.error || '');
      case 'breaker_open': return 'does not apply: its circuit breaker is open after repeated failures';
      case 'failed': return 'fails: ' + escName(r.error || '') + ' (its changes and findings are dropped; the other rules run)';
      case 'left_committed': return 'runs as a check: it would change the file, but the content is its committed version and came through git or a scan (set rewrite_committed to let it)';
      case 'undone': return 'runs as a check: it would change the file, but you undid its write to this content (`scribe undo`); edit the file to let it write again';
    }
    return r.outcome;
  }

  function actionLine(a) {
    let s = 'no change';
    if (!a.ran) s = 'not run (an earlier action failed)';
    else if (a.error) s = 'failed: ' + a.error;
    else if (a.changed) s = 'changes the content';
    if (a.findings > 0) s += ', ' + a.findings + ' ' + (a.findings === 1 ? 'finding' : 'findings');
    if (a.aggregates) s += '; after each batch it also brings its own output up to date (`scribe check` shows that diff)';
    return s;
  }

  // exclusionText is scan.Exclusion's String: why a file is not a document.
  function exclusionText(x) {
    let s = x.reason;
    switch (x.reason) {
      case 'invalid': s = 'not a valid path inside the root (malformed, or deeper than a walk goes)'; break;
      case 'git': s = 'part of a .git directory, never processed'; break;
      case 'state_dir': s = 'the state directory, never processed'; break;
      case 'engine_file': s = 'a file Scribe makes itself (.scribe-*)'; break;
      case 'not_included': s = (x.dir ? 'out of reach of every include glob (' : 'matched by no include glob (') + (x.detail || '') + ')'; break;
      case 'exclude': s = 'excluded by the exclude glob ' + goQuote(x.pattern || ''); break;
      case 'ignore_file': s = 'excluded by ' + x.file + ':' + (x.line || 0) + ' (' + (x.pattern || '') + ')'; break;
      case 'directory': s = x.detail || ''; break;
    }
    return x.dir ? 'in ' + x.dir.replace(/\/+$/, '') + '/, which is ' + s : s;
  }

  // findingText is a finding as the command line prints it:
  // FILE:LINE:COL: SEVERITY: MESSAGE (did you mean X?) [RULE/ACTION].
  function findingText(name, f) {
    let s = name + place(f) + ': ' + f.severity + ': ' + f.message;
    if (f.suggestion) s += ' (did you mean ' + f.suggestion + '?)';
    if (f.rule) s += ' [' + f.rule + '/' + f.action + ']';
    else if (f.action) s += ' [' + f.action + ']';
    return s;
  }

  // diffStat counts the added and removed lines of a unified diff.
  function diffStat(diff) {
    let add = 0, del = 0, hunks = false;
    for (const line of diff.split('\n')) {
      if (line.startsWith('@@')) hunks = true;
      else if (!hunks) continue;
      else if (line.startsWith('+')) add++;
      else if (line.startsWith('-')) del++;
    }
    return [add, del];
  }

  function diffClass(line) {
    if (line.startsWith('@@')) return 'hunk';
    if (line.startsWith('+') && !line.startsWith('+++')) return 'add';
    if (line.startsWith('-') && !line.startsWith('---')) return 'del';
    return '';
  }

  // stamp is a time as the command line prints it, in local time.
  function stamp(s) {
    const d = new Date(s);
    if (isNaN(d)) return '';
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(d);
  }

  // --- Go's ways of writing text, so that the page says what the CLI says --

  const hex = (c, n) => c.toString(16).padStart(n, '0');

  // escName and escText are package escape's Name and Text: control
  // characters, bidirectional overrides and isolates become \xNN or \uNNNN,
  // so that a file cannot make its explanation read other than it is.
  // escText keeps newlines, tabs and the \r of a CRLF.
  function escapeChars(s, lines) {
    const cs = Array.from(s);
    return cs.map((ch, i) => {
      const c = ch.codePointAt(0);
      let needs;
      if (c < 0x20) needs = !(lines && (c === 10 || c === 9 || (c === 13 && cs[i + 1] === '\n')));
      else needs = c === 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f;
      if (!needs) return ch;
      return c < 0x80 ? '\\x' + hex(c, 2) : '\\u' + hex(c, 4);
    }).join('');
  }
  const escName = (s) => escapeChars(String(s), false);
  const escText = (s) => escapeChars(String(s), true);

  // goQuote is Go's %q of a string (strconv.Quote).
  function goQuote(s) {
    const named = {7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\'};
    let q = '"';
    for (const ch of s) {
      const c = ch.codePointAt(0);
      if (named[c]) q += named[c];
      else if (c < 0x20 || c === 0x7f) q += '\\x' + hex(c, 2);
      else if (c === 0x20 || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) q += ch;
      else q += c < 0x10000 ? '\\u' + hex(c, 4) : '\\U' + hex(c, 8);
    }
    return q + '"';
  }

  // goJSON is Go's json.Marshal of a decoded value: map keys sorted, and
  // <, >, & escaped.
  function goJSON(v) {
    if (Array.isArray(v)) return '[' + v.map(goJSON).join(',') + ']';
    if (v && typeof v === 'object') return '{' + Object.keys(v).sort().map((k) => goJSON(k) + ':' + goJSON(v[k])).join(',') + '}';
    return JSON.stringify(v === undefined ? null : v).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + hex(c.charCodeAt(0), 4));
  }

  // --- start -----------------------------------------------------------

  const soonStatus = coalesce(() => refreshStatus().catch(failed('Status')), 200);
  const soonHistory = coalesce(() => refreshHistory().catch(failed('History')), 200);
  const soonActivity = coalesce(() => refreshActivity().catch(failed('Activity')), 1000);
  const soonFindings = coalesce(() => refreshFindings().catch(failed('Findings')), 300);

  async function refreshAll() {
    try {
      await refreshSession();
      await Promise.all([refreshStatus(), refreshActivity(), refreshHistory(), refreshFindings()]);
      if ($('notice').classList.contains('bad')) $('notice').hidden = true;
    } catch (e) {
      failed('Loading')(e);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('pause').addEventListener('click', togglePause);
    $('explain-close').addEventListener('click', () => $('explain').close());
    $('explain-origin').addEventListener('change', explainAgain);
    $('explain-again').addEventListener('click', explainAgain);
    $('explain').addEventListener('close', explainClosed);
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
