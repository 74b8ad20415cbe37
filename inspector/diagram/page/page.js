/* The architecture page: pan and zoom, blocks opened in place (layout.js), search, selection,
 * the side panel, the keyboard. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("model-data").textContent);
  var svg = document.getElementById("canvas");
  var scene = document.getElementById("scene");
  var stage = document.getElementById("stage");
  var minimap = document.getElementById("minimap");
  var miniView = document.getElementById("minimap-view");
  var ROOT = "root";

  var viewEls = {}, nodeEls = {};
  scene.querySelectorAll("g.view").forEach(function (g) { viewEls[g.getAttribute("data-view")] = g; });
  scene.querySelectorAll("g.node").forEach(function (g) {
    var id = g.id.slice(5); // "node:" + node id
    nodeEls[id] = g;
    if (data.nodes[id] && data.nodes[id].opens) g.classList.add("expandable");
  });

  var open = new Set(); // ids of the opened views (the root is always shown)
  var selected = null;
  var cam = { x: 0, y: 0, s: 1 };
  var bounds = null; // the root drawing's extent, in its own units

  // -- order, lookups ------------------------------------------------------------------------
  var children = {}; // view id -> node ids, in drawing order
  Object.keys(data.nodes).forEach(function (id) {
    var v = data.nodes[id].view;
    (children[v] = children[v] || []).push(id);
  });
  var order = []; // every call, a block's members right after it
  (function walk(view) {
    (data.order[view] || []).forEach(function (id) {
      if (data.nodes[id].kind !== "block") order.push(id);
      if (data.nodes[id].opens) walk(data.nodes[id].opens);
    });
  })(ROOT);
  var byLayer = {}; // layer path -> node ids of its calls
  order.forEach(function (id) {
    var n = data.nodes[id], calls = byLayer[n.layers[0]] = byLayer[n.layers[0]] || [];
    if (calls[n.call] === undefined) calls[n.call] = id; // else: inside a nested model called twice
  });

  function nodeOfHash(hash) {
    var key = decodeURIComponent(hash.replace(/^#/, ""));
    if (!key) return null;
    if (byLayer[key]) return byLayer[key][0];
    if (data.nodes[key]) return key;
    var at = key.lastIndexOf("@");
    if (at > 0 && byLayer[key.slice(0, at)]) return byLayer[key.slice(0, at)][+key.slice(at + 1) - 1] || null;
    return null;
  }
  function hashOf(id) {
    var n = data.nodes[id];
    if (n.kind === "block" || byLayer[n.layers[0]][n.call] !== id) return id;
    return n.layers[0] + (n.calls > 1 ? "@" + (n.call + 1) : "");
  }

  var layout = KerasInspectorLayout(data, viewEls, open);
  function r2(v) { return Math.round(v * 100) / 100; }

  function relayout() {
    bounds = layout(ROOT);
    var pad = 20;
    minimap.setAttribute("viewBox", [bounds.x0 - pad, bounds.y0 - pad, bounds.x1 - bounds.x0 + 2 * pad,
      bounds.y1 - bounds.y0 + 2 * pad].map(r2).join(" "));
    markMatches();
    markSelection();
    applyCamera();
  }

  // -- camera ----------------------------------------------------------------------------------
  function applyCamera() {
    var w = stage.clientWidth || 1, h = stage.clientHeight || 1;
    svg.setAttribute("viewBox", [cam.x, cam.y, w / cam.s, h / cam.s].map(r2).join(" "));
    miniView.setAttribute("x", r2(cam.x)); miniView.setAttribute("y", r2(cam.y));
    miniView.setAttribute("width", r2(w / cam.s)); miniView.setAttribute("height", r2(h / cam.s));
    var bw = bounds.x1 - bounds.x0, bh = bounds.y1 - bounds.y0;
    stage.classList.toggle("large", bw * cam.s > w * 1.05 || bh * cam.s > h * 1.05);
  }
  function fit() {
    var w = stage.clientWidth || 1, h = stage.clientHeight || 1;
    var bw = bounds.x1 - bounds.x0 + 40, bh = bounds.y1 - bounds.y0 + 40;
    cam.s = Math.min(w / bw, h / bh, 1.5);
    cam.x = (bounds.x0 + bounds.x1) / 2 - w / cam.s / 2;
    cam.y = (bounds.y0 + bounds.y1) / 2 - h / cam.s / 2;
    applyCamera();
  }
  function start() { // fit, unless that makes labels unreadable: then readable, from the top
    fit();
    if (cam.s >= 0.6) return;
    var w = stage.clientWidth || 1;
    cam.s = Math.min(0.9, w / (bounds.x1 - bounds.x0 + 40));
    cam.x = (bounds.x0 + bounds.x1) / 2 - w / cam.s / 2;
    cam.y = bounds.y0 - 20 / cam.s;
    applyCamera();
  }
  function zoomAt(factor, px, py) {
    var ux = cam.x + px / cam.s, uy = cam.y + py / cam.s;
    cam.s = Math.min(8, Math.max(0.01, cam.s * factor));
    cam.x = ux - px / cam.s; cam.y = uy - py / cam.s;
    applyCamera();
  }
  function zoomCenter(factor) { zoomAt(factor, stage.clientWidth / 2, stage.clientHeight / 2); }
  function pan(dx, dy) { cam.x += dx / cam.s; cam.y += dy / cam.s; applyCamera(); }
  function centerOn(el) {
    var r = el.getBoundingClientRect(), sr = svg.getBoundingClientRect();
    if (!r.width && !r.height) return;
    var ux = cam.x + (r.left + r.width / 2 - sr.left) / cam.s, uy = cam.y + (r.top + r.height / 2 - sr.top) / cam.s;
    if (r.width < 150) cam.s = Math.min(1.2, cam.s * 170 / Math.max(r.width, 1)); // small: zoom to read it
    cam.x = ux - stage.clientWidth / 2 / cam.s; cam.y = uy - stage.clientHeight / 2 / cam.s;
    applyCamera();
  }

  var drag = null, dragged = false;
  stage.addEventListener("pointerdown", function (e) {
    if (e.button !== 0 || minimap.contains(e.target)) return;
    drag = { x: e.clientX, y: e.clientY, id: e.pointerId }; dragged = false;
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!dragged) { dragged = true; stage.classList.add("dragging"); }
    drag.x = e.clientX; drag.y = e.clientY;
    pan(-dx, -dy);
  });
  window.addEventListener("pointerup", function () { drag = null; stage.classList.remove("dragging"); });
  stage.addEventListener("wheel", function (e) {
    if (minimap.contains(e.target)) return;
    e.preventDefault();
    var unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? stage.clientHeight : 1;
    if (e.ctrlKey || e.metaKey) {
      var r = stage.getBoundingClientRect();
      zoomAt(Math.exp(-e.deltaY * unit * 0.01), e.clientX - r.left, e.clientY - r.top);
    } else {
      pan(e.deltaX * unit, e.deltaY * unit);
    }
  }, { passive: false });
  window.addEventListener("resize", applyCamera);

  function minimapMove(e) {
    var p = new DOMPoint(e.clientX, e.clientY).matrixTransform(minimap.getScreenCTM().inverse());
    cam.x = p.x - stage.clientWidth / 2 / cam.s; cam.y = p.y - stage.clientHeight / 2 / cam.s;
    applyCamera();
  }
  var miniDrag = false;
  minimap.addEventListener("pointerdown", function (e) { miniDrag = true; minimapMove(e); e.preventDefault(); });
  window.addEventListener("pointermove", function (e) { if (miniDrag) minimapMove(e); });
  window.addEventListener("pointerup", function () { miniDrag = false; });

  // -- opening, selection ----------------------------------------------------------------------
  function reveal(id) { // open every view above a node so it is drawn
    var v = data.nodes[id].view;
    while (v !== ROOT) { open.add(v); v = data.views[v].parent; }
  }
  function toggle(id) {
    var v = data.nodes[id].opens;
    if (!v) return;
    if (open.has(v)) open.delete(v); else { reveal(id); open.add(v); }
    relayout();
  }
  function shownElement(id) { // the node, or the frame of the view it opened
    var n = data.nodes[id];
    if (n.opens && open.has(n.opens)) return viewEls[n.opens].querySelector(":scope > rect.frame");
    return nodeEls[id];
  }
  function markSelection() {
    scene.querySelectorAll(".selected").forEach(function (el) { el.classList.remove("selected"); });
    if (!selected) return;
    shownElement(selected).classList.add("selected");
    scene.querySelectorAll('g.edge[data-src="' + CSS.escape(selected) + '"], g.edge[data-dst="' +
      CSS.escape(selected) + '"]').forEach(function (el) { el.classList.add("selected"); });
  }
  function select(id, how) {
    how = how || {};
    selected = id;
    if (id) {
      reveal(id);
      if (how.open && data.nodes[id].opens) open.add(data.nodes[id].opens);
      relayout();
      if (how.center !== false) centerOn(shownElement(id));
    } else {
      markSelection();
    }
    showDetails();
    if (how.hash !== false) {
      var url = id ? "#" + encodeURIComponent(hashOf(id)).replace(/%2F/g, "/") : location.pathname + location.search;
      try { history.replaceState(null, "", url); } catch (err) { /* a browser that refuses it for file:// pages */ }
    }
  }
  svg.addEventListener("click", function (e) {
    if (dragged) return;
    var label = e.target.closest("text.frame-label");
    if (label) { // the label of an opened view closes it
      var v = label.parentNode.getAttribute("data-view");
      open.delete(v);
      selected = data.views[v].host;
      relayout(); showDetails();
      return;
    }
    var node = e.target.closest("g.node");
    if (!node) return;
    var id = node.id.slice(5);
    if (data.nodes[id].opens) { select(id, { open: true, center: false }); return; }
    select(id, { center: false });
  });

  // -- search ----------------------------------------------------------------------------------
  var search = document.getElementById("search"), count = document.getElementById("search-count");
  var matches = [], current = -1;
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    matches = !q ? [] : order.filter(function (id) {
      var n = data.nodes[id];
      return n.name.toLowerCase().indexOf(q) >= 0 || n["class"].toLowerCase().indexOf(q) >= 0;
    });
    current = -1;
    svg.classList.toggle("searching", matches.length > 0);
    count.textContent = !q ? "" : matches.length ? matches.length + " found" : "no match";
    markMatches();
  }
  function markMatches() {
    scene.querySelectorAll(".match").forEach(function (el) { el.classList.remove("match"); });
    matches.forEach(function (id) { // a match inside a closed view marks the node that opens it
      var shown = id, v = data.nodes[id].view;
      while (v !== ROOT) {
        if (!open.has(v)) shown = data.views[v].host;
        v = data.views[v].parent;
      }
      nodeEls[shown].classList.add("match");
    });
  }
  function step(delta) {
    if (!matches.length) return;
    current = (current + delta + matches.length) % matches.length;
    count.textContent = (current + 1) + " of " + matches.length;
    select(matches[current]);
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); step(e.shiftKey ? -1 : 1); }
    if (e.key === "Escape") { search.value = ""; runSearch(); stage.focus(); }
  });
  document.getElementById("search-next").addEventListener("click", function () { step(1); });
  document.getElementById("search-prev").addEventListener("click", function () { step(-1); });

  // -- the side panel --------------------------------------------------------------------------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "onclick") el.addEventListener("click", attrs[k]);
      else el.setAttribute(k, attrs[k]);
    });
    return fill(el, Array.prototype.slice.call(arguments, 2));
  }
  function fill(el, items) { // children: nodes, text, nested lists; null and false are skipped
    items.forEach(function (x) {
      if (Array.isArray(x)) fill(el, x);
      else if (x !== null && x !== undefined && x !== false) el.append(x instanceof Node ? x : String(x));
    });
    return el;
  }
  function num(v) { return v === null || v === undefined ? "unknown" : v.toLocaleString("en-US"); }
  function table(head, rows, numeric) {
    return h("table", { "class": "kv" },
      h("tr", null, head.map(function (c) { return h("th", null, c); })),
      rows.map(function (r) {
        return h("tr", null, r.map(function (c, i) {
          return h("td", numeric && numeric.indexOf(i) >= 0 ? { "class": "num" } : null, c);
        }));
      }));
  }
  function link(text, id) {
    return h("button", { "class": "link", type: "button", "data-node": id,
      onclick: function () { select(id); } }, text);
  }
  function tensors(list) {
    return table(["tensor", "shape", "dtype"], list.map(function (t) {
      return [h("code", { "class": "name" }, t[0]), h("code", { "class": "shape" }, t[1]), t[2] || "?"];
    }));
  }
  function findingCard(f) {
    var where = f.layers.length ? f.layers.join(", ") : "the whole model";
    var rule = data.rules[f.code];
    return h("div", { "class": "finding " + f.severity },
      h("div", null, h("span", { "class": "sev " + f.severity }, f.severity), " ",
        h("span", { "class": "code" }, f.code), " ", f.name),
      h("div", null, f.message),
      h("div", { "class": "actions" },
        f.layers.map(function (l) { return byLayer[l] ? link(l, byLayer[l][0]) : null; }),
        rule ? h("button", { "class": "link", type: "button", onclick: function () { showRule(f.code); } },
          "rule documentation") : null));
  }
  function showRule(code) {
    var r = data.rules[code];
    document.getElementById("rule-title").textContent = code + " " + r.name + " (" + r.severity + ")";
    document.getElementById("rule-text").textContent = r.doc;
    document.getElementById("rule-doc").showModal();
  }
  function findingsOf(paths) {
    var set = new Set(paths);
    return data.findings.filter(function (f) {
      return f.layers.some(function (l) {
        return set.has(l) || paths.some(function (p) { return l.indexOf(p + "/") === 0; });
      });
    });
  }
  function showDetails() {
    var box = document.getElementById("details");
    box.replaceChildren();
    if (!selected) {
      var src = data.source;
      fill(box, [h("h2", null, data.name),
        h("div", { "class": "sub" }, data["class"] + " · " + src.format +
          (src.keras_version ? " · Keras " + src.keras_version : "")),
        h("div", { "class": "sub mono" }, src.path),
        h("h3", null, "Parameters"),
        table(["total", "trainable", "non-trainable"], [[num(data.params), num(data.trainable_params),
          data.params === null || data.trainable_params === null ? "unknown"
            : num(data.params - data.trainable_params)]], [0, 1, 2]),
        h("h3", null, "Inputs"), tensors(data.inputs),
        h("h3", null, "Outputs"), tensors(data.outputs),
        h("p", { "class": "sub" }, "Select a node for its config, shapes, parameters and weights; " +
          "click a block to open it. Press ? for the keyboard.")]);
      return;
    }
    var n = data.nodes[selected];
    var opened = n.opens && open.has(n.opens);
    var toggleButton = n.opens ? h("button", { type: "button", id: "toggle-open",
      onclick: function () { toggle(selected); showDetails(); } }, opened ? "Close" : "Open") : null;
    if (n.kind === "block") {
      var members = (children[n.opens] || []);
      fill(box, [h("h2", null, n.name),
        h("div", { "class": "sub" }, "block of " + n.layers.length + " layers · " + num(n.params) + " parameters"),
        h("div", { "class": "actions" }, toggleButton),
        findingsBlock(n.layers),
        h("h3", null, "Layers"),
        h("ul", { "class": "plain" }, members.map(function (id) {
          return h("li", null, link(data.nodes[id].name, id), " ",
            h("span", { "class": "sub" }, data.nodes[id]["class"]));
        }))]);
      return;
    }
    var path = n.layers[0], layer = data.layers[path];
    var call = layer.calls[n.call] || { inputs: [], outputs: [] };
    var nonTrainable = layer.params === null || layer.trainable_params === null ? null
      : layer.params - layer.trainable_params;
    fill(box, [h("h2", null, n.name),
      h("div", { "class": "sub" }, layer["class"] + (layer.module ? " · " + layer.module : "") +
        (n.calls > 1 ? " · call " + (n.call + 1) + " of " + n.calls : "") +
        (layer.trainable ? "" : " · frozen")),
      path !== n.name ? h("div", { "class": "sub mono" }, path) : null,
      toggleButton ? h("div", { "class": "actions" }, toggleButton) : null,
      findingsBlock([path]),
      n.kind === "input" ? null : [h("h3", null, "Inputs"), tensors(call.inputs)],
      h("h3", null, "Outputs"), tensors(call.outputs),
      n.kind === "input" ? null : [h("h3", null, "Parameters"),
        table(["total", "trainable", "non-trainable"],
          [[num(layer.params), num(layer.trainable_params), num(nonTrainable)]], [0, 1, 2])],
      layer.weights.length ? [h("h3", null, "Weights"), table(["name", "shape", "dtype"],
        layer.weights.map(function (w) {
          return [h("code", { "class": "name" }, w[0]), h("code", { "class": "shape" }, w[1]),
            w[2] + (w[3] ? "" : " · frozen")];
        }))] : null,
      n.calls > 1 ? [h("h3", null, "Shared: " + n.calls + " calls, one set of weights"),
        h("ul", { "class": "plain" }, byLayer[path].map(function (id, i) {
          return h("li", null, id === selected ? "call " + (i + 1) + " (this one)" : link("call " + (i + 1), id));
        }))] : null,
      h("details", { open: "" }, h("summary", null, "Config"),
        h("pre", { "class": "config" }, JSON.stringify(layer.config, null, 2)))]);
  }
  function findingsBlock(paths) {
    var found = findingsOf(paths);
    return found.length ? [h("h3", null, "Findings"), found.map(findingCard)] : null;
  }
  function showFindings() {
    var box = document.getElementById("findings");
    if (!data.linted) {
      fill(box, [h("h3", null, "Findings"),
        h("p", { "class": "sub" }, "Not linted: render with --lint to see the findings here.")]);
      return;
    }
    fill(box, [h("h3", null, "Findings (" + data.findings.length + ")"),
      data.findings.length ? data.findings.map(function (f) {
        var first = f.layers.length && byLayer[f.layers[0]] ? byLayer[f.layers[0]][0] : null;
        return h("button", { type: "button", "class": "finding " + f.severity,
          title: first ? "Select " + f.layers[0] : "A finding on the whole model",
          onclick: function () { if (first) select(first); } },
          h("div", null, h("span", { "class": "sev " + f.severity }, f.severity), " ",
            h("span", { "class": "code" }, f.code), " ", f.name),
          h("div", { "class": "where" }, f.layers.length ? f.layers.join(", ") : "whole model"),
          h("div", null, f.message));
      }) : h("p", { "class": "sub" }, "No findings.")]);
  }

  // -- toolbar, keyboard, theme ----------------------------------------------------------------
  var themes = ["auto", "light", "dark"], themeButton = document.getElementById("theme");
  function setTheme(t) {
    if (t === "auto") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = t;
    themeButton.textContent = "Theme: " + t;
    try { localStorage.setItem("keras-inspector-theme", t); } catch (err) { /* storage is off */ }
  }
  function nextTheme() {
    var t = document.documentElement.dataset.theme || "auto";
    setTheme(themes[(themes.indexOf(t) + 1) % themes.length]);
  }
  function openAll(yes) {
    Object.keys(data.views).forEach(function (v) { if (v !== ROOT) { if (yes) open.add(v); else open.delete(v); } });
    if (!yes && selected && data.nodes[selected].view !== ROOT) selected = null;
    relayout(); fit(); showDetails();
  }
  function stepNode(delta) {
    var i = selected ? order.indexOf(selected) : -1;
    if (i < 0 && selected) { // a block: go to its first member
      var first = order.find(function (id) { return data.nodes[id].view === data.nodes[selected].opens; });
      i = first ? order.indexOf(first) - (delta > 0 ? 1 : 0) : -1;
    }
    select(order[(i + delta + order.length) % order.length]);
  }
  document.getElementById("zoom-in").addEventListener("click", function () { zoomCenter(1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomCenter(0.8); });
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("expand-all").addEventListener("click", function () { openAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { openAll(false); });
  themeButton.addEventListener("click", nextTheme);
  document.getElementById("help-button").addEventListener("click", function () {
    document.getElementById("help").showModal();
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
    if (t.tagName === "INPUT" || t.tagName === "TEXTAREA") return;
    var onButton = t.tagName === "BUTTON" || t.tagName === "SUMMARY";
    var keys = {
      "/": function () { search.focus(); search.select(); },
      "+": function () { zoomCenter(1.25); }, "=": function () { zoomCenter(1.25); },
      "-": function () { zoomCenter(0.8); }, "0": fit, "f": fit,
      "ArrowLeft": function () { pan(-60, 0); }, "ArrowRight": function () { pan(60, 0); },
      "ArrowUp": function () { pan(0, -60); }, "ArrowDown": function () { pan(0, 60); },
      "n": function () { stepNode(1); }, "j": function () { stepNode(1); },
      "p": function () { stepNode(-1); }, "k": function () { stepNode(-1); },
      "e": function () { openAll(true); }, "c": function () { openAll(false); },
      "t": nextTheme, "?": function () { document.getElementById("help").showModal(); },
      "Escape": function () { select(null); },
      "Enter": function () { if (!onButton && selected && data.nodes[selected].opens) { toggle(selected); showDetails(); } },
    };
    var action = keys[e.key.length === 1 ? e.key.toLowerCase() : e.key] || keys[e.key];
    if (!action || (onButton && e.key === "Enter")) return;
    if (e.key.indexOf("Arrow") === 0 && t !== stage && t !== document.body) return;
    e.preventDefault();
    action();
  });

  // -- start -----------------------------------------------------------------------------------
  try { var saved = localStorage.getItem("keras-inspector-theme"); if (saved) setTheme(saved); } catch (err) { /* off */ }
  var callCount = order.filter(function (id) { return data.nodes[id].kind !== "model"; }).length;
  document.getElementById("stats").textContent = data["class"] + " · " + callCount + " calls · " +
    num(data.params) + " parameters" + (data.linted ? " · " + data.findings.length + (data.findings.length === 1 ? " finding" : " findings") : "");
  data.open.forEach(function (v) { open.add(v); });
  relayout();
  start();
  showFindings();
  function fromHash() {
    var id = nodeOfHash(location.hash);
    if (id) select(id, { hash: false }); else showDetails();
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
  document.documentElement.dataset.ready = "true";
  // when the first frame is on screen: what benchmarks/render_bench.py reports as the render time
  requestAnimationFrame(function () { setTimeout(function () { performance.mark("inspector-painted"); }); });
})();
