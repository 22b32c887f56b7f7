// Draws the features of a static GeoJSON file (styles and tooltips in their properties) into
// the parent group: those whose record id is in options.ids, or all when options.ids is null. What a rerun
// sends is then the ids, not the geometry. Popups (record id -> HTML, built escaped here) come
// from a second file, fetched on the first opening. Each file is fetched once per page (the
// map's frame outlives reruns); a failed fetch is forgotten, so the next use tries again.
window.planmapFetchedLayer = window.planmapFetchedLayer || function (group, options) {
    var ids = options.ids;
    var keep = ids === null ? null : new Set(ids);
    function load(url) {
        var cache = window.planmapFiles = window.planmapFiles || {};
        if (!cache[url]) {
            cache[url] = fetch(url).then(function (r) {
                if (!r.ok) { throw new Error(url + " " + r.status); }
                return r.json();
            });
            cache[url].catch(function () { delete cache[url]; });
        }
        return cache[url];
    }
    function bindPopup(feature, layer) {
        layer.bindPopup("<small>载入中…</small>", {maxWidth: 380});
        layer.on("popupopen", function (e) {
            load(options.popups).then(function (popups) {
                e.popup.setContent(popups[feature.properties.id] || "<small>（无详情）</small>");
            }, function () {
                e.popup.setContent("<small>详情载入失败，请关闭后再点一次。</small>");
            });
        });
    }
    // what this group draws, readable from the page: data-planmap-ids on the map element
    function mark(map) {
        var drawn = JSON.parse(map.getContainer().dataset.planmapIds || "{}");
        drawn[options.layer] = ids;
        map.getContainer().dataset.planmapIds = JSON.stringify(drawn);
    }
    if (group._map) { mark(group._map); } else { group.once("add", function () { mark(group._map); }); }
    window.planmapLoading = (window.planmapLoading || 0) + 1;  // layers still to draw
    // Points at one spot (30 projects at 果园港): each is reachable through a pick list that
    // any of them opens, so hover and click say the same whichever lies on top.
    function pickList(stack, latlng) {
        var map = group._map;
        var box = L.DomUtil.create("div", "planmap-pick");
        var head = L.DomUtil.create("div", "planmap-pick-head", box);
        head.textContent = stack.length + " 项重叠于此，点击查看：";
        var list = L.DomUtil.create("ol", "", box);
        list.style.cssText = "margin:4px 0 0 18px;padding:0;max-height:260px;overflow:auto";
        stack.forEach(function (layer) {
            var item = L.DomUtil.create("li", "", list);
            var link = L.DomUtil.create("a", "planmap-pick-item", item);
            link.href = "#";
            link.innerHTML = layer.feature.properties.tooltip;  // built escaped by the app
            L.DomEvent.on(link, "click", function (e) {
                L.DomEvent.preventDefault(e);
                map.removeLayer(pick);  // the list gives way to the item it opens
                var popup = L.popup({maxWidth: 380}).setLatLng(latlng)
                    .setContent("<small>载入中…</small>").openOn(map);
                load(options.popups).then(function (popups) {
                    popup.setContent(popups[layer.feature.properties.id] ||
                                     "<small>（无详情）</small>");
                }, function () {
                    popup.setContent("<small>详情载入失败，请关闭后再点一次。</small>");
                });
            });
        });
        var pick = L.popup({maxWidth: 380}).setLatLng(latlng).setContent(box);
        pick.openOn(map);
    }
    function gatherStacks(layers) {
        var stacks = {};
        layers.eachLayer(function (layer) {
            if (!(layer instanceof L.CircleMarker) || layer instanceof L.Circle) { return; }
            var p = layer.getLatLng();
            var key = p.lat.toFixed(5) + "," + p.lng.toFixed(5);
            (stacks[key] = stacks[key] || []).push(layer);
        });
        Object.keys(stacks).forEach(function (key) {
            var stack = stacks[key];
            if (stack.length < 2) { return; }
            stack.forEach(function (layer) {
                layer.unbindTooltip();
                layer.unbindPopup();
                layer.off("popupopen");
                layer.bindTooltip(stack.length + " 项重叠于此（点击选择）：" +
                    stack.slice(0, 3).map(function (l) { return l.feature.properties.tooltip; })
                        .join("、") + (stack.length > 3 ? "…" : ""), {sticky: true});
                layer.on("click", function (e) { pickList(stack, layer.getLatLng()); });
            });
        });
    }
    // Names written on the map (the blank basemap has none): each feature's label from zoom
    // options.labelZoom, and the layer's extra labels (major places) each from its own zoom
    function addLabels(data) {
        var labels = [];
        function label(at, html, zoom, extraClass) {
            labels.push({zoom: zoom, marker: L.marker([at[1], at[0]], {
                interactive: false, keyboard: false,
                icon: L.divIcon({className: "planmap-label" + extraClass, html: html,
                                 iconSize: null})
            })});
        }
        data.features.forEach(function (f) {
            var p = f.properties;
            if (!p.label || !p.label_at || (keep !== null && !keep.has(String(p.id)))) { return; }
            label(p.label_at, p.label, options.labelZoom, "");
        });
        (data.labels || []).forEach(function (l) { label(l.at, l.label, l.zoom, " planmap-place"); });
        if (!labels.length) { return; }
        function show() {
            var map = group._map;
            if (!map) { return; }
            labels.forEach(function (l) {
                if (map.getZoom() >= l.zoom) { group.addLayer(l.marker); }
                else { group.removeLayer(l.marker); }
            });
        }
        if (group._map) { show(); group._map.on("zoomend", show); }
        else { group.once("add", function () { show(); group._map.on("zoomend", show); }); }
    }
    load(options.url).then(function (data) {
        var circles = new Set();
        var drawn = L.geoJSON(data, {
            // an inert layer (a backdrop to click on) lets every click through to the map
            interactive: !options.inert,
            filter: function (f) {
                return keep === null || keep.has(String(f.properties.id));
            },
            style: function (f) { return f.properties.style; },
            pointToLayer: function (f, latlng) {
                // a point known only to within radius_m metres: its circle, under the dot;
                // once per spot and radius (thirty projects on one 5 km circle would fill it)
                var circle = [latlng.lat, latlng.lng, f.properties.radius_m].join();
                if (f.properties.radius_m && !circles.has(circle)) {
                    circles.add(circle);
                    L.circle(latlng, Object.assign({radius: f.properties.radius_m,
                        interactive: false, color: f.properties.style.color,
                        fillColor: f.properties.style.color}, options.circle)).addTo(group);
                }
                return L.circleMarker(latlng, Object.assign(
                    {radius: options.radius, fill: true, weight: 1, fillOpacity: 0.85},
                    f.properties.style));
            },
            onEachFeature: function (f, layer) {
                if (options.inert) { return; }
                layer.bindTooltip(f.properties.tooltip, {sticky: true});
                bindPopup(f, layer);
            }
        }).addTo(group);
        gatherStacks(drawn);
        addLabels(data);
    }).catch(function (error) {
        console.error(error);
        var map = group._map || window.map;
        if (!map) { return; }
        var note = L.control({position: "bottomleft"});
        note.onAdd = function () {
            var box = L.DomUtil.create("div", "planmap-error");
            box.textContent = options.failed;
            box.style.cssText = "background:#fff3cd;padding:4px 8px;border:1px solid #c9a227";
            return box;
        };
        note.addTo(map);
    }).finally(function () {
        window.planmapLoading -= 1;
    });
};
