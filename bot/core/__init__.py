"""The bottom layer: time and calendar, ids, button values, limits. Imports nothing else of bot."""
