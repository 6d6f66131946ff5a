"""The explorer: one self-contained, offline HTML page for a few clips (plotly.js inline, no CDN).

The page shows, for the selected clip and word: the skeleton in 3D with a frame slider (joints
coloured by the word's α·Γ), the caption as clickable words with β̂ each, the Γ curves of every
word with the true segments when the data knows them, the part × frame map of the word, and the
word's attention per part beside an attribution method's per part. The data arrive as one JSON
object (:func:`m2t_interpret.clipviews.explorer_payload` makes it); a small script draws the
panels with ``Plotly.react`` and redraws them on a click or a slider move.

Test hook: opened with ``?test=click`` the page clicks its second word once drawn and writes what
happened (console errors, the map before and after) as JSON into ``<pre id="m2t-test">``, which
a headless browser's ``--dump-dom`` shows.
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path

import plotly.graph_objects as go

from ..io import atomic_path
from ..skeletons import DISPLAY_PARTS, PARTS
from .style import (
    CHANCE_COLOR,
    PART_COLORS,
    PLOTLY_FONT,
    PLOTLY_MAP_CMAP,
    PLOTLY_TEMPLATE,
    SEGMENT_COLOR,
)

#: In every page's head, so that a later run may replace its own page but no other file.
SIGNATURE = '<meta name="generator" content="m2t-interpret explorer">'


#: plotly.js draws its modebar (the toolbar) at the top right of each panel, over whatever is there:
#: 2 px from the top, 22 px buttons with 3 px padding. Titles start below this band, so that no
#: control covers them, whatever their length.
MODEBAR_PX = 30
TITLE_PX = 15
#: Pixels above a panel's plot area: the modebar's band, the title and a gap.
TITLE_BAND = MODEBAR_PX + round(1.4 * TITLE_PX) + 6
#: One row of a horizontal legend (13 px text) with its padding; the bar panel keeps room for two,
#: since its two entries wrap onto two rows in a narrow window.
LEGEND_PX = 26


def _layout(height: int, margin: dict | None = None, **kw) -> dict:
    """A panel's layout in the house template, resolved to plain JSON for the page's script: its
    title (text filled in by the script) at the top left, under the modebar's band."""
    margin = {"l": 60, "r": 20, "t": TITLE_BAND, "b": 40, **(margin or {})}
    title = {"text": "", "x": 0.02, "xanchor": "left", "yref": "container", "y": 1 - MODEBAR_PX / height,
             "yanchor": "top", "font": {"size": TITLE_PX}}
    return go.Layout(template=PLOTLY_TEMPLATE, font=PLOTLY_FONT, height=height, margin=margin, title=title,
                     **kw).to_plotly_json()


def panel_layouts() -> dict:
    """The four panels' layouts (the script fills in data, title texts and shapes)."""
    axis3d = {"showticklabels": False, "title": {"text": ""}, "backgroundcolor": "rgba(240,240,240,0.5)"}
    return {
        "skeleton": _layout(520, showlegend=False, margin={"l": 0, "r": 0, "b": 0},
                            scene={"aspectmode": "cube", "xaxis": axis3d, "yaxis": axis3d, "zaxis": axis3d,
                                   "camera": {"eye": {"x": 0.85, "y": -1.0, "z": 0.35}}}),
        "map": _layout(250, xaxis={"title": {"text": "time (s)"}},
                       yaxis={"autorange": "reversed", "tickmode": "array", "tickvals": list(range(len(PARTS))),
                              "ticktext": list(DISPLAY_PARTS)}),
        "gamma": _layout(250, showlegend=False, xaxis={"title": {"text": "time (s)"}},
                         yaxis={"title": {"text": "Γ"}, "range": [0, 1.05]}),
        # the legend's rows right under the title, above the plot
        "parts": _layout(310, barmode="group", legend={"orientation": "h", "x": 0, "yref": "container",
                                                       "y": 1 - TITLE_BAND / 310, "yanchor": "top"},
                         margin={"t": TITLE_BAND + 2 * LEGEND_PX + 4},
                         yaxis={"title": {"text": "share of the word"}, "rangemode": "tozero"}),
    }


