/* Opening views in place (used by page.js): Graphviz laid every view out beforehand (the
 * top-level drawing, and each block's and nested model's own drawing). Opening a view stretches its
 * parent's drawing around the node it opens from: x and y each go through a piecewise-linear map
 * that widens the node's span to the size of the opened drawing, so edges stay attached and the
 * rest of the layout keeps its shape. Nothing is laid out anew in the browser. */
var KerasInspectorLayout = (function () {
  "use strict";
  var PAD = 12, LABEL = 18;
  var PAIR = /(-?\d*\.?\d+(?:e-?\d+)?),(-?\d*\.?\d+(?:e-?\d+)?)/g;

  /* `layout(view)` for the page's `data`, its view elements by id and the set of open view ids:
   * draws `view` with its open descendants, returns its extent in its own units. */
  return function (data, viewEls, open) {
    // -- geometry: each view's elements, parsed the first time it is laid out --------------------
    var geoms = {};
    function extent(pts, box) {
      box = box || { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
      pts.replace(PAIR, function (m, x, y) {
        x = +x; y = +y;
        if (x < box.x0) box.x0 = x; if (x > box.x1) box.x1 = x;
        if (y < box.y0) box.y0 = y; if (y > box.y1) box.y1 = y;
        return m;
      });
      return box;
    }
    function shapeAttr(el) { return el.tagName === "path" ? "d" : el.tagName === "polygon" ? "points" : null; }
    function geom(view) {
      if (geoms[view]) return geoms[view];
      var content = viewEls[view].querySelector(":scope > g.content");
      var b = viewEls[view].getAttribute("data-bounds").split(" ").map(Number);
      var g = { points: [], texts: [], nodes: [], hosts: [], dirty: false,
        bounds: { x0: b[0], y0: b[1], x1: b[2], y1: b[3] } };
      Array.prototype.forEach.call(content.children, function (el) {
        if (el.tagName === "polygon") { // a background, drawn when the theme has a colour
          g.points.push({ el: el, attr: "points", orig: el.getAttribute("points") });
        } else if (el.classList.contains("node")) {
          var box = null;
          Array.prototype.forEach.call(el.children, function (s) {
            var a = shapeAttr(s);
            if (a) box = extent(s.getAttribute(a), box);
          });
          var id = el.id.slice(5), n = data.nodes[id];
          var entry = { el: el, id: id, cx: (box.x0 + box.x1) / 2, cy: (box.y0 + box.y1) / 2 };
          g.nodes.push(entry);
          if (n && n.opens) g.hosts.push({ id: id, view: n.opens, x0: box.x0, y0: box.y0, x1: box.x1, y1: box.y1 });
        } else if (el.classList.contains("edge") || el.classList.contains("cluster")) {
          el.querySelectorAll("path, polygon, text").forEach(function (s) {
            if (s.tagName === "text") {
              g.texts.push({ el: s, x: +s.getAttribute("x"), y: +s.getAttribute("y") });
            } else {
              var entry = { el: s, attr: shapeAttr(s), orig: s.getAttribute(shapeAttr(s)) };
              if (s.tagName === "polygon" && el.classList.contains("edge")) { // an arrowhead moves whole
                var box = extent(entry.orig);
                entry.cx = (box.x0 + box.x1) / 2; entry.cy = (box.y0 + box.y1) / 2;
              }
              g.points.push(entry);
            }
          });
        }
      });
      geoms[view] = g;
      return g;
    }
    function r2(v) { return Math.round(v * 100) / 100; }
    function clamp01(v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

    /* The map of one axis: opened nodes whose spans overlap (a rank of side-by-side blocks in y,
     * a chain of blocks in x) stretch their spans' union once. In x (`shift` 0.5: both ways) the
     * union grows to the widest frame, centred; in y (`shift` 0: downwards) it grows until every
     * node's own span holds its frame, so a frame's top meets the edges coming in. */
    function axis(stretches, lo, hi, size, shift) {
      var spans = stretches.map(function (s) { return { a: s.h[lo], b: s.h[hi], need: s[size] }; })
        .sort(function (p, q) { return p.a - q.a; });
      var groups = [];
      spans.forEach(function (s) {
        var last = groups[groups.length - 1];
        if (last && s.a < last.b) { last.b = Math.max(last.b, s.b); last.members.push(s); }
        else groups.push({ a: s.a, b: s.b, members: [s] });
      });
      groups = groups.filter(function (gr) {
        var len = gr.b - gr.a;
        gr.e = Math.max.apply(null, gr.members.map(function (s) {
          return shift ? s.need - len : (s.need / Math.max(s.b - s.a, 1) - 1) * len;
        }));
        return gr.e > 0;
      });
      return function (v) {
        var d = 0;
        for (var i = 0; i < groups.length; i++) {
          var gr = groups[i];
          d += gr.e * (clamp01((v - gr.a) / (gr.b - gr.a)) - shift);
        }
        return v + d;
      };
    }

    /* Lay `view` out with its opened descendants; returns its extent in its own units. */
    function layout(view) {
      var g = geom(view), stretches = [];
      g.hosts.forEach(function (h) {
        var el = viewEls[h.view];
        if (!open.has(h.view)) { el.style.display = "none"; return; }
        var b = layout(h.view);
        var fw = b.x1 - b.x0 + 2 * PAD, fh = b.y1 - b.y0 + 2 * PAD + LABEL;
        stretches.push({ h: h, b: b, fw: fw, fh: fh });
      });
      if (!stretches.length && !g.dirty) return g.bounds;
      var X = axis(stretches, "x0", "x1", "fw", 0.5), Y = axis(stretches, "y0", "y1", "fh", 0);
      var identity = !stretches.length;
      g.points.forEach(function (p) {
        var dx = 0, dy = 0, rigid = p.cx !== undefined;
        if (rigid && !identity) { dx = X(p.cx) - p.cx; dy = Y(p.cy) - p.cy; }
        p.el.setAttribute(p.attr, identity ? p.orig : p.orig.replace(PAIR, function (m, x, y) {
          return rigid ? r2(+x + dx) + "," + r2(+y + dy) : r2(X(+x)) + "," + r2(Y(+y));
        }));
      });
      g.texts.forEach(function (t) {
        t.el.setAttribute("x", identity ? t.x : r2(X(t.x)));
        t.el.setAttribute("y", identity ? t.y : r2(Y(t.y)));
      });
      g.nodes.forEach(function (n) {
        var dx = identity ? 0 : X(n.cx) - n.cx, dy = identity ? 0 : Y(n.cy) - n.cy;
        if (dx || dy) n.el.setAttribute("transform", "translate(" + r2(dx) + "," + r2(dy) + ")");
        else n.el.removeAttribute("transform");
        var opens = data.nodes[n.id] && data.nodes[n.id].opens;
        n.el.style.display = opens && open.has(opens) ? "none" : "";
      });
      stretches.forEach(function (s) {
        var el = viewEls[s.h.view], b = s.b;
        var fx = b.x0 - PAD, fy = b.y0 - PAD - LABEL;
        var cx = (X(s.h.x0) + X(s.h.x1)) / 2, top = Y(s.h.y0);
        el.setAttribute("transform", "translate(" + r2(cx - (fx + s.fw / 2)) + "," + r2(top - fy) + ")");
        var frame = el.querySelector(":scope > rect.frame"), label = el.querySelector(":scope > text.frame-label");
        frame.setAttribute("x", r2(fx)); frame.setAttribute("y", r2(fy));
        frame.setAttribute("width", r2(s.fw)); frame.setAttribute("height", r2(s.fh));
        label.setAttribute("x", r2(fx + 8)); label.setAttribute("y", r2(fy + 14));
        el.style.display = "";
      });
      g.dirty = !identity;
      return { x0: X(g.bounds.x0), y0: Y(g.bounds.y0), x1: X(g.bounds.x1), y1: Y(g.bounds.y1) };
    }

    return layout;
  };
})();
