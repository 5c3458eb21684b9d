"""Realtime delivery: notices on the broker, rooms and connections in the hub."""
