// Keeps where the map is in the page's address, v=lat,lon,zoom (as the map shows them: GCJ-02
// numbers on 高德), so the address bar is always the share link. It writes the address only:
// a pan costs no rerun; the page reads v when it next runs (for the link and the print).
window.planmapViewLink = window.planmapViewLink || function (map) {
    function write() {
        try {
            var page = window.parent, centre = map.getCenter();
            var params = new URLSearchParams(page.location.search);
            params.set("v", centre.lat.toFixed(5) + "," + centre.lng.toFixed(5) + ","
                       + map.getZoom());
            page.history.replaceState(page.history.state, "",
                                      page.location.pathname + "?" + params.toString());
        } catch (e) { /* the page is of another origin: it keeps no link */ }
    }
    map.on("moveend", write);
};