_CSS = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:12px 18px;color:#222}
h1{font-size:18px;margin:4px 0 8px}
#caption{font-size:17px;line-height:2.1em;margin:6px 0}
.word{cursor:pointer;padding:2px 5px;border-radius:4px;margin-right:2px;border:1px solid transparent}
.word:hover{border-color:#888}
.word.motion{font-weight:bold}
.word.selected{background:#332288;color:white}
.word sub{font-size:10px;color:#666;margin-left:2px}
.word.selected sub{color:#ddd}
#grid{display:grid;grid-template-columns:minmax(380px,1fr) minmax(420px,1.2fr);gap:8px}
#controls{display:flex;gap:10px;align-items:center;margin:4px 0}
#frame{flex:1}
.note{color:#555;font-size:13px;margin:2px 0}
"""

_SCRIPT = r"""
(function(){
const D = JSON.parse(document.getElementById('m2t-data').textContent);
const L = D.layouts;
let ci = 0, wi = 0, fi = 0, timer = null;
const $ = id => document.getElementById(id);
const clone = o => JSON.parse(JSON.stringify(o));
function clip(){ return D.clips[ci]; }
function word(){ return clip().words[wi]; }
function jointValues(c, w, f){ return c.joint_part.map(p => w.map[p][f]); }
function drawSkeleton(){
  const c = clip(), w = word(), p = c.joints[fi];
  const traces = c.bones.map((b, k) => ({type:'scatter3d', mode:'lines', hoverinfo:'skip',
    x:[p[b[0]][0], p[b[1]][0]], y:[p[b[0]][1], p[b[1]][1]], z:[p[b[0]][2], p[b[1]][2]],
    line:{color:c.bone_colors[k], width:6}}));
  const v = jointValues(c, w, fi);
  traces.push({type:'scatter3d', mode:'lines', hoverinfo:'skip', x:c.root_path[0], y:c.root_path[1],
    z:c.root_path[2], line:{color:'#999999', width:3, dash:'dash'}});
  traces.push({type:'scatter3d', mode:'markers', name:'joints', x:p.map(q=>q[0]), y:p.map(q=>q[1]), z:p.map(q=>q[2]),
    text:c.joint_names.map((n,j)=>n+' · '+D.part_labels[c.joint_part[j]]+' · α·Γ '+v[j].toFixed(2)), hoverinfo:'text',
    marker:{size:v.map(x=>4+14*x/Math.max(c.vmax,1e-6)), color:v, cmin:0, cmax:c.vmax, colorscale:D.cmap,
            showscale:true, colorbar:{title:{text:'α·Γ'}, len:0.6}}});
  const lay = clone(L.skeleton);
  lay.title.text = 'frame '+fi+' · '+c.time_s[fi].toFixed(2)+' s · '+w.word;
  lay.scene.xaxis.range = c.ranges[0]; lay.scene.yaxis.range = c.ranges[1]; lay.scene.zaxis.range = c.ranges[2];
  lay.uirevision = 'clip'+ci;
  return Plotly.react('skeleton', traces, lay);
}
function frameLine(c){ const t = c.time_s[fi];
  return {type:'line', x0:t, x1:t, y0:0, y1:1, yref:'paper', line:{color:'#CC3311', width:2}}; }
function drawMap(){
  const c = clip(), w = word();
  const lay = clone(L.map);
  lay.title.text = 'α·Γ of “'+w.word+'” (β̂ '+w.beta.toFixed(2)+')';
  lay.shapes = [frameLine(c)];
  return Plotly.react('map', [{type:'heatmap', z:w.map, x:c.time_s, y:[0,1,2,3,4,5], colorscale:D.cmap,
    zmin:0, zmax:c.vmax, hovertemplate:'%{x:.2f} s · %{text}: %{z:.3f}<extra></extra>',
    text:w.map.map((r,k)=>r.map(()=>D.part_labels[k]))}], lay);
}
function drawGamma(){
  const c = clip();
  const traces = c.words.map((w,k) => ({type:'scatter', mode:'lines', x:c.time_s, y:w.window, name:w.word,
    hovertemplate:w.word+' %{x:.2f} s Γ %{y:.2f}<extra></extra>',
    line:{width:k===wi?3.5:1, color:k===wi?'#332288':'#AAAAAA'}}));
  const lay = clone(L.gamma);
  const shapes = [frameLine(c)];
  c.words.forEach((w,k) => { if (w.true_segment) shapes.push({type:'rect', xref:'x', yref:'paper',
    x0:w.true_segment[0], x1:w.true_segment[1], y0:0, y1:1, line:{width:0}, layer:'below',
    fillcolor:D.segment_color, opacity:k===wi?0.55:0.15}); });
  lay.shapes = shapes;
  const seg = word().true_segment;
  lay.title.text = 'Γ of every word' + (seg ? ' · true segment of “'+word().word+'” '+seg[0].toFixed(2)+'–'+
    seg[1].toFixed(2)+' s' : (c.has_truth ? ' · “'+word().word+'” has no true segment' : ' · no ground truth'));
  return Plotly.react('gamma', traces, lay);
}
function drawParts(){
  const w = word();
  const traces = [{type:'bar', name:'attention Σα·Γ', x:D.part_labels, y:w.attention_parts, marker:{color:D.part_colors}}];
  if (w.attribution_parts) traces.push({type:'bar', name:D.attribution_label, x:D.part_labels, y:w.attribution_parts,
    marker:{color:D.part_colors, pattern:{shape:'/'}, line:{color:'#333', width:1}}});
  const lay = clone(L.parts);
  lay.title.text = '“'+w.word+'” per part' +
    (w.true_parts && w.true_parts.length ? ' · true: '+w.true_parts.join(', ') : '');
  lay.shapes = [{type:'line', xref:'paper', x0:0, x1:1, y0:1/6, y1:1/6, line:{color:D.chance_color, dash:'dot'}}];
  lay.annotations = [{xref:'paper', x:1, y:1/6, text:'uniform 1/6', showarrow:false, xanchor:'right', yanchor:'bottom',
    font:{size:11, color:D.chance_color}}];
  return Plotly.react('parts', traces, lay);
}
function drawCaption(){
  const c = clip(); const box = $('caption'); box.innerHTML = '';
  c.words.forEach((w,k) => { const s = document.createElement('span');
    s.className = 'word' + (w.motion ? ' motion' : '') + (k===wi ? ' selected' : '');
    s.dataset.index = k; s.title = 'β̂ '+w.beta.toFixed(2)+' · μ '+w.mu_s.toFixed(2)+' s';
    s.appendChild(document.createTextNode(w.word));
    const b = document.createElement('sub'); b.textContent = w.beta.toFixed(2); s.appendChild(b);
    s.addEventListener('click', () => selectWord(k)); box.appendChild(s); });
  $('reference').textContent = c.reference ? 'reference: ' + c.reference : '';
}
function selectWord(k){ wi = k; drawCaption(); return Promise.all([drawSkeleton(), drawMap(), drawGamma(), drawParts()]); }
function setFrame(f){ fi = f; $('frame').value = f; $('time').textContent = clip().time_s[f].toFixed(2)+' s';
  return Promise.all([drawSkeleton(), Plotly.relayout('map', {shapes:[frameLine(clip())]}),
    Plotly.relayout('gamma', {'shapes[0]':frameLine(clip())})]); }
function selectClip(i){ ci = i; wi = clip().default_word; fi = 0;
  $('frame').max = clip().time_s.length - 1; $('frame').value = 0;
  $('time').textContent = clip().time_s[0].toFixed(2)+' s'; return selectWord(wi); }
const sel = $('clip');
D.clips.forEach((c,i) => { const o = document.createElement('option'); o.value = i; o.textContent = c.id+' — '+c.caption; sel.appendChild(o); });
sel.addEventListener('change', () => selectClip(+sel.value));
$('frame').addEventListener('input', e => setFrame(+e.target.value));
$('play').addEventListener('click', () => {
  if (timer) { clearInterval(timer); timer = null; $('play').textContent = '▶ play'; return; }
  $('play').textContent = '❚❚ pause';
  timer = setInterval(() => setFrame((fi + 1) % clip().time_s.length), 1000 / D.clips[ci].fps); });
const ready = selectClip(0);
function panelBoxes(){  // [left, top, right, bottom] in pixels from each panel's top left, for the test hook
  const out = {};
  ['skeleton', 'map', 'gamma', 'parts'].forEach(id => { const gd = $(id), o = gd.getBoundingClientRect();
    const box = sel => { const el = gd.querySelector(sel); if (!el) return null; const r = el.getBoundingClientRect();
      return [r.left - o.left, r.top - o.top, r.right - o.left, r.bottom - o.top]; };
    out[id] = {title: box('.gtitle'), modebar: box('.modebar'), legend: box('.legend'), width: o.width,
               plot_top: gd._fullLayout._size.t}; });
  return out;
}
if (new URLSearchParams(location.search).get('test') === 'click') {
  ready.then(() => {
    const before = JSON.stringify(document.getElementById('map').data[0].z);
    const spans = Array.from(document.querySelectorAll('#caption .word'));
    const others = spans.filter((s, k) => k !== wi);
    const target = others.find(s => s.classList.contains('motion')) || others[0] || spans[0];
    target.click();
    return new Promise(r => setTimeout(r, 300)).then(() => {
      const after = JSON.stringify(document.getElementById('map').data[0].z);
      const out = document.createElement('pre'); out.id = 'm2t-test';
      out.textContent = JSON.stringify({errors: window.__m2tErrors, clicked: target.firstChild.textContent,
        selected: clip().words[wi].word, map_changed: before !== after, words: spans.length,
        traces: document.getElementById('skeleton').data.length, boxes: panelBoxes()});
      document.body.appendChild(out);
    });
  }).catch(e => { window.__m2tErrors.push(String(e)); const out = document.createElement('pre'); out.id = 'm2t-test';
    out.textContent = JSON.stringify({errors: window.__m2tErrors}); document.body.appendChild(out); });
}
})();
"""

_ERRORS = """window.__m2tErrors = [];
window.addEventListener('error', e => window.__m2tErrors.push('error: ' + e.message));
window.addEventListener('unhandledrejection', e => window.__m2tErrors.push('rejection: ' + e.reason));
(function(){ const orig = console.error; console.error = function(){
  window.__m2tErrors.push('console.error: ' + Array.from(arguments).join(' ')); return orig.apply(console, arguments); }; })();
"""


def _script_json(obj) -> str:
    # "</" would end the script element early; JSON allows "<\/"
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def explorer_html(payload: dict, title: str = "m2t-interpret explorer") -> str:
    """The page for ``payload`` (see :func:`m2t_interpret.clipviews.explorer_payload`) as one HTML
    string with plotly.js inline."""

    # plotly.js (4.7 MB of text) is read only when a page is written
    from plotly.offline import get_plotlyjs

    data = {**payload, "layouts": panel_layouts(), "part_labels": list(DISPLAY_PARTS),
            "part_colors": [PART_COLORS[p] for p in PARTS], "cmap": PLOTLY_MAP_CMAP,
            "segment_color": SEGMENT_COLOR, "chance_color": CHANCE_COLOR}
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in payload.get("notes", []))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
{SIGNATURE}
<title>{escape(title)}</title>
<style>{_CSS}</style>
<script>{_ERRORS}</script>
<script>{get_plotlyjs()}</script>
</head><body>
<h1>{escape(title)}</h1>
<div id="controls"><label>clip <select id="clip"></select></label></div>
<div id="caption"></div>
<p class="note" id="reference"></p>
<p class="note">Click a word: the skeleton, the map and the part bars show that word's attention α·Γ; the
small number after each word is its gate β̂ (1: the word is read from the motion). Bold words are motion words.</p>
{notes}
<div id="grid">
 <div><div id="skeleton"></div>
  <div id="controls"><button id="play">▶ play</button><input type="range" id="frame" min="0" max="0" value="0">
  <span id="time"></span></div></div>
 <div><div id="map"></div><div id="gamma"></div><div id="parts"></div></div>
</div>
<script type="application/json" id="m2t-data">{_script_json(data)}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


def is_explorer_file(path: Path) -> bool:
    """True for a page this module wrote (its signature near the top)."""
    try:
        with open(path, "rb") as f:
            return SIGNATURE.encode() in f.read(4096)
    except OSError:
        return False


def write_explorer(payload: dict, path: str | os.PathLike, title: str = "m2t-interpret explorer") -> Path:
    """Write the page atomically (the file appears only once complete)."""
    path = Path(path)
    text = explorer_html(payload, title)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


__all__ = ["MODEBAR_PX", "SIGNATURE", "explorer_html", "is_explorer_file", "panel_layouts", "write_explorer"]
