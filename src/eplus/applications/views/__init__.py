"""Application pages, one module per area; ``urls.py`` points at the modules."""
