// End-to-end check of the QC page in headless Chromium, driven over the W3C
// WebDriver protocol (Debian's chromium-driver) with Node's built-in fetch:
// no npm package, no network, no browser download.
//
// usage: node qc_page_check.js PAGE.html WORKDIR EXPECT.json
// EXPECT.json: {"subjects": [{"name": ..., "images": N, "verdict": ... | null, "renders": [FILE...] (optional)}], "port": P}
// Exits 0 when every check passes, 1 with a message for the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { openSession, waitFor, sleep, checker } = require('./webdriver.js');

const [, , pagePath, workDir, expectPath] = process.argv;
const expect = JSON.parse(fs.readFileSync(expectPath, 'utf8'));
const downloads = path.join(workDir, 'downloads');
fs.mkdirSync(downloads, { recursive: true });
const c = checker();
const check = c.check;

// Minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF.
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', i = 0, quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    field += c; i++;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

(async () => {
  const session = await openSession(expect.port, workDir, downloads);
  const { wd, S, js, keys } = session;
  const current = () => js('return document.body.dataset.current;');
  try {
    await session.open(pagePath);

    // 1. Every image is decoded (naturalWidth > 0), and each subject has its own.
    await waitFor(() => js('return [].every.call(document.images, i => i.complete);'), 'images');
    const imgs = await js('return [].map.call(document.images, i => [i.closest("section").dataset.name, i.naturalWidth, i.naturalHeight, i.alt]);');
    const wantImages = expect.subjects.reduce((a, s) => a + s.images, 0);
    check(imgs.length === wantImages, `${imgs.length} images in the page, expected ${wantImages}`);
    check(imgs.every((i) => i[1] > 0 && i[2] > 0), 'every image loads (naturalWidth > 0): ' +
      imgs.map((i) => `${i[0]} ${i[1]}x${i[2]}`).join(', '));
    for (const s of expect.subjects) {
      const n = imgs.filter((i) => i[0] === s.name).length;
      check(n === s.images, `subject "${s.name}": ${n} images, expected ${s.images}`);
      // renders (optional): exactly these files, in order, under this subject
      const shown = imgs.filter((i) => i[0] === s.name).map((i) => i[3]);
      if (s.renders)
        check(JSON.stringify(shown) === JSON.stringify(s.renders),
          `subject "${s.name}" shows ${JSON.stringify(shown)}, expected ${JSON.stringify(s.renders)}`);
    }
    // No external resource of any kind.
    const ext = await js('return [].filter.call(document.querySelectorAll("[src],[href]"), e => !/^(data:|blob:|#|$)/.test(e.getAttribute("src") || e.getAttribute("href") || "")).length;');
    check(ext === 0, `no external resources (found ${ext})`);

    // 2. Key figures from the reports.
    const names = await js('return [].map.call(document.querySelectorAll("section.subject"), s => s.dataset.name);');
    check(JSON.stringify(names) === JSON.stringify(expect.subjects.map((s) => s.name)),
      `subjects in order: ${JSON.stringify(names)}`);
    check(new Set(names).size === names.length, `subject names are distinct (decisions are kept by name): ${JSON.stringify(names)}`);
    const verdicts = await js('return [].map.call(document.querySelectorAll("section.subject"), s => { const v = s.querySelector("td.verdict"); return v ? v.textContent : null; });');
    for (let i = 0; i < names.length; i++)
      check(verdicts[i] === expect.subjects[i].verdict, `"${names[i]}" verdict shown: ${verdicts[i]}, expected ${expect.subjects[i].verdict}`);
    // the page's own scripts: page.js, and NiiVue and view3d.js when it has 3D views
    const injected = await js('return document.querySelectorAll("b, script:not(.report):not(.view3d-data)").length;');
    const own = (await js('return document.querySelectorAll("script.view3d-data").length;')) ? 3 : 1;
    check(injected === own, `report text never becomes markup (${injected} script/b elements, expected the page's ${own} scripts)`);

    // 3. Keyboard navigation: j / k and the arrows, clamped at both ends.
    check(await current() === '0', 'starts at the first subject');
    await keys('j');
    check(await current() === '1', 'j moves to the next subject');
    await keys('k');
    check(await current() === '0', 'k moves back');
    await keys('\uE015'); // ArrowDown
    check(await current() === '1', 'ArrowDown moves to the next subject');
    await keys('\uE013'); // ArrowUp
    check(await current() === '0', 'ArrowUp moves back');
    await keys('k');
    check(await current() === '0', 'k at the first subject stays');
    const visible = await js('return [].filter.call(document.querySelectorAll("section.subject"), s => !s.hidden).map(s => s.dataset.name);');
    check(visible.length === 1 && visible[0] === names[0], `only the current subject is shown (${visible})`);

    // 4. Decisions: approve the first with a note (typed into the textarea,
    //    with a comma, quotes and a newline to exercise CSV quoting), reject
    //    the second by key, leave the rest pending.
    const note0 = 'face gone, "clean" cut\nchecked ears';
    const ta = await wd('POST', `${S}/element`, { using: 'css selector', value: '#subject-0 textarea.note' });
    const taId = Object.values(ta)[0];
    await wd('POST', `${S}/element/${taId}/value`, { text: note0 });
    await keys('\uE00C'); // Escape leaves the note
    await keys('a');
    await keys('j', 'r');
    const states = await js('return [].map.call(document.querySelectorAll("section.subject .state"), s => s.textContent);');
    check(states[0] === 'approved' && states[1] === 'rejected', `states after a / r: ${states}`);
    check(states.slice(2).every((s) => s === 'pending'), 'the others stay pending');

    // 5. Export: both downloads, parsed and compared.
    await js('document.getElementById("export-csv").click(); document.getElementById("export-json").click();');
    const csvPath = path.join(downloads, 'qc-decisions.csv');
    const jsonPath = path.join(downloads, 'qc-decisions.json');
    await waitFor(() => fs.existsSync(csvPath) && fs.existsSync(jsonPath), 'the CSV and JSON downloads', 15000);
    await sleep(300);
    const rows = parseCsv(fs.readFileSync(csvPath, 'utf8'));
    check(rows.length === names.length + 1, `CSV has a header and ${names.length} rows (got ${rows.length})`);
    check(rows[0].join(',') === 'subject,folder,decision,note,verdict,trust,voxels_changed,decided_at', `CSV header: ${rows[0]}`);
    // decided_at: when the reviewer clicked (faceless qc apply records it), none while pending
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    check(iso.test(rows[1][7]) && iso.test(rows[2][7]) && Math.abs(Date.parse(rows[1][7]) - Date.now()) < 600000,
      `CSV decided_at of the decided rows: ${rows[1][7]}, ${rows[2][7]}`);
    check(rows.slice(3).every((r) => r[7] === ''), 'CSV decided_at empty while pending');
    check(rows[1][0] === names[0] && rows[1][2] === 'approved' && rows[1][3] === note0,
      `CSV row 1: ${JSON.stringify(rows[1])}`);
    check(rows[2][0] === names[1] && rows[2][2] === 'rejected', `CSV row 2: ${JSON.stringify(rows[2])}`);
    check(rows.slice(3).every((r) => r[2] === 'pending'), 'CSV: the rest pending');
    const exported = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
    const d = exported.decisions;
    check(Array.isArray(d) && d.length === names.length, `JSON has ${names.length} decisions`);
    check(d[0].subject === names[0] && d[0].decision === 'approved' && d[0].note === note0, `JSON decision 1: ${JSON.stringify(d[0])}`);
    check(d[1].decision === 'rejected', `JSON decision 2: ${JSON.stringify(d[1])}`);
    for (let i = 0; i < names.length; i++) {
      const e = expect.subjects[i];
      if (e.trust !== undefined) check(d[i].trust === e.trust, `JSON trust of "${names[i]}": ${d[i].trust}, expected ${e.trust}`);
      if (e.voxels_changed !== undefined)
        check(d[i].voxels_changed === e.voxels_changed, `JSON voxels_changed of "${names[i]}": ${d[i].voxels_changed}, expected ${e.voxels_changed}`);
    }

    // 6. Decisions survive a reload (localStorage).
    await wd('POST', `${S}/refresh`, {});
    await waitFor(() => js('return document.readyState === "complete";'), 'the reload');
    const after = await js('return [].map.call(document.querySelectorAll("section.subject .state"), s => s.textContent);');
    check(after[0] === 'approved' && after[1] === 'rejected', `decisions kept across a reload: ${after}`);
    const noteBack = await js('return document.querySelector("#subject-0 textarea.note").value;');
    check(noteBack === note0, 'the note is kept across a reload');
  } catch (e) {
    check(false, e.message);
  } finally {
    await session.close();
  }
  console.log(c.failures ? `${c.failures} checks failed` : 'all checks passed');
  process.exit(c.failures ? 1 : 0);
})();
