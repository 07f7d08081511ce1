"""Outbound webhooks: endpoints subscribed to event types, signed deliveries with retries."""
