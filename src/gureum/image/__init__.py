"""Image (Glance v2): image records, their bytes, formats, visibility and sharing."""
