"""Identity (Keystone v3): domains, projects, users, groups, roles, assignments, tokens,
the service catalog, application credentials and credentials."""
