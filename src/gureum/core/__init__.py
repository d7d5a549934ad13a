"""The shared kernel: every service is built on it; it imports no service."""
