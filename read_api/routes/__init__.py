"""One module of read routes per projection."""
