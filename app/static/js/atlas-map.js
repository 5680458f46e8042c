// 红色地图: Leaflet over the configured tile server, or over the platform's own base layer (a
// graticule and reference cities from base.json) when none is set: then nothing leaves the site.
// The points in view come from /api/v1/map/places?bbox=..., asked again when the view moves.
(function () {
  "use strict";
  var el = document.getElementById("hk-map");
  if (!el || !window.L) return;
  var d = el.dataset;
  var map = L.map(el, { maxZoom: Number(d.maxZoom) || 18, worldCopyJump: false }).setView(
    [Number(d.lat), Number(d.lng)], Number(d.zoom)
  );
  map.attributionControl.setPrefix("");

  if (d.tileUrl) {
    L.tileLayer(d.tileUrl, { attribution: d.tileAttribution || "", maxZoom: Number(d.maxZoom) || 18 }).addTo(map);
  } else {
    el.style.background = "#f4f1ea";
    var lines = [];
    for (var lng = 70; lng <= 140; lng += 5) lines.push([[10, lng], [55, lng]]);
    for (var lat = 10; lat <= 55; lat += 5) lines.push([[lat, 70], [lat, 140]]);
    L.polyline(lines, { color: "#c9bfae", weight: 1, interactive: false }).addTo(map);
    fetch(d.baseUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        L.geoJSON(geo, {
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, { radius: 3, color: "#8a7f6c", weight: 1, fillOpacity: 0.6, interactive: false })
              .bindTooltip(feature.properties.name, { permanent: map.getZoom() >= 5, direction: "right", className: "hk-map-city" });
          },
        }).addTo(map);
      });
  }

  function popup(p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.name;
    box.appendChild(title);
    [p.kind_label, p.address, p.contact].forEach(function (text) {
      if (!text) return;
      var line = document.createElement("div");
      line.className = "small";
      line.textContent = text;
      box.appendChild(line);
    });
    if (p.type === "branch") {
      var link = document.createElement("a");
      link.href = d.branchUrl + p.id;
      link.textContent = d.labelDetails;
      box.appendChild(link);
    }
    return box;
  }

  var layer = L.layerGroup().addTo(map);
  var pending = null;
  function load() {
    if (pending) pending.abort();
    pending = new AbortController();
    var b = map.getBounds();
    var box = [
      Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth()),
    ].map(function (v) { return v.toFixed(6); }).join(",");
    fetch(d.pointsUrl + "?bbox=" + box, { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (!answer.success) return;
        layer.clearLayers();
        answer.data.branches.concat(answer.data.places).forEach(function (p) {
          var place = p.type === "place";
          L.circleMarker([p.lat, p.lng], {
            radius: place ? 7 : 6, color: place ? "#f0a500" : "#c8161d", weight: 2, fillOpacity: 0.8,
          }).bindPopup(popup(p)).addTo(layer);
        });
      })
      .catch(function () {});
  }
  map.on("moveend", load);
  load();
})();
