// The QC page's review script (qc_page.c inlines it). Keys: j / ArrowDown /
// ArrowRight next, k / ArrowUp / ArrowLeft previous, a approve, r reject,
// n note (Escape leaves the note). Decisions persist in localStorage (when
// the browser allows it), start from those `faceless qc apply` recorded in
// the reports, and export as CSV (RFC 4180) and JSON through Blob downloads:
// the files `faceless qc apply` reads, columns found by name.
// Report text only ever enters the page through textContent.
(function () {
  'use strict';
  var secs = [].slice.call(document.querySelectorAll('section.subject'));
  var list = document.getElementById('list'), prog = document.getElementById('progress');
  var cur = 0;
  var key = 'faceless-qc:' + document.title + ':' + secs.map(function (s) { return s.dataset.name; }).join('|');
  var dec = {};
  try { dec = JSON.parse(localStorage.getItem(key) || '{}') || {}; } catch (e) { dec = {}; }
  function save() { try { localStorage.setItem(key, JSON.stringify(dec)); } catch (e) { /* private mode */ } }

  function get(o, p) {
    var parts = p.split('.');
    for (var i = 0; i < parts.length; i++) {
      if (o === null || typeof o !== 'object') return undefined;
      o = o[parts[i]];
    }
    return o;
  }
  function pick(o, ps) {
    for (var i = 0; i < ps.length; i++) {
      var v = get(o, ps[i]);
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  }
  function fmt(v) {
    if (v === undefined) return '';
    if (typeof v === 'number') return String(Math.round(v * 1e4) / 1e4);
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    return String(v);
  }

  // Key figures from a report, read defensively: docs/report.md names, with
  // the flat names of older or other writers as fallbacks.
  function figures(s) {
    var el = s.querySelector('script.report'), f = { rows: [], warnings: [] };
    if (!el) { f.rows.push(['report', 'none in this folder']); return f; }
    var j;
    try { j = JSON.parse(el.textContent); } catch (e) {
      f.rows.push(['report', el.dataset.file + ': not valid JSON (' + e.message + ')']);
      f.bad = 1;
      return f;
    }
    if (j === null || typeof j !== 'object') { f.rows.push(['report', 'not a JSON object']); f.bad = 1; return f; }
    f.verdict = pick(j, ['verdict', 'result.verdict', 'status']);
    f.trust = pick(j, ['registration.trust', 'trust', 'registration.trust_measure']);
    var ims = Array.isArray(j.images) ? j.images : [], vc;
    if (ims.length && ims.every(function (im) { return typeof get(im, 'voxels_changed') === 'number'; }))
      vc = ims.reduce(function (a, im) { return a + im.voxels_changed; }, 0);
    if (vc === undefined) vc = pick(j, ['voxels_changed', 'mask.voxels_changed', 'mask.masked_voxels']);
    f.voxels = vc;
    var rows = [['verdict', f.verdict], ['trust', f.trust], ['trusted', pick(j, ['registration.trusted', 'trusted'])],
      ['voxels changed', vc], ['mask voxels', pick(j, ['mask.masked_voxels', 'mask.face_ear_voxels'])],
      ['exit code', pick(j, ['exit_code'])], ['error', pick(j, ['error'])],
      ['input', pick(j, ['images.0.input', 'input'])], ['output', pick(j, ['images.0.output', 'output'])],
      ['template', pick(j, ['template.name', 'template'])], ['mode', pick(j, ['parameters.mode', 'mode'])],
      ['faceless', pick(j, ['tool_version'])]];
    var t = pick(j, ['timings_seconds', 'timings']);
    if (t && typeof t === 'object') {
      var parts = [];
      Object.keys(t).forEach(function (k) { if (k !== 'total' && typeof t[k] === 'number') parts.push(k + ' ' + fmt(t[k]) + ' s'); });
      rows.push(['time total', typeof t.total === 'number' ? fmt(t.total) + ' s' : undefined]);
      if (parts.length) rows.push(['timings', parts.join(', ')]);
    }
    var q = j.qc_review; // recorded by `faceless qc apply`
    if (q && typeof q === 'object' && (q.decision === 'approved' || q.decision === 'rejected')) {
      f.recorded = { decision: q.decision, note: typeof q.note === 'string' ? q.note : '',
        decided_at: typeof q.decided_at === 'string' ? q.decided_at : null };
      rows.push(['qc apply', q.decision + (q.recorded_at ? ' (recorded ' + q.recorded_at + ')' : '')]);
    }
    rows.forEach(function (r) { if (r[1] !== undefined && r[1] !== '' && typeof r[1] !== 'object') f.rows.push([r[0], fmt(r[1])]); });
    if (Array.isArray(j.warnings)) f.warnings = j.warnings.map(String);
    return f;
  }

  function state(i) { var d = dec[secs[i].dataset.name]; return d && d.decision ? d.decision : 'pending'; }
  function note(i) { var d = dec[secs[i].dataset.name]; return d && typeof d.note === 'string' ? d.note : ''; }
  function decidedAt(i) { var d = dec[secs[i].dataset.name]; return d && d.decided_at ? d.decided_at : null; }

  var figs = secs.map(function (s, i) {
    var f = figures(s), tb = s.querySelector('table.figures');
    if (f.recorded && !dec[s.dataset.name]) dec[s.dataset.name] = f.recorded;
    f.rows.forEach(function (r) {
      var tr = document.createElement('tr'), a = document.createElement('td'), b = document.createElement('td');
      a.textContent = r[0];
      b.textContent = r[1];
      if (r[0] === 'verdict') b.className = 'verdict v-' + r[1].toLowerCase();
      tr.appendChild(a);
      tr.appendChild(b);
      tb.appendChild(tr);
    });
    var w = s.querySelector('.warnings');
    f.warnings.forEach(function (x) { var d = document.createElement('div'); d.textContent = 'warning: ' + x; w.appendChild(d); });
    var ta = s.querySelector('textarea.note');
    ta.value = note(i);
    ta.addEventListener('input', function () {
      var n = s.dataset.name;
      dec[n] = dec[n] || { decision: 'pending' };
      dec[n].note = ta.value;
      save();
    });
    s.querySelector('button.approve').addEventListener('click', function () { decide(i, 'approved'); });
    s.querySelector('button.reject').addEventListener('click', function () { decide(i, 'rejected'); });
    var nb = document.createElement('button'), nm = document.createElement('span'), bd = document.createElement('span');
    nm.textContent = s.dataset.name;
    bd.className = 'badge';
    nb.appendChild(nm);
    nb.appendChild(bd);
    nb.addEventListener('click', function () { show(i); });
    list.appendChild(nb);
    return f;
  });

  function refresh() {
    var a = 0, r = 0;
    secs.forEach(function (s, i) {
      var st = state(i), bd = list.children[i].lastChild;
      bd.textContent = st === 'pending' ? '' : st === 'approved' ? '\u2713' : '\u2717';
      bd.className = 'badge s-' + st;
      var sp = s.querySelector('.state');
      sp.textContent = st;
      sp.className = 'state s-' + st;
      if (st === 'approved') a++;
      if (st === 'rejected') r++;
    });
    prog.textContent = (secs.length ? (cur + 1) + ' of ' + secs.length : 'no subjects') + ' \u00b7 ' + a +
      ' approved \u00b7 ' + r + ' rejected \u00b7 ' + (secs.length - a - r) + ' pending';
  }
  function show(i) {
    if (!secs.length) return;
    cur = Math.max(0, Math.min(secs.length - 1, i));
    secs.forEach(function (s, k) { s.hidden = k !== cur; list.children[k].className = k === cur ? 'current' : ''; });
    document.body.dataset.current = String(cur);
    refresh();
    window.scrollTo(0, 0);
    // the 3D view (view3d.js, when the page has one) follows the subject shown
    document.dispatchEvent(new CustomEvent('faceless-show', { detail: { section: secs[cur] } }));
  }
  function decide(i, st) {
    var n = secs[i].dataset.name;
    dec[n] = { decision: st, note: secs[i].querySelector('textarea.note').value, decided_at: new Date().toISOString() };
    save();
    refresh();
  }

  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'INPUT')) { if (e.key === 'Escape') t.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var k = e.key;
    if (k === 'j' || k === 'ArrowDown' || k === 'ArrowRight') show(cur + 1);
    else if (k === 'k' || k === 'ArrowUp' || k === 'ArrowLeft') show(cur - 1);
    else if (k === 'a') decide(cur, 'approved');
    else if (k === 'r') decide(cur, 'rejected');
    else if (k === 'n') secs[cur].querySelector('textarea.note').focus();
    else return;
    e.preventDefault();
  });

  function rows() {
    return secs.map(function (s, i) {
      var f = figs[i];
      return { subject: s.dataset.name, folder: s.dataset.folder, decision: state(i), note: note(i),
        verdict: f.verdict === undefined ? null : f.verdict, trust: f.trust === undefined ? null : f.trust,
        voxels_changed: f.voxels === undefined ? null : f.voxels, decided_at: decidedAt(i) };
    });
  }
  function csvq(v) {
    v = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  function download(name, type, text) {
    var b = new Blob([text], { type: type }), a = document.createElement('a');
    a.href = URL.createObjectURL(b);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 2000);
  }
  var cols = ['subject', 'folder', 'decision', 'note', 'verdict', 'trust', 'voxels_changed', 'decided_at'];
  document.getElementById('export-csv').addEventListener('click', function () {
    var out = [cols.join(',')];
    rows().forEach(function (r) { out.push(cols.map(function (c) { return csvq(r[c]); }).join(',')); });
    download('qc-decisions.csv', 'text/csv', out.join('\r\n') + '\r\n');
  });
  document.getElementById('export-json').addEventListener('click', function () {
    download('qc-decisions.json', 'application/json',
      JSON.stringify({ generator: 'faceless report', title: document.title, decisions: rows() }, null, 2) + '\n');
  });
  show(0);
})();
