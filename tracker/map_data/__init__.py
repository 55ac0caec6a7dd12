"""The world map's data (world-atlas's countries, the list of States) and its decoding."""
