/* qc_page: the QC report page, one self-contained static HTML file.
 *
 * Everything the page needs is inside it: the PNGs as base64 data URIs, each
 * subject's JSON report as an inert <script type="application/json"> block,
 * the style and the script. A Content-Security-Policy forbids every network
 * request, so the page works from a USB stick on an offline laptop and cannot
 * leak anything. Built in memory; the CLI reads the inputs and writes it.
 * (Moved from render/: the page shows renders, it does not draw them.)
 *
 * Untrusted text (folder and file names, report contents) goes into the HTML
 * escaped, and the script only ever puts it into the page with textContent. */
#include "report/qc_page.h"

#include "core/context.h"
#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The page is built in core's one growing text buffer (json.h). */
typedef json_buf sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) { json_buf_append(b, s, n); }
static void sb_str(sbuf *b, const char *s) { json_buf_puts(b, s); }

/* Text escaped for HTML element content and double-quoted attributes. */
static void sb_html(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': sb_str(b, "&amp;"); break;
        case '<': sb_str(b, "&lt;"); break;
        case '>': sb_str(b, "&gt;"); break;
        case '"': sb_str(b, "&quot;"); break;
        case '\'': sb_str(b, "&#39;"); break;
        default: sb_put(b, s, 1);
        }
    }
}

static void sb_base64(sbuf *b, const uint8_t *d, size_t n)
{
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        out[0] = T[(v >> 18) & 63];
        out[1] = T[(v >> 12) & 63];
        out[2] = i + 1 < n ? T[(v >> 6) & 63] : '=';
        out[3] = i + 2 < n ? T[v & 63] : '=';
        sb_put(b, out, 4);
    }
}

/* A report's raw text inside <script type="application/json">: every '<'
 * becomes \u003c (legal only inside JSON strings, where it means the same),
 * so no "</script>" can end the block early. */
static void sb_json_block(sbuf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') {
            sb_put(b, s + start, i - start);
            sb_str(b, "\\u003c");
            start = i + 1;
        }
    }
    sb_put(b, s + start, n - start);
}

static const char PAGE_STYLE[] =
    "<style>\n"
    "*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;background:#15171c;color:#e6e6e6}\n"
    "header{position:sticky;top:0;z-index:2;display:flex;gap:12px;align-items:center;flex-wrap:wrap;"
    "padding:8px 14px;background:#20232b;border-bottom:1px solid #333}\n"
    "header h1{font-size:17px;margin:0 12px 0 0}#progress{color:#bbb}.help{color:#888;font-size:12px}\n"
    "button{font:inherit;padding:5px 12px;border-radius:4px;border:1px solid #555;background:#2c313c;color:#eee;"
    "cursor:pointer}button:hover{background:#3a4150}\n"
    "#layout{display:flex}nav{width:240px;flex:none;max-height:calc(100vh - 50px);overflow:auto;"
    "position:sticky;top:50px;border-right:1px solid #333}\n"
    "nav button{display:flex;justify-content:space-between;width:100%;border:0;border-radius:0;"
    "background:none;text-align:left;padding:6px 10px}nav button.current{background:#34405a}\n"
    "main{flex:1;padding:10px 18px;min-width:0}section.subject[hidden]{display:none}\n"
    "h2{margin:4px 0}.folder{color:#999;font-size:12px;margin-bottom:8px;word-break:break-all}\n"
    "table.figures{border-collapse:collapse;margin:6px 0 10px}table.figures td{padding:2px 14px 2px 0;"
    "vertical-align:top}table.figures td:first-child{color:#aaa}\n"
    ".v-pass,.v-ok{color:#7bd88f}.v-fail,.v-refused,.v-error,.v-untrusted{color:#ff7b72}\n"
    ".warnings{color:#f0c674}.decision{display:flex;gap:8px;align-items:flex-start;margin:8px 0 12px}\n"
    ".decision textarea{flex:1;min-height:38px;background:#1c1f26;color:#eee;border:1px solid #555;"
    "border-radius:4px;font:inherit;padding:4px}\n"
    ".state,.badge{font-weight:600}.s-approved{color:#7bd88f}.s-rejected{color:#ff7b72}.s-pending{color:#888}\n"
    "figure{margin:0 0 14px}figure img{max-width:100%;height:auto;display:block;border:1px solid #333}\n"
    "figcaption{color:#999;font-size:12px}\n"
    "</style>\n";

