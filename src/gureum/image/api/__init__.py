"""One module per URL collection of the Image v2 API."""
