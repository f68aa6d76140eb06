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
  var LABEL_MAX_ZOOM = 5;   // country names on the basemap up to this zoom only
  // A name shows from the zoom its country's largest outline in the shipped basemap reaches
  // (square degrees): large countries at world zoom, small ones closer, and territories the
  // 1:110m basemap does not draw (Anguilla, Bermuda…) only from zoom 4.
  var LABEL_MIN_ZOOM = [[20, 1], [2, 2], [0.3, 3]];
  var LABEL_SMALL_ZOOM = 4;

  function labelMinZoom(area) {
    for (var i = 0; i < LABEL_MIN_ZOOM.length; i++) {
      if (area >= LABEL_MIN_ZOOM[i][0]) { return LABEL_MIN_ZOOM[i][1]; }
    }
    return LABEL_SMALL_ZOOM;
  }

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
    this.loadLabels();
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
      self.renderLabels();
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
      self.placeLabels(data);
      self.map.attributionControl.addAttribution("Natural Earth");
    }).catch(function () { /* the data layer stays usable without outlines */ });
  };

  // Country names on the basemap (issue 13), from the page's own data in its language
  // (json_script beside the map): at low zoom only, in a pane above the outlines and lines
  // but under the markers, hidden from assistive technology (the list after the map says
  // it all), and a name that would overlap one already placed is left out.
  AtlasMap.prototype.loadLabels = function () {
    var self = this;
    this.countryNames = {};
    this.countryLabels = [];
    this.activeCountries = {};
    var script = document.getElementById(this.node.id + "-labels");
    if (!script) { return; }
    var rows;
    try { rows = JSON.parse(script.textContent); } catch (e) { return; }
    rows.forEach(function (r) {
      self.countryNames[r[0]] = r[1];
      if (r[2] !== null && r[3] !== null) {
        self.countryLabels.push({iso: r[0], name: r[1], latlng: L.latLng(r[2], r[3]), aid: r[4] ? 1 : 0,
                                 minZoom: LABEL_SMALL_ZOOM});
      }
    });
    var pane = this.map.createPane("atlas-labels");
    pane.style.zIndex = 450;
    pane.style.pointerEvents = "none";
    pane.setAttribute("aria-hidden", "true");
    this.labelLayer = L.layerGroup().addTo(this.map);
    this.renderLabels();
  };

  // A name sits at the centre of its country's largest outline (the shipped point is a
  // capital, often near a coast or a border); countries without an outline keep it.
  AtlasMap.prototype.placeLabels = function (data) {
    var centres = {};
    (data.features || []).forEach(function (f) {
      var iso = f.properties && f.properties.iso2, g = f.geometry;
      if (!iso || !g) { return; }
      var polygons = g.type === "Polygon" ? [g.coordinates] : (g.type === "MultiPolygon" ? g.coordinates : []);
      var best = null;
      polygons.forEach(function (poly) {
        var ring = poly[0], a = 0, cx = 0, cy = 0;
        for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          var cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
          a += cross; cx += (ring[j][0] + ring[i][0]) * cross; cy += (ring[j][1] + ring[i][1]) * cross;
        }
        if (a !== 0 && (!best || Math.abs(a) > best.a)) { best = {a: Math.abs(a), x: cx / (3 * a), y: cy / (3 * a)}; }
      });
      if (best) { centres[iso] = {latlng: L.latLng(best.y, best.x), minZoom: labelMinZoom(best.a / 2)}; }
    });
    this.countryLabels.forEach(function (c) {
      var centre = centres[c.iso];
      if (centre) { c.latlng = centre.latlng; c.minZoom = centre.minZoom; }
    });
    this.renderLabels();
  };

  AtlasMap.prototype.renderLabels = function () {
    if (!this.labelLayer) { return; }
    this.labelLayer.clearLayers();
    // Online tiles carry their own names.
    if (this.node.dataset.tileUrl || this.map.getZoom() > LABEL_MAX_ZOOM) { return; }
    var self = this;
    var view = this.map.getBounds();
    var size = this.map.getSize();
    // The markers' places are taken first: a name never hides under a marker.
    var placed = this.points.map(function (pt) {
      var m = self.map.latLngToContainerPoint(pt.latlng);
      return {x1: m.x - 13, x2: m.x + 13, y1: m.y - 13, y2: m.y + 13};
    });
    // Countries of the data first, then aid recipients: the names a visitor looks for.
    function rank(c) { return (self.activeCountries[c.iso] ? 2 : 0) + c.aid; }
    var ordered = this.countryLabels.slice().sort(function (a, b) { return rank(b) - rank(a); });
    var markers = placed.length;
    var zoom = this.map.getZoom();
    ordered.forEach(function (c) {
      if (zoom < c.minZoom || !view.contains(c.latlng)) { return; }
      var p = self.map.latLngToContainerPoint(c.latlng);
      var w = Math.ceil(c.name.length * 6.4) + 8, h = 16;
      var box = {x1: p.x - w / 2, x2: p.x + w / 2, y1: p.y - h / 2, y2: p.y + h / 2};
      if (box.x1 < 0 || box.y1 < 0 || box.x2 > size.x || box.y2 > size.y) { return; }
      for (var i = 0; i < placed.length; i++) {
        var q = placed[i];
        if (box.x1 < q.x2 && box.x2 > q.x1 && box.y1 < q.y2 && box.y2 > q.y1) { return; }
      }
      placed.push(box);
      self.labelLayer.addLayer(L.marker(c.latlng, {
        icon: L.divIcon({className: "atlas-country-label", html: el("span", null, c.name),
                         iconSize: [w, h]}),
        pane: "atlas-labels", interactive: false, keyboard: false
      }));
    });
    this.node.setAttribute("data-labels", String(placed.length - markers));
  };

  AtlasMap.prototype.countryName = function (iso) {
    return (iso && this.countryNames[iso]) || iso || "";
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
    this.partnersOf = {};
    (data.features || []).forEach(function (feature) {
      var g = feature.geometry || {};
      var p = feature.properties || {};
      if (g.type === "Point" && g.coordinates) {
        var key = g.coordinates.join(",") + "|" + nameOf(p);
        if (seen[key]) { return; }
        seen[key] = true;
        self.points.push({latlng: L.latLng(g.coordinates[1], g.coordinates[0]),
                          name: nameOf(p), url: p.u || p.html_url, french: isFrench(p),
                          w: p.w || 1, iso: p.c, key: key});
        if (p.c && p.c !== "FR") { self.activeCountries[p.c] = true; }
      } else if (g.type === "LineString" && g.coordinates && g.coordinates.length >= 2) {
        var first = g.coordinates[0], last = g.coordinates[g.coordinates.length - 1];
        var line = {a: L.latLng(first[1], first[0]), b: L.latLng(last[1], last[0]),
                    title: p.t || p.title || p.name || "", url: p.u || p.html_url,
                    w: p.w || 1, french: p.f, partner: p.p, partnerIso: p.pc};
        self.lines.push(line);
        // Each end's partnerships, for its popup: who works with whom.
        if (p.f && p.p) {
          var ends = [[first.join(",") + "|" + p.f, p.p + " (" + self.countryName(p.pc) + ")"],
                      [last.join(",") + "|" + p.p, p.f]];
          ends.forEach(function (end) {
            (self.partnersOf[end[0]] = self.partnersOf[end[0]] || []).push({name: end[1], url: line.url});
          });
        }
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
    this.renderLabels();
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
      var pt = c.items[0];
      var heading = el("p", "atlas-popup__title");
      heading.appendChild(link(pt.french || !pt.iso || this.overview ? pt.name : pt.name + " (" + this.countryName(pt.iso) + ")", pt.url));
      box.appendChild(heading);
      var partners = (this.partnersOf || {})[pt.key] || [];
      if (partners.length) {
        box.appendChild(el("p", "atlas-popup__sub", this.labels.labelPartnersOf));
        box.appendChild(this.listOf(partners, function (x) { return x.name; }));
        this.more(box, partners.length);
      }
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
    var self = this;
    // Both parties, the partner with its country; the partnership's title when it says more.
    box.appendChild(this.listOf(sorted, function (ln) {
      if (!ln.french || !ln.partner) { return ln.title; }
      return ln.french + " – " + ln.partner + " (" + self.countryName(ln.partnerIso) + ")";
    }));
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
