"""`gureum up | <role> | bootstrap | keys | policy`"""
