"""Runs the whole platform on one machine: database, broker check, five services, the gateway."""
