"""The HTTP side of the app (mounted by server.py): Starlette routes over the domain's functions."""
