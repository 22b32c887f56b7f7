"""The web map: catalogue and search, tables, folium layers, popups, basemaps, offline assets."""
