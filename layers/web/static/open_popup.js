// Binds a popup (HTML built escaped in Python) to a marker and opens it once the marker is on
// the map (streamlit-folium adds it after this runs); not folium.Popup, which needs jQuery.
window.planmapOpenPopup = window.planmapOpenPopup || function (marker, html) {
    marker.bindPopup(html, {maxWidth: 380});
    setTimeout(function () { marker.openPopup(); }, 50);
};
