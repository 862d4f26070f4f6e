"""The neutral core: invoice types, global IDs, errors, money, loaders, the update service."""