/* The page's script. Keys: j / ArrowDown / ArrowRight next, k / ArrowUp /
 * ArrowLeft previous, a approve, r reject, n note (Escape leaves the note).
 * Decisions persist in localStorage (when the browser allows it) and export
 * as CSV (RFC 4180) and JSON through Blob downloads. */
static const char PAGE_SCRIPT[] =
    "<script>\n"
    "(function(){'use strict';\n"
    "var secs=[].slice.call(document.querySelectorAll('section.subject'));\n"
    "var list=document.getElementById('list'),prog=document.getElementById('progress');\n"
    "var cur=0,key='faceless-qc:'+document.title+':'+secs.map(function(s){return s.dataset.name;}).join('|');\n"
    "var dec={};try{dec=JSON.parse(localStorage.getItem(key)||'{}')||{};}catch(e){dec={};}\n"
    "function save(){try{localStorage.setItem(key,JSON.stringify(dec));}catch(e){}}\n"
    "function get(o,p){var parts=p.split('.');for(var i=0;i<parts.length;i++){if(o===null||typeof o!=='object')"
    "return undefined;o=o[parts[i]];}return o;}\n"
    "function pick(o,ps){for(var i=0;i<ps.length;i++){var v=get(o,ps[i]);if(v!==undefined&&v!==null)return v;}"
    "return undefined;}\n"
    "function fmt(v){if(v===undefined)return '';if(typeof v==='number')return String(Math.round(v*1e4)/1e4);"
    "if(typeof v==='boolean')return v?'yes':'no';return String(v);}\n"
    /* Key figures from a report, read defensively: docs/report.md names, with
     * the flat names of older or other writers as fallbacks. */
    "function figures(s){var el=s.querySelector('script.report'),f={rows:[],warnings:[]};\n"
    " if(!el){f.rows.push(['report','none in this folder']);return f;}\n"
    " var j;try{j=JSON.parse(el.textContent);}catch(e){f.rows.push(['report',el.dataset.file+': not valid JSON ('+e.message+')']);"
    "f.bad=1;return f;}\n"
    " if(j===null||typeof j!=='object'){f.rows.push(['report','not a JSON object']);f.bad=1;return f;}\n"
    " f.verdict=pick(j,['verdict','result.verdict','status']);\n"
    " f.trust=pick(j,['registration.trust','trust','registration.trust_measure']);\n"
    " var ims=Array.isArray(j.images)?j.images:[],vc;\n"
    " if(ims.length&&ims.every(function(im){return typeof get(im,'voxels_changed')==='number';}))\n"
    "  vc=ims.reduce(function(a,im){return a+im.voxels_changed;},0);\n"
    " if(vc===undefined)vc=pick(j,['voxels_changed','mask.voxels_changed','mask.masked_voxels']);\n"
    " f.voxels=vc;\n"
    " var rows=[['verdict',f.verdict],['trust',f.trust],['trusted',pick(j,['registration.trusted','trusted'])],\n"
    "  ['voxels changed',vc],['mask voxels',pick(j,['mask.masked_voxels','mask.face_ear_voxels'])],\n"
    "  ['exit code',pick(j,['exit_code'])],['error',pick(j,['error'])],['input',pick(j,['images.0.input','input'])],\n"
    "  ['output',pick(j,['images.0.output','output'])],['template',pick(j,['template.name','template'])],\n"
    "  ['mode',pick(j,['parameters.mode','mode'])],['faceless',pick(j,['tool_version'])]];\n"
    " var t=pick(j,['timings_seconds','timings']);\n"
    " if(t&&typeof t==='object'){var parts=[];Object.keys(t).forEach(function(k){if(k!=='total'&&typeof t[k]==='number')"
    "parts.push(k+' '+fmt(t[k])+' s');});\n"
    "  rows.push(['time total',typeof t.total==='number'?fmt(t.total)+' s':undefined]);if(parts.length)rows.push(['timings',parts.join(', ')]);}\n"
    " rows.forEach(function(r){if(r[1]!==undefined&&r[1]!==''&&typeof r[1]!=='object')f.rows.push([r[0],fmt(r[1])]);});\n"
    " if(Array.isArray(j.warnings))f.warnings=j.warnings.map(String);\n"
    " return f;}\n"
    "function state(i){var d=dec[secs[i].dataset.name];return d&&d.decision?d.decision:'pending';}\n"
    "function note(i){var d=dec[secs[i].dataset.name];return d&&typeof d.note==='string'?d.note:'';}\n"
    "var figs=secs.map(function(s,i){var f=figures(s),tb=s.querySelector('table.figures');\n"
    " f.rows.forEach(function(r){var tr=document.createElement('tr'),a=document.createElement('td'),"
    "b=document.createElement('td');a.textContent=r[0];b.textContent=r[1];\n"
    "  if(r[0]==='verdict')b.className='verdict v-'+r[1].toLowerCase();tr.appendChild(a);tr.appendChild(b);"
    "tb.appendChild(tr);});\n"
    " var w=s.querySelector('.warnings');f.warnings.forEach(function(x){var d=document.createElement('div');"
    "d.textContent='warning: '+x;w.appendChild(d);});\n"
    " var ta=s.querySelector('textarea.note');ta.value=note(i);\n"
    " ta.addEventListener('input',function(){var n=s.dataset.name;dec[n]=dec[n]||{decision:'pending'};"
    "dec[n].note=ta.value;save();});\n"
    " s.querySelector('button.approve').addEventListener('click',function(){decide(i,'approved');});\n"
    " s.querySelector('button.reject').addEventListener('click',function(){decide(i,'rejected');});\n"
    " var nb=document.createElement('button'),nm=document.createElement('span'),bd=document.createElement('span');\n"
    " nm.textContent=s.dataset.name;bd.className='badge';nb.appendChild(nm);nb.appendChild(bd);"
    "nb.addEventListener('click',function(){show(i);});list.appendChild(nb);\n"
    " return f;});\n"
    "function refresh(){var a=0,r=0;secs.forEach(function(s,i){var st=state(i),bd=list.children[i].lastChild;\n"
    " bd.textContent=st==='pending'?'':st==='approved'?'\\u2713':'\\u2717';bd.className='badge s-'+st;\n"
    " var sp=s.querySelector('.state');sp.textContent=st;sp.className='state s-'+st;\n"
    " if(st==='approved')a++;if(st==='rejected')r++;});\n"
    " prog.textContent=(secs.length?(cur+1)+' of '+secs.length:'no subjects')+' \\u00b7 '+a+' approved \\u00b7 '+r+"
    "' rejected \\u00b7 '+(secs.length-a-r)+' pending';}\n"
    "function show(i){if(!secs.length)return;cur=Math.max(0,Math.min(secs.length-1,i));\n"
    " secs.forEach(function(s,k){s.hidden=k!==cur;list.children[k].className=k===cur?'current':'';});\n"
    " document.body.dataset.current=String(cur);refresh();window.scrollTo(0,0);}\n"
    "function decide(i,st){var n=secs[i].dataset.name;dec[n]={decision:st,"
    "note:secs[i].querySelector('textarea.note').value};save();refresh();}\n"
    "document.addEventListener('keydown',function(e){var t=e.target;\n"
    " if(t&&(t.tagName==='TEXTAREA'||t.tagName==='INPUT')){if(e.key==='Escape')t.blur();return;}\n"
    " if(e.ctrlKey||e.metaKey||e.altKey)return;\n"
    " var k=e.key;if(k==='j'||k==='ArrowDown'||k==='ArrowRight')show(cur+1);\n"
    " else if(k==='k'||k==='ArrowUp'||k==='ArrowLeft')show(cur-1);\n"
    " else if(k==='a')decide(cur,'approved');else if(k==='r')decide(cur,'rejected');\n"
    " else if(k==='n')secs[cur].querySelector('textarea.note').focus();else return;e.preventDefault();});\n"
    "function rows(){return secs.map(function(s,i){var f=figs[i];return {subject:s.dataset.name,"
    "folder:s.dataset.folder,decision:state(i),note:note(i),verdict:f.verdict===undefined?null:f.verdict,"
    "trust:f.trust===undefined?null:f.trust,voxels_changed:f.voxels===undefined?null:f.voxels};});}\n"
    "function csvq(v){v=v===null||v===undefined?'':String(v);return /[\",\\r\\n]/.test(v)?"
    "'\"'+v.replace(/\"/g,'\"\"')+'\"':v;}\n"
    "function download(name,type,text){var b=new Blob([text],{type:type}),a=document.createElement('a');\n"
    " a.href=URL.createObjectURL(b);a.download=name;document.body.appendChild(a);a.click();\n"
    " setTimeout(function(){URL.revokeObjectURL(a.href);a.remove();},2000);}\n"
    "var cols=['subject','folder','decision','note','verdict','trust','voxels_changed'];\n"
    "document.getElementById('export-csv').addEventListener('click',function(){var out=[cols.join(',')];\n"
    " rows().forEach(function(r){out.push(cols.map(function(c){return csvq(r[c]);}).join(','));});\n"
    " download('qc-decisions.csv','text/csv',out.join('\\r\\n')+'\\r\\n');});\n"
    "document.getElementById('export-json').addEventListener('click',function(){\n"
    " download('qc-decisions.json','application/json',JSON.stringify({generator:'faceless report',"
    "title:document.title,decisions:rows()},null,2)+'\\n');});\n"
    "show(0);\n"
    "})();\n"
    "</script>\n";

