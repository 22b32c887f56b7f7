"""Names → places: Chongqing's planning gazetteer, offline, with geopy's contract."""

from gazetteer.core import Candidate, Gazetteer, Resolution
from gazetteer.places import Place
from gazetteer.scan import Mention

__all__ = ["Candidate", "Gazetteer", "Mention", "Place", "Resolution"]
