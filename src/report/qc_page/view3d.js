// The QC page's 3D view (issue 22): the de-faced result as a surface the
// reviewer can turn, drawn by NiiVue (BSD-2-Clause; its bundle is inlined
// before this script when faceless was built with it, package.json beside
// this file). One WebGL canvas for the whole page, moved into the subject
// shown (browsers allow a few WebGL contexts only), loading that subject's
// volume: a 2 mm 8-bit copy of the de-faced output (render_view3d.c) inlined
// as base64 .nii.gz, never the original. Rendered at the skin level the
// renders use, so the surface is the one the montage shows. Works from
// file:// with no network: nothing is fetched.
(function () {
  'use strict';
  var api = (window.facelessView3d = { nv: null, loaded: null, error: null, drawn: 0 });
  if (typeof niivue === 'undefined' || !niivue.Niivue) {
    api.error = 'NiiVue is not in this page';
    return;
  }
  var box = document.createElement('div'), canvas = document.createElement('canvas');
  var status = document.createElement('div');
  box.className = 'view3d';
  status.className = 'view3d-status';
  box.appendChild(canvas);
  var nv = null, ready = null, shown = null;

  function bytes(b64) {
    var bin = atob(b64.replace(/\s+/g, '')), a = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
    return a.buffer;
  }
  function viewer() {
    if (!ready) {
      nv = new niivue.Niivue({ backColor: [0, 0, 0, 1], show3Dcrosshair: false, isColorbar: false,
        isOrientCube: true, loadingText: '' });
      api.nv = nv;
      ready = nv.attachToCanvas(canvas).then(function () { nv.setSliceType(nv.sliceTypeRender); });
    }
    return ready;
  }
  function load(data) {
    status.textContent = 'loading the 3D view\u2026';
    api.loaded = null;
    return viewer().then(function () {
      while (nv.volumes.length) nv.removeVolume(nv.volumes[0]);
      return nv.loadFromArrayBuffer(bytes(data.textContent), data.dataset.file);
    }).then(function () {
      if (shown !== data) return; // another subject was shown meanwhile
      var v = nv.volumes[0];
      v.cal_min = Number(data.dataset.skin); // the skin level, as in the renders
      v.cal_max = 255;
      nv.updateGLVolume();
      nv.setRenderAzimuthElevation(180, 10); // facing the nose: what must be gone
      api.loaded = data.dataset.file;
      api.drawn++;
      status.textContent = 'Drag to turn, scroll to zoom. The de-faced result, reduced to 2 mm.';
    }).catch(function (e) {
      api.error = String(e && e.message ? e.message : e);
      status.textContent = '3D view failed: ' + api.error + ' (the renders below still show the result)';
    });
  }
  document.addEventListener('faceless-show', function (e) {
    var section = e.detail.section, data = section.querySelector('script.view3d-data');
    var slot = section.querySelector('.view3d-slot');
    if (!data || !slot) { // an entry without a 3D view: its renders only
      if (box.parentNode) box.parentNode.removeChild(box);
      if (status.parentNode) status.parentNode.removeChild(status);
      shown = null;
      return;
    }
    slot.appendChild(box);
    slot.appendChild(status);
    if (shown === data) return;
    shown = data;
    load(data);
  });
})();
