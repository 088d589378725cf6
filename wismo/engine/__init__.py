"""Proactive updates: webhooks → shipment state → detections → rules → outbox → delivery."""
