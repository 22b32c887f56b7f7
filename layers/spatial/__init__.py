"""Spatial structures: structures → sectors, named lines, assignment of projects to sectors."""
