"""Shared pieces every domain may import: clock, types, mixins, permissions, signals, pagination."""