faceless_status report_qc_page(faceless_ctx *ctx, const report_qc_subject *subjects, size_t n, const char *title,
                               char **html, size_t *len)
{
    sbuf b = {0};
    sb_str(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    /* No network at all: images only from data: URIs, inline style and script. */
    sb_str(&b, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
               "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n");
    sb_str(&b, "<meta name=\"generator\" content=\"faceless " FACELESS_VERSION_STRING "\">\n<title>");
    sb_html(&b, title);
    sb_str(&b, "</title>\n");
    sb_str(&b, PAGE_STYLE);
    sb_str(&b, "</head>\n<body>\n<header><h1>");
    sb_html(&b, title);
    sb_str(&b, "</h1><span id=\"progress\"></span>"
               "<button id=\"export-csv\" type=\"button\">Download CSV</button>"
               "<button id=\"export-json\" type=\"button\">Download JSON</button>"
               "<span class=\"help\">j/k or arrows: next/previous &middot; a: approve &middot; r: reject "
               "&middot; n: note (Esc leaves it)</span></header>\n"
               "<div id=\"layout\"><nav id=\"list\"></nav>\n<main>\n");
    for (size_t i = 0; i < n; i++) {
        const report_qc_subject *s = &subjects[i];
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", i);
        sb_str(&b, "<section class=\"subject\" id=\"subject-");
        sb_str(&b, idx);
        sb_str(&b, "\" data-name=\"");
        sb_html(&b, s->name);
        sb_str(&b, "\" data-folder=\"");
        sb_html(&b, s->folder);
        sb_str(&b, "\"");
        if (i)
            sb_str(&b, " hidden");
        sb_str(&b, ">\n<h2>");
        sb_html(&b, s->name);
        sb_str(&b, "</h2><div class=\"folder\">");
        sb_html(&b, s->folder);
        sb_str(&b, "</div>\n<table class=\"figures\"></table><div class=\"warnings\"></div>\n"
                   "<div class=\"decision\"><button class=\"approve\" type=\"button\">Approve (a)</button>"
                   "<button class=\"reject\" type=\"button\">Reject (r)</button><span class=\"state\"></span>"
                   "<textarea class=\"note\" placeholder=\"Note (n)\"></textarea></div>\n");
        for (size_t k = 0; k < s->n_images; k++) {
            sb_str(&b, "<figure><img alt=\"");
            sb_html(&b, s->image_names[k]);
            sb_str(&b, "\" src=\"data:image/png;base64,");
            sb_base64(&b, s->images[k], s->image_sizes[k]);
            sb_str(&b, "\"><figcaption>");
            sb_html(&b, s->image_names[k]);
            sb_str(&b, "</figcaption></figure>\n");
        }
        if (s->json_text) {
            sb_str(&b, "<script type=\"application/json\" class=\"report\" data-file=\"");
            sb_html(&b, s->json_name ? s->json_name : "report.json");
            sb_str(&b, "\">");
            sb_json_block(&b, s->json_text, s->json_len);
            sb_str(&b, "</script>\n");
        }
        sb_str(&b, "</section>\n");
    }
    sb_str(&b, "</main></div>\n");
    sb_str(&b, PAGE_SCRIPT);
    sb_str(&b, "</body>\n</html>\n");
    if (b.failed) {
        free(b.text);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "report: out of memory building the page");
    }
    *html = b.text;
    *len = b.len;
    return FACELESS_OK;
}
