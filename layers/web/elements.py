"""The map's browser behaviours, one element class each, their JavaScript and CSS kept as
package files (``layers/web/static``) read through ``importlib.resources``.

Each element's code is inserted as a value, never parsed as a template, so text in it (a
popup's "{{") cannot become template code; its options travel as one JSON argument."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from branca.element import MacroElement
from jinja2 import Template


@cache
def asset_text(name: str) -> str:
    """A file of ``layers/web/static`` (JavaScript or CSS) as text."""
    return resources.files("layers.web").joinpath("static", name).read_text(encoding="utf-8")


def _json_arg(value) -> str:
    # "</" would end the page's <script> early wherever the code is inlined
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


class Script(MacroElement):
    """Plain JavaScript run with the map (streamlit-folium runs each element's script macro).
    ``__PARENT__`` stands for the parent element's variable."""

    _template = Template("{% macro script(this, kwargs) %}"
                         "{{ this.code.replace('__PARENT__', this._parent.get_name()) }}"
                         "{% endmacro %}")

    def __init__(self, code: str):
        super().__init__()
        self._name = "Script"
        self.code = code


class FetchedLayer(Script):
    """Draws a layer's features from its static GeoJSON file into the parent group (only
    ``options["ids"]`` when not None) with popups from a second file (fetched_layer.js)."""

    CALL = "planmapFetchedLayer(__PARENT__, "

    def __init__(self, options: dict):
        super().__init__(asset_text("fetched_layer.js") + "\n" + self.CALL
                         + _json_arg(options) + ");")
        self.options = options

    @classmethod
    def options_in(cls, script_text: str) -> list[dict]:
        """The options of every FetchedLayer in rendered map script (for tests and tools)."""
        decoder = json.JSONDecoder()
        starts = [m.end() for m in re.finditer(r"planmapFetchedLayer\([\w.]+, ", script_text)]
        return [decoder.raw_decode(script_text, i)[0] for i in starts]


class Legend(Script):
    """The legend control (legend.js, legend.css) with ``html`` built escaped by the caller."""

    def __init__(self, html: str):
        super().__init__(asset_text("legend.js") + "\nplanmapLegend(__PARENT__, "
                         + _json_arg(asset_text("legend.css")) + ", " + _json_arg(html) + ");")


class DrawLocale(Script):
    """Leaflet.draw's words in Chinese; added before the draw toolbar, which reads them."""

    def __init__(self):
        super().__init__(asset_text("draw_locale_zh.js"))


class OpenPopup(Script):
    """Binds ``html`` as the parent marker's popup (not folium.Popup, which needs jQuery) and
    opens it once the marker is on the map (streamlit-folium adds it after this runs)."""

    def __init__(self, html: str):
        super().__init__(asset_text("open_popup.js") + "\nplanmapOpenPopup(__PARENT__, "
                         + _json_arg(html) + ");")


class IconPath(Script):
    """Sets Leaflet's default marker image folder (``url``) before any marker is made."""

    def __init__(self, url: str):
        super().__init__("L.Icon.Default.imagePath = " + _json_arg(url) + ";")
        self._name = "IconPath"


class MetricScale(Script):
    """The scale bar in metres and kilometres only (folium's also shows miles and feet)."""

    def __init__(self):
        super().__init__("L.control.scale({imperial: false, maxWidth: 150})"
                         ".addTo(__PARENT__);")
        self._name = "MetricScale"


class ViewLink(Script):
    """Writes the map's centre and zoom into the page's address on every move (view_link.js)."""

    def __init__(self):
        super().__init__(asset_text("view_link.js") + "\nplanmapViewLink(__PARENT__);")
        self._name = "ViewLink"


class MeasureSvg(Script):
    """Makes the measure tool draw its own shapes in SVG (measure_svg.js); added before it."""

    def __init__(self):
        super().__init__(asset_text("measure_svg.js"))
        self._name = "MeasureSvg"
