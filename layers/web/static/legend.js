// The map's legend: a control in the bottom right holding the HTML built (escaped) in Python,
// styled by its own stylesheet; clicks and scrolls on it do not reach the map. Folded on a
// narrow map.
window.planmapLegend = window.planmapLegend || function (map, css, html) {
    var style = document.createElement("style");
    style.textContent = css;
    document.head.appendChild(style);
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
        var box = L.DomUtil.create("div");
        box.innerHTML = html;
        // on a narrow map (a laptop with the sidebar open, a tablet) the legend starts folded
        // so it does not cover the map; legend.css folds the layer list the same way
        if (map.getSize().x < 760) {
            box.querySelector("details").removeAttribute("open");
        }
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
    };
    legend.addTo(map);
};
