// leaflet-measure (2.1.7) styles its vertices through their SVG paths, which a map drawn on a
// canvas (preferCanvas, for speed) does not have: its own layers are drawn in SVG instead.
if (L.Control.Measure && !L.Control.Measure.prototype.planmapSvg) {
    (function () {
        var svg = L.svg();
        var initialize = L.Control.Measure.prototype.initialize;
        L.Control.Measure.include({
            planmapSvg: true,
            initialize: function (options) {
                initialize.call(this, options);
                var symbols = this._symbols, getSymbol = symbols.getSymbol;
                symbols.getSymbol = function (name) {
                    return L.extend({renderer: svg}, getSymbol.call(symbols, name));
                };
            }
        });
    })();
}
