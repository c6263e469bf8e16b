"""Helpers shared by the game API and generator tests."""
