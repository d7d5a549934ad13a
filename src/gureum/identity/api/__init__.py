"""One module per URL collection of the Identity v3 API."""
