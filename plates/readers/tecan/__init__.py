"""Tecan i-control, Spark and Magellan exports."""
