// The QC page's 3D view in headless Chromium (software WebGL), opened from
// disk: NiiVue draws the de-faced head, a drag turns it, and the reviewer's
// decisions export as CSV for `faceless qc apply` (run by qc_3d_chromium.sh).
//
// usage: node qc_3d_check.js PAGE.html WORKDIR PORT SCREENSHOT.png
// Exits 0 when every check passes, 1 otherwise; the screenshot shows the
// page with the 3D view in sight (for a person to look at).
'use strict';
const fs = require('fs');
const path = require('path');
const { openSession, waitFor, sleep, checker } = require('./webdriver.js');

const [, , pagePath, workDir, port, shotPath] = process.argv;
const downloads = path.join(workDir, 'downloads');
fs.mkdirSync(downloads, { recursive: true });
const c = checker();
const check = c.check;

// What the viewer's canvas shows now: drawn afresh and read back in the same
// task (WebGL keeps no drawing buffer after it is shown), as a 32x32 grid of
// mean luminance, the share of pixels that are not background, and the
// number of distinct grey levels.
const READ = `const nv = window.facelessView3d.nv, gl = nv.gl;
  nv.drawScene();
  const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight, px = new Uint8Array(w * h * 4);
  gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
  const grid = new Array(32 * 32).fill(0), cnt = new Array(32 * 32).fill(0), levels = new Set();
  let fg = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = 4 * (y * w + x), l = (px[i] + px[i + 1] + px[i + 2]) / 3;
    if (l > 8) fg++;
    levels.add(Math.round(l));
    const g = Math.floor(y * 32 / h) * 32 + Math.floor(x * 32 / w);
    grid[g] += l; cnt[g]++;
  }
  return { w, h, fg: fg / (w * h), levels: levels.size, grid: grid.map((s, k) => s / cnt[k]),
    azimuth: nv.scene.renderAzimuth, elevation: nv.scene.renderElevation };`;

(async () => {
  const s = await openSession(port, workDir, downloads);
  try {
    const t0 = Date.now();
    await s.open(pagePath);
    await waitFor(() => s.js('const a = window.facelessView3d; return a && (a.loaded || a.error);'), 'the 3D view', 120000);
    const api = await s.js('const a = window.facelessView3d; return {loaded: a.loaded, error: a.error, drawn: a.drawn};');
    check(api.loaded && !api.error, `the 3D view loaded from disk in ${Date.now() - t0} ms: ${JSON.stringify(api)}`);
    await s.js('document.querySelector(".view3d").scrollIntoView({block: "center"});');
    await sleep(300);

    const before = await s.js(READ);
    check(before.w >= 300 && before.h >= 200, `canvas ${before.w}x${before.h}`);
    check(before.fg > 0.05 && before.fg < 0.95, `a head drawn on the background: ${(100 * before.fg).toFixed(1)}% of pixels`);
    check(before.levels > 20, `shaded, not uniform: ${before.levels} grey levels`);

    // turn it: drag across the canvas with the mouse
    const el = await s.wd('POST', `${s.S}/element`, { using: 'css selector', value: '.view3d canvas' });
    const ref = { 'element-6066-11e4-a52e-4f735466cecf': Object.values(el)[0] };
    await s.wd('POST', `${s.S}/actions`, { actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' },
      actions: [{ type: 'pointerMove', duration: 0, origin: ref, x: 0, y: 0 }, { type: 'pointerDown', button: 0 },
        { type: 'pointerMove', duration: 400, origin: 'pointer', x: 60, y: 10 },
        { type: 'pointerMove', duration: 400, origin: 'pointer', x: 60, y: 10 }, { type: 'pointerUp', button: 0 }] }] });
    await s.wd('DELETE', `${s.S}/actions`);
    await sleep(500);
    const after = await s.js(READ);
    check(Math.abs(after.azimuth - before.azimuth) > 10, `the drag turned the head: azimuth ${before.azimuth} -> ${after.azimuth}`);
    let changed = 0, diff = 0;
    for (let k = 0; k < before.grid.length; k++) {
      const d = Math.abs(after.grid[k] - before.grid[k]);
      diff += d;
      if (d > 4) changed++;
    }
    check(changed > 50, `the picture changed after the turn: ${changed} of 1024 cells, mean difference ${(diff / 1024).toFixed(1)}`);
    check(after.fg > 0.05 && after.levels > 20, `still a head after the turn: ${(100 * after.fg).toFixed(1)}%, ${after.levels} levels`);

    // nothing fetched (the page forbids it) and nothing refused on the way
    const fetched = await s.js('return performance.getEntriesByType("resource").map(e => e.name).filter(n => !/^(data|blob):/.test(n));');
    check(fetched.length === 0, `no resource fetched: ${JSON.stringify(fetched)}`);
    const logs = await s.wd('POST', `${s.S}/se/log`, { type: 'browser' });
    const refused = logs.filter((l) => /Content Security Policy|Refused to|Uncaught|net::ERR/.test(l.message));
    check(refused.length === 0, `no script error or CSP refusal in the console: ${JSON.stringify(refused.map((l) => l.message)).slice(0, 600)}`);

    const shot = await s.wd('GET', `${s.S}/screenshot`);
    fs.writeFileSync(shotPath, Buffer.from(shot, 'base64'));

    // decisions as a reviewer makes them: approve the first image, reject the
    // second (the 3D view follows it), download the CSV
    await s.js('window.scrollTo(0, 0);');
    await s.keys('a');
    await s.keys('j');
    await waitFor(() => s.js('return window.facelessView3d.drawn >= 2 && window.facelessView3d.loaded;'), 'the second subject\'s 3D view', 120000);
    const moved = await s.js('return document.querySelector(".view3d").closest("section").id;');
    check(moved === 'subject-1', `the 3D view moved to the subject shown: ${moved}`);
    await s.keys('r');
    await s.js('document.getElementById("export-csv").click();');
    const csv = path.join(downloads, 'qc-decisions.csv');
    await waitFor(() => fs.existsSync(csv), 'the CSV download', 15000);
    await sleep(300);
  } catch (e) {
    check(false, e.message);
  } finally {
    await s.close();
  }
  console.log(c.failures ? `${c.failures} checks failed` : 'all checks passed');
  process.exit(c.failures ? 1 : 0);
})();
