// Draws the access points (GeoJSON in #ap-map's data-points) on a Leaflet map, one coloured circle each.
// Tiles are optional: without a tile URL (or without a network) the circles still stand on a blank map.
(function () {
  "use strict";
  var COLOURS = {up: "#1a9850", busy: "#f28e2b", down: "#d73027", never: "#8c8c8c"};
  var element = document.getElementById("ap-map");
  if (!element || typeof L === "undefined") {
    return;
  }
  var points = JSON.parse(element.dataset.points);
  var labels = JSON.parse(element.dataset.labels || "{}");
  var map = L.map(element, {scrollWheelZoom: false});
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {maxZoom: 19, attribution: element.dataset.tileAttribution}).addTo(map);
  }

  function popup(properties) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = properties.name;
    box.appendChild(title);
    var lines = [properties.location, labels[properties.state] || properties.state];
    if (properties.active_sessions !== undefined) {
      lines.push(properties.active_sessions + " " + (labels.sessions || ""));
    }
    lines.forEach(function (text) {
      if (text) {
        box.appendChild(document.createElement("br"));
        box.appendChild(document.createTextNode(text));
      }
    });
    if (element.dataset.detailUrl) {
      var link = document.createElement("a");
      link.href = element.dataset.detailUrl.replace(/\/0$/, "/" + properties.nas_id);
      link.textContent = labels.details || properties.name;
      link.className = "ap-map-link";
      box.appendChild(document.createElement("br"));
      box.appendChild(link);
    }
    return box;
  }

  var layer = L.geoJSON(points, {
    pointToLayer: function (feature, latlng) {
      var colour = COLOURS[feature.properties.state] || COLOURS.never;
      return L.circleMarker(latlng, {radius: 9, color: "#222", weight: 1, fillColor: colour, fillOpacity: 0.9,
                                     className: "ap-marker ap-marker-" + feature.properties.state});
    },
    onEachFeature: function (feature, marker) {
      marker.bindPopup(popup(feature.properties));
      marker.bindTooltip(feature.properties.name);
    }
  }).addTo(map);
  if (points.features.length) {
    map.fitBounds(layer.getBounds(), {padding: [30, 30], maxZoom: 16});
  } else {
    map.setView([0, 0], 2);
  }
}());
