"""Typed clients of each service's public REST API: how services call each other.
They need only httpx, so the kernel can use them (nothing here imports gureum.core)."""
