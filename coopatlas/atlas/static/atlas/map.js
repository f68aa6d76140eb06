/* Partnership map: offline country outlines, links grouped so 10,000 stay readable.
 *
 * Authorities close to each other on screen are grouped in one marker (a grid of CELL
 * pixels, recomputed at each zoom); the links between two groups are drawn as one line,
 * thicker when it carries more partnerships. Every text from the data is inserted with
 * textContent, never as HTML. Links only to paths of this site.
 */
(function () {
  "use strict";

  var CELL = 56;            // grid cell in screen pixels
  var LIST_MAX = 8;         // names listed in a popup before "and N others"

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function sitePath(url) {
    return (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") ? url : null;
  }

  function link(text, url) {
    var path = sitePath(url);
    if (!path) { return el("span", null, text); }
    var a = el("a", null, text);
    a.setAttribute("href", path);
    return a;
  }

  // The selector shortens property names to keep a big map light (see its "keys"):
  // points n name, u page, c country, k side; lines t title, u page.
  function isFrench(props) {
    if (!props) { return false; }
    if (props.k) { return props.k === "fr"; }
    if (props.is_french !== undefined) { return !!props.is_french; }
    var country = props.c || props.country_iso2 || props.country;
    if (country && typeof country === "object") { country = country.iso2; }
    return country === "FR" || props.side === "french";
  }

  function nameOf(props) {
    return props.n || props.name || props.title || props.label || "";
  }

  function format(template, n) {
    return template.replace("%(n)s", String(n));
  }

  function AtlasMap(node) {
    this.node = node;
    this.labels = node.dataset;
    this.points = [];   // {latlng, name, url, french}
    this.lines = [];    // {a, b, title, url}
    this.map = L.map(node, {
      preferCanvas: true, worldCopyJump: true, minZoom: 1, maxZoom: 12,
      zoomSnap: 0.5, keyboard: true, attributionControl: true
    });
    this.map.attributionControl.setPrefix(false);
    this.map.setView([25, 10], 2);
    this.layer = L.layerGroup().addTo(this.map);
    if (node.dataset.tileUrl) {
      L.tileLayer(node.dataset.tileUrl, {attribution: node.dataset.tileAttribution || ""})
        .addTo(this.map);
    }
    this.loadBasemap();
    this.loadData();
    var self = this;
    // Redrawing removes the markers, so it waits while a popup is open (autoPan moves the
    // map when a popup opens, which must not close that popup).
    this.popupOpen = false;
    this.dirty = false;
    this.map.on("popupopen", function () { self.popupOpen = true; });
    this.map.on("popupclose", function () {
      self.popupOpen = false;
      if (self.dirty) { self.dirty = false; self.render(); }
    });
    this.map.on("zoomend moveend", function () {
      if (self.popupOpen) { self.dirty = true; } else { self.render(); }
    });
    // A focused marker near the edge makes the browser scroll the map's box: undo it.
    node.addEventListener("focusin", function () { node.scrollTop = 0; node.scrollLeft = 0; });
  }

  AtlasMap.prototype.fail = function () {
    var message = el("p", "fr-error-text atlas-map-error", this.labels.labelError);
    message.setAttribute("role", "status");
    this.node.parentNode.insertBefore(message, this.node.nextSibling);
  };

  AtlasMap.prototype.loadBasemap = function () {
    var self = this;
    if (this.node.dataset.tileUrl || !this.node.dataset.basemapUrl) { return; }
    fetch(this.node.dataset.basemapUrl).then(function (r) { return r.json(); }).then(function (data) {
      L.geoJSON(data, {
        interactive: false,
        style: {color: "#8a8a8a", weight: 0.6, fillColor: "#f6f6f6", fillOpacity: 1}
      }).addTo(self.map).bringToBack();
      self.map.attributionControl.addAttribution("Natural Earth");
    }).catch(function () { /* the data layer stays usable without outlines */ });
  };

  AtlasMap.prototype.loadData = function () {
    var self = this;
    fetch(this.node.dataset.geojsonUrl, {headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { self.setData(data); })
      .catch(function () { self.fail(); });
  };

  AtlasMap.prototype.setData = function (data) {
    var self = this;
    var seen = {};
    (data.features || []).forEach(function (feature) {
      var g = feature.geometry || {};
      var p = feature.properties || {};
      if (g.type === "Point" && g.coordinates) {
        var key = g.coordinates.join(",") + "|" + nameOf(p);
        if (seen[key]) { return; }
        seen[key] = true;
        self.points.push({latlng: L.latLng(g.coordinates[1], g.coordinates[0]),
                          name: nameOf(p), url: p.u || p.html_url, french: isFrench(p),
                          w: p.w || 1});
      } else if (g.type === "LineString" && g.coordinates && g.coordinates.length >= 2) {
        var first = g.coordinates[0], last = g.coordinates[g.coordinates.length - 1];
        self.lines.push({a: L.latLng(first[1], first[0]), b: L.latLng(last[1], last[0]),
                         title: p.t || p.title || p.name || "", url: p.u || p.html_url,
                         w: p.w || 1});
      }
    });
    // An overview (large scale) groups partnerships by French région and partner country:
    // each feature then stands for `w` partnerships, and counts are of partnerships.
    this.overview = !!data.overview;
    this.node.setAttribute("data-loaded", String(this.lines.length));
    var all = this.points.map(function (pt) { return pt.latlng; });
    this.lines.forEach(function (ln) { all.push(ln.a, ln.b); });
    if (all.length) {
      this.map.fitBounds(L.latLngBounds(all).pad(0.1), {maxZoom: 6});
    }
    this.render();
  };

  AtlasMap.prototype.cellOf = function (latlng, zoom) {
    var px = this.map.project(latlng, zoom);
    return Math.floor(px.x / CELL) + ":" + Math.floor(px.y / CELL);
  };

  AtlasMap.prototype.group = function (zoom) {
    var self = this;
    var cells = {};
    function cell(latlng) {
      var key = self.cellOf(latlng, zoom);
      if (!cells[key]) { cells[key] = {key: key, lat: 0, lng: 0, n: 0, w: 0, items: [], french: 0}; }
      return cells[key];
    }
    this.points.forEach(function (pt) {
      var c = cell(pt.latlng);
      c.lat += pt.latlng.lat; c.lng += pt.latlng.lng; c.n += 1; c.w += pt.w;
      c.items.push(pt);
      if (pt.french) { c.french += 1; }
    });
    var links = {};
    this.lines.forEach(function (ln) {
      var ca = cell(ln.a), cb = cell(ln.b);
      [[ca, ln.a], [cb, ln.b]].forEach(function (pair) {
        if (pair[0].n === 0 && !pair[0].fallback) { pair[0].fallback = pair[1]; }
      });
      var key = ca.key < cb.key ? ca.key + "|" + cb.key : cb.key + "|" + ca.key;
      if (!links[key]) { links[key] = {from: ca, to: cb, items: [], w: 0}; }
      links[key].items.push(ln);
      links[key].w += ln.w;
    });
    Object.keys(cells).forEach(function (key) {
      var c = cells[key];
      c.latlng = c.n ? L.latLng(c.lat / c.n, c.lng / c.n) : c.fallback;
    });
    return {cells: cells, links: links};
  };

  AtlasMap.prototype.render = function () {
    if (!this.points.length && !this.lines.length) { return; }
    var self = this;
    var zoom = this.map.getZoom();
    var grouped = this.group(zoom);
    // Only markers in view: the keyboard's Tab order then stays on what the user sees.
    var view = this.map.getBounds();
    this.layer.clearLayers();
    var drawn = 0;
    Object.keys(grouped.links).forEach(function (key) {
      var g = grouped.links[key];
      if (!g.from.latlng || !g.to.latlng || g.from === g.to) { return; }
      var weight = Math.min(1.5 + Math.log(g.w) * 1.3, 9);
      var line = L.polyline([g.from.latlng, g.to.latlng], {
        color: "#000091", weight: weight, opacity: 0.45, interactive: true
      });
      line.bindPopup(function () { return self.linePopup(g); });
      self.layer.addLayer(line);
      drawn += g.w;
    });
    // Lets tests and assistive tooling know the drawing is done, and how much it holds.
    this.node.setAttribute("data-drawn", String(drawn));
    Object.keys(grouped.cells).forEach(function (key) {
      var c = grouped.cells[key];
      if (!c.n || !view.contains(c.latlng)) { return; }
      self.layer.addLayer(self.clusterMarker(c));
    });
  };

  AtlasMap.prototype.clusterMarker = function (c) {
    var self = this;
    var kind = c.french === c.n ? "fr" : (c.french === 0 ? "abroad" : "mixed");
    // Overview markers count partnerships; detailed ones count authorities.
    var count = this.overview ? c.w : c.n;
    var unit = this.overview ? this.labels.labelLinks : this.labels.labelAuthorities;
    // 24 px at least: the WCAG 2.2 target size on a phone (axe target-size).
    var size = count === 1 ? 24 : Math.min(26 + Math.sqrt(count) * 3, 56);
    var body = el("span", "atlas-cluster__count", count > 1 ? count : "");
    var title = c.n === 1 ? c.items[0].name : count + " " + unit;
    var marker = L.marker(c.latlng, {
      icon: L.divIcon({html: body, className: "atlas-cluster atlas-cluster--" + kind,
                       iconSize: [size, size]}),
      title: title, alt: title, keyboard: true, riseOnHover: true
    });
    marker.bindPopup(function () { return self.clusterPopup(c); });
    return marker;
  };

  AtlasMap.prototype.listOf = function (items, textOf) {
    var list = el("ul", "atlas-popup__list");
    items.slice(0, LIST_MAX).forEach(function (item) {
      var li = el("li");
      li.appendChild(link(textOf(item), item.url));
      list.appendChild(li);
    });
    return list;
  };

  AtlasMap.prototype.more = function (box, total) {
    if (total > LIST_MAX) { box.appendChild(el("p", "atlas-popup__more", format(this.labels.labelMore, total - LIST_MAX))); }
  };

  AtlasMap.prototype.clusterPopup = function (c) {
    var self = this;
    var box = el("div", "atlas-popup");
    if (c.n === 1) {
      var heading = el("p", "atlas-popup__title");
      heading.appendChild(link(c.items[0].name, c.items[0].url));
      box.appendChild(heading);
      return box;
    }
    box.appendChild(el("p", "atlas-popup__title", this.overview
      ? c.w + " " + this.labels.labelLinks : c.n + " " + this.labels.labelAuthorities));
    var sorted = c.items.slice().sort(function (x, y) { return x.name.localeCompare(y.name); });
    box.appendChild(this.listOf(sorted, function (pt) { return pt.name; }));
    this.more(box, c.n);
    var zoom = el("button", "fr-btn fr-btn--sm fr-btn--secondary", this.labels.labelZoom);
    zoom.type = "button";
    zoom.addEventListener("click", function () {
      self.map.fitBounds(L.latLngBounds(c.items.map(function (pt) { return pt.latlng; })).pad(0.3));
    });
    box.appendChild(zoom);
    return box;
  };

  AtlasMap.prototype.linePopup = function (g) {
    var box = el("div", "atlas-popup");
    box.appendChild(el("p", "atlas-popup__title", g.w + " " + this.labels.labelLinks));
    var sorted = g.items.slice().sort(function (x, y) { return x.title.localeCompare(y.title); });
    box.appendChild(this.listOf(sorted, function (ln) { return ln.title; }));
    this.more(box, g.items.length);
    return box;
  };

  // Leaflet (40 KB) and the basemap are fetched only when a map comes near the screen, and
  // never in low-bandwidth mode (light.js): the list below the map says the same (issue 13).
  var leafletLoading = null;

  function loadLeaflet(src) {
    if (typeof L !== "undefined") { return Promise.resolve(); }
    if (!leafletLoading) {
      leafletLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return leafletLoading;
  }

  function draw(node) {
    if (node.atlasMap || node.dataset.pending) { return; }
    node.dataset.pending = "1";
    loadLeaflet(node.dataset.leafletUrl).then(function () {
      node.atlasMap = new AtlasMap(node);
    }).catch(function () {
      node.appendChild(el("p", "fr-p-2w", node.dataset.labelError));
    });
  }

  function start() {
    var light = document.documentElement.hasAttribute("data-atlas-light");
    document.querySelectorAll("[data-atlas-map]").forEach(function (node) {
      if (light) {
        node.setAttribute("hidden", "");
        return;
      }
      if (!("IntersectionObserver" in window)) { draw(node); return; }
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) { observer.disconnect(); draw(node); }
        });
      }, {rootMargin: "200px"});
      observer.observe(node);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
