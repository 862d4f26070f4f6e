"""Vendor adapters. Nothing in here imports the GraphQL layer."""
