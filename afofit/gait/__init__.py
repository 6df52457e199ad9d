"""Gait: read a recording, find events, measure, flag foot drop, prescribe an AFO."""
